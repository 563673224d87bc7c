import Logging
import SafeguardsAPI
import SafeguardsCore
import SafeguardsFederation
import SafeguardsNode
import SafeguardsStore

/// Figure 6: remote budget requests settled between two in-process nodes over mutual TLS,
/// durable on both sides.
///
/// `system_b` offers `system_a` a credit line large enough never to run out; `system_a` creates a
/// federated pool backed by it and one agent per caller. Each request goes through
/// `system_a`'s settlement service as the API would send it: the requester writes the pending
/// transfer to SQLite, sends the signed request, `system_b` decides and writes its decision and
/// ledger movement to SQLite before it answers with a signed receipt, and `system_a` writes the
/// settlement before the call returns. One caller (latency), then several at once (throughput).
///
/// Afterwards every request must be accepted, both nodes must list the same ids, and what
/// `system_b` gave must equal what the agents received. Otherwise the figure fails.
enum RemoteSettlementFigure {
    static func run(plan: BenchPlan, options: BenchOptions, logger: Logger) async throws -> [FigureLine] {
        try await FederatedPair.run(
            options: options, logger: logger, label: "settlement",
            configure: { system, config in
                if system == DevelopmentCertificates.systemB { config.federation?.offers = [DevelopmentCertificates.systemA: 1_000_000_000] }
                config.federation?.settlement.rateLimit = 1_000_000
                config.federation?.settlement.perRequestCap = 1_000_000
            }
        ) { pair in
            guard let settlementA = pair.nodeA.settlement, let settlementB = pair.nodeB.settlement else {
                throw BenchFailure("a node opened without its settlement service")
            }
            return try await measure(
                nodeA: pair.nodeA, nodeB: pair.nodeB, settlementA: settlementA, settlementB: settlementB, plan: plan)
        }
    }

    struct Run: Sendable {
        var accepted = 0
        var other = 0
        var firstProblem: String?
        var latencies = LatencySample()
        var elapsed: Duration = .zero
        var amount: Int64 = 0
        /// SQLite commits of each node's writer during the run (requester `a`, giver `b`).
        var commitsA = 0
        var commitsB = 0
        /// CPU time and context switches of the whole process (both nodes) during the run.
        var work = ProcessWork(cpuMicroseconds: 0, contextSwitches: 0)
    }

    static func measure(
        nodeA: BudgetNode, nodeB: BudgetNode, settlementA: SettlementService, settlementB: SettlementService,
        plan: BenchPlan
    ) async throws -> [FigureLine] {
        let callers = plan.settlementConcurrentCallers
        let pool = try await nodeA.operations.createPool(
            CreatePoolRequest(name: "bench", initialBudget: Amount(units: Int64(callers) + 1), priority: 5))
        for caller in 0...callers {
            _ = try await nodeA.operations.registerAgent(
                RegisterAgentRequest(agentID: "agent-\(caller)", poolID: pool.0.pool.id.rawValue, priority: "HIGH", initialBudget: 1))
        }
        let peer = DevelopmentCertificates.systemB
        // Opens the connection (its handshake is not timed).
        _ = try await settlementA.requestBudget(
            agent: try AgentID("agent-0"), from: peer, amount: 1, metadata: [:], key: nil)

        let writers = (nodeA.operations.writer, nodeB.operations.writer)
        let single = await loop(callers: 1, plan: plan, settlement: settlementA, peer: peer, writers: writers)
        let concurrent = await loop(callers: callers, plan: plan, settlement: settlementA, peer: peer, writers: writers)
        for (label, run) in [("one caller", single), ("\(callers) callers", concurrent)] {
            if let problem = run.firstProblem { note("\(run.other) requests (\(label)) not accepted; the first: \(problem)") }
        }

        var check = FigureLine("check federation.settle")
        let outgoing = await settlementA.transactions(peer: peer)
        let incoming = await settlementB.transactions(peer: DevelopmentCertificates.systemA)
        let requested = 1 + single.accepted + concurrent.accepted
        let accepted = outgoing.filter { $0.status == "accepted" }
        let sameIDs = Set(outgoing.map(\.transactionID)) == Set(incoming.map(\.transactionID))
        let agreeing = incoming.allSatisfy { theirs in
            outgoing.contains { $0.transactionID == theirs.transactionID && $0.status == theirs.status && $0.amount == theirs.amount }
        }
        check.add("requests", requested)
        check.add("accepted_a", accepted.count)
        check.add("decided_b", incoming.count)
        let given = await nodeB.operations.writer.read { book in
            book.ledger.account(AccountID(unchecked: "given:\(DevelopmentCertificates.systemA)"))?.postedBalance ?? .zero
        }
        check.add("given_b", given.description)
        // Memory: what the two machines still hold once every request settled (it must not grow
        // with the number settled: decided records leave memory once durable).
        let held = (await settlementA.heldRecordCount, await settlementB.heldRecordCount)
        check.add("held_records_a", held.0)
        check.add("held_records_b", held.1)
        guard accepted.count == requested, sameIDs, agreeing, given == Amount(micros: Int64(requested) * Amount.scale), single.other == 0, concurrent.other == 0 else {
            check.status = "FAILED"
            emit(check)
            throw BenchFailure("the two nodes disagree about the settled requests")
        }
        check.status = "ok"
        return [line("federation.settle.one_caller", single), line("federation.settle.concurrent_\(callers)", concurrent), check]
    }

