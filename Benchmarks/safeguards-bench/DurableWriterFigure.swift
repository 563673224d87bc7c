import Logging
import SafeguardsCore
import SafeguardsNode
import SafeguardsStore

/// Figure 2: reserve+settle through the one `BudgetWriter` on a SQLite file (WAL,
/// `synchronous=FULL`): every call returns only once its change is committed and synced.
///
/// Run once with one caller (each call waits for its own fsync) and once with many concurrent
/// callers (group commit: one fsync serves every command queued meanwhile). Each run gets a fresh
/// database, so the writer's statistics count that run alone.
enum DurableWriterFigure {
    static func run(callers: Int, plan: BenchPlan, options: BenchOptions, logger: Logger) async throws -> FigureLine {
        let directory = try ScratchDirectory.create(in: options.dataDirectory, label: "writer-\(callers)")
        defer { directory.remove() }
        let writer = try BudgetWriter(
            store: try LedgerStore(path: directory.file("bench.sqlite")), now: Timestamp.now, logger: logger)
        let pool = PoolID(unchecked: "durable")
        _ = try await writer.submit(try BenchBudget.createPool(pool, agentCount: callers))
        let agents = BenchBudget.registerAgents(callers, prefix: "d", in: pool)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for agent in agents { group.addTask { _ = try await writer.submit(agent.command) } }
            try await group.waitForAll()
        }

        let before = await writer.statistics
        let clock = ContinuousClock()
        let start = clock.now
        let deadline = start + plan.durableTimeLimit
        let results = try await withThrowingTaskGroup(of: CallerResult.self) { group in
            for (index, agent) in agents.enumerated() {
                group.addTask {
                    try await runCaller(
                        index, agent: agent.id, writer: writer, pairs: plan.durablePairsPerCaller, until: deadline)
                }
            }
            var results: [CallerResult] = []
            for try await result in group { results.append(result) }
            return results
        }
        let elapsed = start.duration(to: clock.now)
        let after = await writer.statistics

        var latencies = LatencySample()
        for result in results { latencies.merge(result.latencies) }
        let pairs = results.reduce(0) { $0 + $1.pairs }
        let commits = after.commits - before.commits
        let commands = after.commands - before.commands
        guard after.refused == before.refused, commands == 2 * pairs else {
            throw BenchFailure("writer refused \(after.refused - before.refused) commands of \(commands)")
        }
        let agentIDs = agents.map(\.id)
        let spent = await writer.read { book in
            var total: Int64 = 0
            for id in agentIDs { total += book.agentSnapshot(id)?.spent.micros ?? 0 }
            return total
        }
        guard spent == Int64(pairs) * BenchBudget.settleAmount.micros else {
            throw BenchFailure("durable run spent \(Amount(micros: spent)) after \(pairs) pairs")
        }

        var line = FigureLine("store.reserve_settle.callers_\(callers)")
        line.add("pairs_per_sec", rate(pairs, over: elapsed), decimals: 1)
        line.add("calls_per_sec", rate(commands, over: elapsed), decimals: 1)
        line.add(latency: latencies.summary())
        line.add("commits_per_sec", rate(commits, over: elapsed), decimals: 1)
        line.add("commands_per_commit", commits > 0 ? Double(commands) / Double(commits) : 0, decimals: 2)
        line.add("largest_group", after.largestGroup)
        line.add("pairs", pairs)
        line.add("seconds", elapsed.seconds, decimals: 3)
        return line
    }

    struct CallerResult: Sendable {
        var pairs = 0
        var latencies = LatencySample()
    }

    /// One caller: sequential reserve then settle on its own agent, timing each call.
    static func runCaller(
        _ index: Int, agent: AgentID, writer: BudgetWriter, pairs limit: Int, until deadline: ContinuousClock.Instant
    ) async throws -> CallerResult {
        let clock = ContinuousClock()
        var result = CallerResult(latencies: LatencySample(reservingCapacity: 2 * min(limit, 10_000)))
        while result.pairs < limit, clock.now < deadline {
            let reservation = TransferID(unchecked: "res-\(index)-\(result.pairs)")
            let reserveStart = clock.now
            _ = try await writer.submit(
                .reserve(agent, amount: BenchBudget.reserveAmount, reservationID: reservation, timeout: nil))
            let settleStart = clock.now
            _ = try await writer.submit(.settle(reservationID: reservation, amount: BenchBudget.settleAmount))
            let end = clock.now
            result.latencies.record(reserveStart.duration(to: settleStart))
            result.latencies.record(settleStart.duration(to: end))
            result.pairs += 1
        }
        return result
    }
}
