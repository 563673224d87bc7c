import Logging
import SafeguardsAPI
import SafeguardsCore
import SafeguardsNode
import ServiceLifecycle

/// Figure 3: durable spends through the HTTP API of an in-process node on 127.0.0.1.
///
/// The node is opened on a fresh data folder with port 0 and run in a `ServiceGroup`. The load
/// generator is one `SafeguardsClient` with one keep-alive connection per load task; each task
/// spends a small amount, one request after another, from its own agent until the time or the
/// request bound is reached. Client and server share the machine's cores.
///
/// Afterwards the node must agree with the client: the ledger is balanced, and each agent's
/// spent equals its acknowledged spends times the amount. Otherwise the figure fails.
enum HTTPSpendFigure {
    static let amount = Amount(micros: 10_000)

    /// The figure line and the line of its check.
    static func run(plan: BenchPlan, options: BenchOptions, logger: Logger) async throws -> [FigureLine] {
        let directory = try ScratchDirectory.create(in: options.dataDirectory, label: "node")
        defer { directory.remove() }
        var config = NodeConfig()
        config.systemID = "bench"
        config.dataDirectory = directory.path
        config.api.listen = HostPort(host: "127.0.0.1", port: 0)
        config.api.token = "bench-token"
        config.logLevel = logger.logLevel

        let (addresses, listening) = AsyncStream.makeStream(of: HostPort.self)
        let node = try BudgetNode.open(config: config, logger: logger, onListening: { listening.yield($0) })
        let group = ServiceGroup(services: node.services, logger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask {
                defer { listening.finish() }
                try await group.run()
            }
            var iterator = addresses.makeAsyncIterator()
            guard let address = await iterator.next() else {
                try await tasks.waitForAll()
                throw BenchFailure("the node stopped before it listened")
            }
            let client = SafeguardsClient(
                host: address.host, port: address.port, token: node.token, maximumConnections: plan.httpConnections)
            let lines: [FigureLine]
            do {
                lines = try await measure(client: client, plan: plan)
            } catch {
                await client.shutdown()
                await group.triggerGracefulShutdown()
                throw error
            }
            await client.shutdown()
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
            return lines
        }
    }

    struct LoadResult: Sendable {
        var agent: String
        var acknowledged = 0
        var failed = 0
        var firstFailure: String?
        var latencies = LatencySample()
    }

    static func measure(client: SafeguardsClient, plan: BenchPlan) async throws -> [FigureLine] {
        let connections = plan.httpConnections
        let pool = try await client.createPool(
            CreatePoolRequest(
                name: "bench-http", initialBudget: Amount(micros: BenchBudget.agentBudget.micros * Int64(connections)),
                priority: 5))
        let agents = (0..<connections).map { "h\($0)" }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for agent in agents {
                group.addTask {
                    _ = try await client.registerAgent(
                        RegisterAgentRequest(
                            agentID: agent, poolID: pool.id, priority: "MEDIUM", initialBudget: BenchBudget.agentBudget)
                    )
                    // Opens this task's keep-alive connection before the clock starts.
                    _ = try await client.health()
                }
            }
            try await group.waitForAll()
        }

        let perTask = max(1, plan.httpMaximumRequests / connections)
        let clock = ContinuousClock()
        let start = clock.now
        let deadline = start + plan.httpTimeLimit
        let results = await withTaskGroup(of: LoadResult.self) { group in
            for agent in agents {
                group.addTask { await spendLoop(agent: agent, client: client, requests: perTask, until: deadline) }
            }
            var results: [LoadResult] = []
            for await result in group { results.append(result) }
            return results
        }
        let elapsed = start.duration(to: clock.now)

        var latencies = LatencySample()
        for result in results { latencies.merge(result.latencies) }
        let acknowledged = results.reduce(0) { $0 + $1.acknowledged }
        let failed = results.reduce(0) { $0 + $1.failed }
        if let failure = results.lazy.compactMap(\.firstFailure).first {
            note("\(failed) spends failed; the first: \(failure)")
        }
        var line = FigureLine("http.spend.connections_\(connections)")
        line.add("spends_per_sec", rate(acknowledged, over: elapsed), decimals: 1)
        line.add(latency: latencies.summary())
        line.add("spends", acknowledged)
        line.add("errors", failed)
        line.add("seconds", elapsed.seconds, decimals: 3)
        return [line, try await check(client: client, results: results)]
    }

    /// Sequential spends on one agent: each waits for the node's durable answer before the next.
    static func spendLoop(
        agent: String, client: SafeguardsClient, requests: Int, until deadline: ContinuousClock.Instant
    ) async -> LoadResult {
        let clock = ContinuousClock()
        var result = LoadResult(agent: agent, latencies: LatencySample(reservingCapacity: min(requests, 50_000)))
        while result.acknowledged + result.failed < requests, clock.now < deadline {
            let sent = clock.now
            do {
                _ = try await client.spend(agent: agent, SpendRequest(amount: amount))
                result.latencies.record(sent.duration(to: clock.now))
                result.acknowledged += 1
            } catch {
                result.failed += 1
                if result.firstFailure == nil { result.firstFailure = "\(error)" }
            }
        }
        return result
    }

    /// The node's books must match what the client was told: balanced, and spent = acknowledged x amount.
    static func check(client: SafeguardsClient, results: [LoadResult]) async throws -> FigureLine {
        let ledger = try await client.ledgerCheck()
        var spent: Int64 = 0
        var expected: Int64 = 0
        var mismatched: [String] = []
        for result in results {
            let agentSpent = try await client.agent(result.agent).budget.spent.micros
            let agentExpected = Int64(result.acknowledged) * amount.micros
            if agentSpent != agentExpected { mismatched.append(result.agent) }
            spent += agentSpent
            expected += agentExpected
        }
        var line = FigureLine("check http.spend")
        line.add("balanced", ledger.balanced ? "true" : "false")
        line.add("spent", Amount(micros: spent).description)
        line.add("expected", Amount(micros: expected).description)
        guard ledger.balanced, mismatched.isEmpty else {
            line.status = "FAILED"
            emit(line)
            throw BenchFailure(
                "the node's books do not match the acknowledged spends (balanced: \(ledger.balanced), "
                    + "agents off: \(mismatched.prefix(5).joined(separator: ", ")))")
        }
        line.status = "ok"
        return line
    }
}
