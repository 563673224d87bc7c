import SafeguardsAPI
import SafeguardsCore

// The steps about limits: a refusal, usage alerts, a budget raise, and the closing checks.
extension LocalBudgetScenario {
    func refuseOverBudget(agent id: String) async throws {
        let before = try await client.agent(id)
        let asked = try before.budget.available.adding(try Amount(parsing: "30"))
        report.step("Ask for more than an agent has")
        let problem = try await expectRefusal("insufficient_budget") {
            () async throws(APIClientError) in
            try await client.reserve(agent: id, ReserveRequest(amount: asked, idempotencyKey: "demo-too-much"))
        }
        report.ok(
            "\(id) (available \(before.budget.available)) asks to reserve \(asked):"
                + " refused with \(problem.code) (HTTP \(problem.status))")
        report.note("  \"\(problem.detail)\"")
        let after = try await client.agent(id)
        try expect(after.budget == before.budget, "the refused reservation changed \(id)'s budget")
        report.ok(
            "nothing changed: \(id) available \(after.budget.available), reserved \(after.budget.reserved)"
        )
    }

    func raiseAlerts(agent id: String) async throws {
        report.step("Push \(id) past 75% and then 90% of its budget")
        let budget = try await client.agent(id).budget.total
        // 76% and then 92% of the budget, in exact arithmetic.
        let firstSpend = try budget.scaled(by: 76, over: 100)
        let secondSpend = try budget.scaled(by: 16, over: 100)
        for (index, (amount, level)) in [(firstSpend, "warning"), (secondSpend, "critical")].enumerated() {
            _ = try await client.spend(
                agent: id, SpendRequest(amount: amount, idempotencyKey: "demo-\(id)-usage-\(index + 1)"))
            let agent = try await client.agent(id)
            try expect(agent.alertLevel == level, "\(id) is at alert level \(agent.alertLevel), expected \(level)")
            report.ok(
                "\(id) spends \(amount): \(Usage.percent(of: agent.budget)) of \(agent.budget.total) used,"
                    + " alert level \(agent.alertLevel)")
        }
        let alerts = try await client.alerts(agent: id).alerts
        try expect(
            alerts.count == 2 && Set(alerts.map(\.level)) == ["warning", "critical"],
            "\(id) has alerts \(alerts.map(\.level)), expected one warning and one critical")
        report.note("alerts for \(id), each raised once per level:")
        report.table(BodyTables.alerts(alerts.sorted { $0.createdAt < $1.createdAt }))
    }

    func raiseBudget(agent id: String) async throws {
        let before = try await client.agent(id)
        let newBudget = try Amount(parsing: "80")
        let reason = "summaries are the bottleneck this week"
        report.step("Raise \(id)'s budget to \(newBudget), with a reason")
        let poolBefore = try await client.pool(before.poolID)
        let after = try await client.updateBudget(
            agent: id, UpdateBudgetRequest(budget: newBudget, reason: reason, idempotencyKey: "demo-raise-\(id)"))
        let poolAfter = try await client.pool(before.poolID)
        let moved = try newBudget.subtracting(before.budget.total)
        try expect(after.budget.total == newBudget, "\(id)'s budget is \(after.budget.total), not \(newBudget)")
        try expect(
            poolAfter.available == (try poolBefore.available.subtracting(moved)),
            "the pool shows \(poolAfter.available) available, expected \(moved) less than \(poolBefore.available)")
        report.ok(
            "budget \(before.budget.total) -> \(after.budget.total) (\"\(reason)\"):"
                + " \(moved) moved from pool '\(poolAfter.name)'")
        try expect(after.alertLevel == "normal", "\(id) is still at alert level \(after.alertLevel)")
        report.ok(
            "usage is now \(Usage.percent(of: after.budget)), back to alert level \(after.alertLevel):"
                + " the alerts are re-armed")
    }

    func showTables() async throws {
        report.step("The node's pools and agents")
        let pools = try await client.pools().pools
        let poolBudget = try Amount(parsing: Self.poolBudget)
        for pool in pools {
            let parts = try pool.available.adding(pool.allocated).adding(pool.spent)
            try expect(
                parts == pool.total, "pool \(pool.name): available + allocated + spent is \(parts), not \(pool.total)")
        }
        try expect(
            pools.map(\.total) == [poolBudget],
            "the pools hold \(pools.map(\.total)), expected \(poolBudget) in one pool")
        report.table(BodyTables.pools(pools))
        print()
        let agents = try await client.agents().agents
        try expect(agents.count == Self.agents.count, "the node lists \(agents.count) agents")
        report.table(
            BodyTables.agents(
                agents, poolNames: Dictionary(pools.map { ($0.id, $0.name) }, uniquingKeysWith: { first, _ in first })))
        for pool in pools {
            report.ok(
                "pool '\(pool.name)' still totals \(pool.total) = \(pool.available) available"
                    + " + \(pool.allocated) allocated + \(pool.spent) spent: nothing created or lost")
        }
    }

    func checkLedger() async throws {
        report.step("Check the ledger")
        let check = try await client.ledgerCheck()
        report.table(BodyTables.ledgerCheck(check))
        try expect(check.balanced, "the ledger is not balanced: debits \(check.debits), credits \(check.credits)")
        try expect(check.overdrawnAccounts.isEmpty, "overdrawn accounts: \(check.overdrawnAccounts)")
        report.ok("balanced: debits equal credits over \(check.accounts) accounts, none overdrawn")
    }
}