    /// `callers` callers asking at once, each again as soon as it has its answer, until the plan's
    /// count or time runs out. Counts the commits both writers made meanwhile.
    static func loop(
        callers: Int, plan: BenchPlan, settlement: SettlementService, peer: SystemID,
        writers: (BudgetWriter, BudgetWriter)
    ) async -> Run {
        let commitsBefore = (await writers.0.statistics.commits, await writers.1.statistics.commits)
        let workBefore = ProcessWork.now()
        let clock = ContinuousClock()
        let start = clock.now
        let deadline = start + plan.settlementTimeLimit
        let perCaller = max(1, plan.settlementMaximum / callers)
        var total = Run()
        await withTaskGroup(of: Run.self) { group in
            for caller in 0..<callers {
                group.addTask {
                    var run = Run(latencies: LatencySample(reservingCapacity: min(perCaller, 20_000)))
                    let agent = AgentID(unchecked: "agent-\(caller + 1)")
                    while run.accepted + run.other < perCaller, clock.now < deadline {
                        let sent = clock.now
                        do {
                            let answer = try await settlement.requestBudget(
                                agent: agent, from: peer, amount: 1, metadata: [:], key: nil)
                            if answer.status == "accepted" {
                                run.latencies.record(sent.duration(to: clock.now))
                                run.accepted += 1
                            } else {
                                run.other += 1
                                if run.firstProblem == nil { run.firstProblem = "\(answer.status) \(answer.reason ?? "")" }
                            }
                        } catch {
                            run.other += 1
                            if run.firstProblem == nil { run.firstProblem = "\(error)" }
                        }
                    }
                    return run
                }
            }
            for await run in group {
                total.accepted += run.accepted
                total.other += run.other
                total.latencies.merge(run.latencies)
                if total.firstProblem == nil { total.firstProblem = run.firstProblem }
            }
        }
        total.elapsed = start.duration(to: clock.now)
        total.work = ProcessWork.now().since(workBefore)
        total.commitsA = await writers.0.statistics.commits - commitsBefore.0
        total.commitsB = await writers.1.statistics.commits - commitsBefore.1
        return total
    }

    static func line(_ name: String, _ run: Run) -> FigureLine {
        var line = FigureLine(name)
        line.add("settled_per_sec", rate(run.accepted, over: run.elapsed), decimals: 1)
        line.add(latency: run.latencies.summary())
        line.add("settled", run.accepted)
        line.add("errors", run.other)
        // Each settlement writes two records on the requester and one on the giver.
        line.add("requester_records_per_commit", perCommit(2 * run.accepted, run.commitsA), decimals: 2)
        line.add("giver_records_per_commit", perCommit(run.accepted, run.commitsB), decimals: 2)
        // Both nodes run in this process: the work of a whole settlement, requester and giver.
        let settled = max(1, run.accepted)
        line.add("cpu_us_per_settled", run.work.cpuMicroseconds / settled)
        line.add("switches_per_settled", Double(run.work.contextSwitches) / Double(settled), decimals: 1)
        line.add("seconds", run.elapsed.seconds, decimals: 3)
        return line
    }

    private static func perCommit(_ records: Int, _ commits: Int) -> Double {
        commits > 0 ? Double(records) / Double(commits) : 0
    }
}
