import SafeguardsCore
import Testing

/// A bounded selection keeps exactly what a full sort would put first, and agent pages built on it
/// walk every agent once, in id order, as the full sorted list does.
@Suite("Bounded selection and agent pages")
struct BoundedSelectionTests {
    @Test func keepsWhatAFullSortPutsFirst() {
        var random = SeededRandom(seed: 7)
        for _ in 0..<300 {
            let count = random.int(in: 0...200)
            let capacity = random.int(in: 0...40)
            // Few distinct values, so ties are common; the index breaks them into a total order.
            let values = (0..<count).map { (value: random.int(in: 0...15), index: $0) }
            let order: ((value: Int, index: Int), (value: Int, index: Int)) -> Bool = {
                ($0.value, $0.index) < ($1.value, $1.index)
            }
            var selection = BoundedSelection(capacity: capacity, by: order)
            for value in values.shuffled(using: &random) { selection.offer(value) }
            let expected = values.sorted(by: order).prefix(capacity)
            #expect(selection.count == min(capacity, count))
            #expect(selection.sorted().map(\.index) == expected.map(\.index), "count \(count), capacity \(capacity)")
        }
    }

    @Test func aNegativeCapacityKeepsNothing() {
        var selection = BoundedSelection<Int>(capacity: -3, by: <)
        selection.offer(1)
        #expect(selection.capacity == 0 && selection.sorted().isEmpty)
    }

    @Test func agentPagesWalkEveryAgentOnceInIdOrder() throws {
        var book = BudgetBook()
        var random = SeededRandom(seed: 11)
        let pools = [PoolID(unchecked: "p-one"), PoolID(unchecked: "p-two")]
        for (number, pool) in pools.enumerated() {
            try book.execute(
                .createPool(pool, name: "pool-\(number)", priority: .five, initialBudget: 100_000, metadata: [:], key: nil),
                now: BookFixture.start)
        }
        // Ids that sort unlike their registration order, some sharing long prefixes.
        for number in 0..<157 {
            let id = AgentID(unchecked: "agent-\(random.int(in: 0...9))-\(String(number * 7919 % 1000, radix: 16))-\(number)")
            try book.execute(
                .registerAgent(id, pool: pools[number % 2], priority: .medium, initialBudget: 1, key: nil),
                now: BookFixture.start)
        }
        for pool in [nil] + pools.map(Optional.some) {
            let all = book.agentSnapshots(in: pool)
            for limit in [1, 2, 7, 50, 78, 79, 157, 1000] {
                var walked: [AgentSnapshot] = []
                var after: String?
                var pages = 0
                while true {
                    let (page, more) = book.agentSnapshots(in: pool, after: after, limit: limit)
                    #expect(page.count == (more ? limit : page.count) && page.count <= limit)
                    walked += page
                    pages += 1
                    guard more, let last = page.last else { break }
                    after = last.agent.id.rawValue
                }
                #expect(walked == all, "pool \(pool?.rawValue ?? "all"), limit \(limit)")
                #expect(pages == max(1, (all.count + limit - 1) / limit))
            }
            // A cursor past every id, or between two ids, starts where it should.
            #expect(book.agentSnapshots(in: pool, after: "zzz", limit: 10) == ([], false))
            let middle = all[all.count / 2].agent.id.rawValue
            let rest = book.agentSnapshots(in: pool, after: middle, limit: 1000)
            #expect(rest.agents == Array(all[(all.count / 2 + 1)...]) && !rest.more)
        }
        #expect(book.agentSnapshots(in: PoolID(unchecked: "none"), after: nil, limit: 5) == ([], false))
    }
}
