import SafeguardsAPI
import SafeguardsCore

/// The single-node story of `safeguards demo`, played through the HTTP API like any agent
/// developer would: a pool, four agents, reserve-then-settle, an idempotent spend, a refusal,
/// usage alerts, a budget raise, and the ledger check.
///
/// Each step checks what the node answered and throws ``DemoFailure`` when it is not what an
/// operator should see. The limit steps are in `LocalBudgetScenario+Limits.swift`.
struct LocalBudgetScenario {
    /// An agent the scenario registers.
    struct AgentPlan {
        let id: String
        let priority: String
        let budget: String
    }

    static let poolName = "research"
    static let poolBudget = "1000"
    static let poolPriority = 7
    static let agents = [
        AgentPlan(id: "planner", priority: "CRITICAL", budget: "200"),
        AgentPlan(id: "coder", priority: "HIGH", budget: "150"),
        AgentPlan(id: "researcher", priority: "MEDIUM", budget: "100"),
        AgentPlan(id: "summarizer", priority: "LOW", budget: "50"),
    ]

    let client: SafeguardsClient
    let report: DemoReport

    /// Plays every step in order.
    ///
    /// - Throws: ``DemoFailure`` when the node answered something unexpected, `APIClientError`
    ///   when it refused a call the scenario expects to succeed.
    func play() async throws {
        let pool = try await createPool()
        try await registerAgents(in: pool)
        try await reserveAndSettle(agent: "coder")
        try await spendOnceDespiteRetry(agent: "researcher")
        try await refuseOverBudget(agent: "summarizer")
        try await raiseAlerts(agent: "summarizer")
        try await raiseBudget(agent: "summarizer")
        try await showTables()
        try await checkLedger()
    }

    // MARK: Steps

    func createPool() async throws -> PoolBody {
        report.step(
            "Create the pool '\(Self.poolName)' with a budget of \(Self.poolBudget) (priority \(Self.poolPriority))")
        let budget = try Amount(parsing: Self.poolBudget)
        let pool = try await client.createPool(
            CreatePoolRequest(
                name: Self.poolName, initialBudget: budget, priority: Self.poolPriority,
                metadata: ["owner": "demo"], idempotencyKey: "demo-pool-\(Self.poolName)"))
        try expect(
            pool.total == budget && pool.available == budget, "the new pool shows \(pool.available) of \(pool.total)")
        report.ok("pool \(pool.id) '\(pool.name)': total \(pool.total), available \(pool.available)")
        return pool
    }

    func registerAgents(in pool: PoolBody) async throws {
        report.step("Register four agents; each one's budget moves out of the pool")
        var table = TextTable([.left("AGENT"), .left("PRIORITY"), .right("BUDGET")])
        var allocated = Amount.zero
        for plan in Self.agents {
            let budget = try Amount(parsing: plan.budget)
            let agent = try await client.registerAgent(
                RegisterAgentRequest(
                    agentID: plan.id, poolID: pool.id, priority: plan.priority, initialBudget: budget,
                    idempotencyKey: "demo-agent-\(plan.id)"))
            try expect(
                agent.budget.available == budget, "\(plan.id) starts with \(agent.budget.available), not \(budget)")
            table.append([agent.agentID, agent.priority, agent.budget.total.description])
            allocated = try allocated.adding(budget)
        }
        report.table(table)
        let after = try await client.pool(pool.id)
        try expect(after.allocated == allocated, "the pool shows \(after.allocated) allocated, expected \(allocated)")
        try expect(
            after.available == (try pool.available.subtracting(allocated)),
            "the pool shows \(after.available) available after allocating \(allocated)")
        report.ok(
            "pool '\(after.name)': \(after.available) available, \(after.allocated) allocated to agents"
        )
    }

    func reserveAndSettle(agent id: String) async throws {
        report.step("Reserve before a costly call, then settle its real cost")
        let before = try await client.agent(id)
        let reserved = try Amount(parsing: "20")
        let cost = try Amount(parsing: "12.5")
        let reservation = try await client.reserve(
            agent: id, ReserveRequest(amount: reserved, idempotencyKey: "demo-call-1", timeoutSeconds: 60))
        let during = try await client.agent(id)
        try expect(reservation.state == "pending", "the reservation is \(reservation.state), not pending")
        try expect(
            during.budget.reserved == reserved
                && during.budget.available == (try before.budget.available.subtracting(reserved)),
            "\(id) shows \(during.budget.available) available and \(during.budget.reserved) reserved")
        report.ok(
            "\(id) reserves \(reserved) (\(reservation.reservationID), expires in 60s): available"
                + " \(during.budget.available), reserved \(during.budget.reserved)")

        let settled = try await client.settle(reservation: reservation.reservationID, amount: cost)
        let after = try await client.agent(id)
        let released = try reserved.subtracting(cost)
        try expect(settled.state == "posted" && settled.settledAmount == cost, "the settlement is \(settled.state)")
        try expect(
            after.budget.reserved == .zero && after.budget.spent == cost
                && after.budget.available == (try before.budget.available.subtracting(cost)),
            "\(id) shows \(after.budget.available) available, \(after.budget.spent) spent after settling")
        report.ok(
            "the call cost \(cost): settled, the other \(released) released;"
                + " \(id) available \(after.budget.available), spent \(after.budget.spent)")
    }

    func spendOnceDespiteRetry(agent id: String) async throws {
        report.step("Spend in one step, then retry with the same idempotency key")
        let amount = try Amount(parsing: "8")
        let key = "demo-spend-1"
        let first = try await client.spend(agent: id, SpendRequest(amount: amount, idempotencyKey: key))
        let afterFirst = try await client.agent(id)
        report.ok(
            "\(id) spends \(amount) with key \(key): transfer \(first.id), spent \(afterFirst.budget.spent)"
        )

        // A client that timed out does not know whether its spend went through; it sends it again.
        let retry = try await client.spend(agent: id, SpendRequest(amount: amount, idempotencyKey: key))
        let afterRetry = try await client.agent(id)
        try expect(retry.id == first.id, "the retry made a new transfer \(retry.id)")
        try expect(afterRetry.budget == afterFirst.budget, "the retry changed \(id)'s budget")
        report.ok(
            "the retry returns the same transfer \(retry.id); \(id) spent is still"
                + " \(afterRetry.budget.spent): charged once")

        let other = try Amount(parsing: "9")
        let problem = try await expectRefusal("conflict") {
            () async throws(APIClientError) in
            try await client.spend(agent: id, SpendRequest(amount: other, idempotencyKey: key))
        }
        report.ok("the same key with another amount (\(other)) is refused: \(problem.code)")
    }
}
