import SafeguardsCore

/// Figure 1: reserve+settle pairs per second on a `BudgetBook` alone: validation, ledger
/// bookkeeping and change tracking, with no I/O, no actor hop and no clock read per command.
///
/// The unsaved changes are taken every 64 pairs, as the writer would take them once per group,
/// so they do not pile up; they are then dropped instead of written.
enum InMemoryFigure {
    /// The time every command is applied at.
    static let now = Timestamp(millisecondsSince1970: 1_800_000_000_000)

    static func run(plan: BenchPlan) throws -> FigureLine {
        var book = BudgetBook()
        let pool = PoolID(unchecked: "mem")
        _ = try book.execute(try BenchBudget.createPool(pool, agentCount: plan.inMemoryAgents), now: now)
        let agents = BenchBudget.registerAgents(plan.inMemoryAgents, prefix: "m", in: pool)
        for agent in agents { _ = try book.execute(agent.command, now: now) }
        _ = book.takeUnsavedChanges()

        let clock = ContinuousClock()
        let start = clock.now
        let pairs = try playPairs(
            on: &book, agents: agents.map(\.id), upTo: plan.inMemoryPairs, until: start + plan.inMemoryTimeLimit)
        let elapsed = start.duration(to: clock.now)

        let spent = agents.reduce(Int64(0)) { $0 + (book.agentSnapshot($1.id)?.spent.micros ?? 0) }
        guard spent == Int64(pairs) * BenchBudget.settleAmount.micros, book.ledger.totals().isBalanced else {
            throw BenchFailure("in-memory book does not add up after \(pairs) pairs (spent \(Amount(micros: spent)))")
        }

        var line = FigureLine("ledger.reserve_settle.in_memory")
        line.add("pairs_per_sec", rate(pairs, over: elapsed), decimals: 0)
        line.add("ops_per_sec", rate(2 * pairs, over: elapsed), decimals: 0)
        line.add("pairs", pairs)
        line.add("agents", agents.count)
        line.add("seconds", elapsed.seconds, decimals: 3)
        return line
    }

    /// The measured loop: reserve+settle pairs until `limit` pairs or `deadline`; returns how
    /// many. A function of its own, never inlined, so that an instruction count can cover it
    /// alone: `valgrind --tool=callgrind --toggle-collect='*InMemoryFigure*playPairs*'`.
    @inline(never)
    static func playPairs(
        on book: inout BudgetBook, agents: [AgentID], upTo limit: Int, until deadline: ContinuousClock.Instant
    ) throws -> Int {
        let clock = ContinuousClock()
        var pairs = 0
        while pairs < limit {
            // Reading the clock every pair would cost as much as a pair; every 1024 bounds the overshoot.
            if pairs % 1024 == 0, clock.now >= deadline { break }
            let agent = agents[pairs % agents.count]
            let reservation = TransferID(unchecked: "r\(pairs)")
            _ = try book.execute(
                .reserve(agent, amount: BenchBudget.reserveAmount, reservationID: reservation, timeout: nil), now: now)
            _ = try book.execute(.settle(reservationID: reservation, amount: BenchBudget.settleAmount), now: now)
            pairs += 1
            if pairs % 64 == 0 { _ = book.takeUnsavedChanges() }
        }
        return pairs
    }
}
