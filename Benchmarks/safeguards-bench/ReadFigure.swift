import Foundation
import SafeguardsCore
import SafeguardsNode

/// Figure 11: what a read of a big node holds the committed view for. The API's reads run inside
/// `BudgetWriter.view`, and a commit's results are published into that view under the same lock,
/// so a long read delays every acknowledgment behind it.
/// - `reads.agents.page`: one page of 100 agents of `GET /v1/agents`, at the start and in the
///   middle of the id order, against listing every agent sorted and cutting the page from it.
/// - `reads.status.agents`: the status page's agent rows (100 nearest their limits) and counts,
///   against sorting every agent's snapshot.
/// On a `BudgetView` of `agents` agents (100 000; 10 000 quick), a fifth of them with spends.
enum ReadFigure {
    static func run(plan: BenchPlan) throws -> [FigureLine] {
        let count = plan.readAgents
        let view = try book(agents: count)
        let repetitions = plan.learningRepetitions
        let middle = view.agentSnapshots().dropFirst(count / 2).first?.agent.id.rawValue

        var checked = true
        var line = FigureLine("reads.agents.page")
        line.add("agents", count)
        // What each timed run makes is kept (its count), so none can be optimized away.
        var kept = 0
        let first = time(repetitions) { kept &+= view.agentSnapshots(after: nil, limit: 100).agents.count }
        let inMiddle = time(repetitions) { kept &+= view.agentSnapshots(after: middle, limit: 100).agents.count }
        var fullPage: [AgentSnapshot] = []
        let full = time(repetitions) {
            let all = view.agentSnapshots()
            let start = all.firstIndex { $0.agent.id.rawValue > (middle ?? "") } ?? all.endIndex
            fullPage = Array(all[start...].prefix(100))
        }
        checked = checked && fullPage == view.agentSnapshots(after: middle, limit: 100).agents
        line.add(milliseconds: "first_page_ms", first)
        line.add(milliseconds: "middle_page_ms", inMiddle)
        line.add(milliseconds: "sort_all_ms", full)
        line.add("sort_all_over_page", full.seconds / max(inMiddle.seconds, 1e-9), decimals: 1)
        line.add("runs", repetitions)
        var lines = [line]

        line = FigureLine("reads.status.agents")
        line.add("agents", count)
        let digest = time(repetitions) { kept &+= AgentDigest(view, rows: 100).nearest.count }
        var sortedRows: [AgentSnapshot] = []
        let sorted = time(repetitions) {
            let ranked = view.agentSnapshots().map { agent in
                (agent, Amount.clampedSum([agent.spentThisPeriod, agent.reserved]).basisPoints(of: agent.total))
            }.sorted { left, right in
                (left.0.agent.alertLevel, left.1, right.0.agent.id) > (right.0.agent.alertLevel, right.1, left.0.agent.id)
            }
            sortedRows = ranked.prefix(100).map(\.0)
        }
        checked = checked && sortedRows == AgentDigest(view, rows: 100).nearest.map(\.snapshot)
        line.add(milliseconds: "digest_ms", digest)
        line.add(milliseconds: "sort_all_ms", sorted)
        line.add("sort_all_over_digest", sorted.seconds / max(digest.seconds, 1e-9), decimals: 1)
        line.add("runs", repetitions)
        lines.append(line)

        checked = checked && kept == 3 * repetitions * 100
        var check = FigureLine("check reads")
        check.status = checked ? "ok" : "FAILED"
        lines.append(check)
        guard checked else { throw BenchFailure("a page or the status rows differed from the full sort") }
        return lines
    }

    /// A committed view of one pool with `agents` agents; every fifth has spent part of its budget.
    static func book(agents: Int) throws -> BudgetView {
        var book = BudgetBook()
        let now = Timestamp(millisecondsSince1970: 1_767_225_600_000)
        let pool = PoolID(unchecked: "reads")
        try book.execute(
            .createPool(
                pool, name: "reads", priority: try PoolPriority(5), initialBudget: Amount(micros: Int64(agents) * 100_000_000),
                metadata: [:], key: nil),
            now: now)
        var random = SeededRandom(seed: 12)
        for number in 0..<agents {
            let agent = AgentID(unchecked: "agent-\(random.int(in: 0...999_999))-\(number)")
            try book.execute(.registerAgent(agent, pool: pool, priority: .medium, initialBudget: 100, key: nil), now: now)
            if number % 5 == 0 {
                try book.execute(
                    .spend(agent, amount: Amount(micros: Int64(random.int(in: 1...100)) * 1_000_000),
                        transferID: TransferID(unchecked: "s-\(number)")),
                    now: now)
            }
            if number % 4096 == 0 { _ = book.takeUnsavedChanges() }
        }
        _ = book.takeUnsavedChanges()
        return BudgetView(book)
    }

    /// The median of `repetitions` runs of `body`.
    private static func time(_ repetitions: Int, _ body: () -> Void) -> Duration {
        let clock = ContinuousClock()
        var samples: [Duration] = []
        for _ in 0..<max(1, repetitions) {
            let start = clock.now
            body()
            samples.append(clock.now - start)
        }
        return samples.sorted()[samples.count / 2]
    }
}
