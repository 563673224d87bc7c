import Foundation
import Logging
import SafeguardsCore
import SafeguardsStore
import SafeguardsTestKit

/// Figure 4b: a node's memory is bounded by its live state, and it starts from checkpointed
/// balances. Run with `--only memory` (both lines handle a million transfers).
///
/// `memory.rss.bytes_per_transfer`: 1M spends (100 agents, ids as the node mints them) through
/// the durable `BudgetWriter` on a temporary SQLite file, with a manual clock that advances one
/// second per spend, so the default 24 h window holds about 86 400 transfers. Resident memory
/// (`VmRSS`) is read after 100k and after 1M spends; the growth between them over 900k is what
/// each transfer beyond the window costs in RAM (goal: at most 50 bytes).
///
/// `store.startup.transfers_1M`: a database holding 1M spends spread over 30 days (written
/// through the store in large transactions, as the writer writes them), then `loadBook` and the
/// writer's start timed: what a restart costs.
enum WindowMemoryFigure {
    static let agentCount = 100
    static let start = Timestamp(millisecondsSince1970: 1_800_000_000_000)

    static func run(options: BenchOptions, logger: Logger) async throws -> [FigureLine] {
        [try await residentMemory(options: options, logger: logger), try startup(options: options, logger: logger)]
    }

    static func residentMemory(options: BenchOptions, logger: Logger) async throws -> FigureLine {
        let directory = try ScratchDirectory.create(in: options.dataDirectory, label: "window")
        defer { directory.remove() }
        let clock = ManualClock(start: start)
        let writer = try BudgetWriter(
            store: try LedgerStore(path: directory.file("bench.sqlite")), now: { clock.now() }, logger: logger)
        let pool = PoolID(unchecked: "window")
        _ = try await writer.submit(try BenchBudget.createPool(pool, agentCount: agentCount))
        let agents = BenchBudget.registerAgents(agentCount, prefix: "w", in: pool)
        for agent in agents { _ = try await writer.submit(agent.command) }

        // Earlier figures freed memory that would absorb this one's growth: give it back first.
        releaseFreeMemory()
        var made = 0
        var resident: [Int] = []
        var held: [Int] = []
        for target in [100_000, 1_000_000] {
            while made < target {
                let batch = min(500, target - made)
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for offset in 0..<batch {
                        let index = made + offset
                        clock.advance(by: .seconds(1))
                        let id = mintedID(index)
                        let agent = agents[index % agentCount].id
                        group.addTask { _ = try await writer.submit(.spend(agent, amount: 1, transferID: id)) }
                    }
                    try await group.waitForAll()
                }
                made += batch
            }
            guard let bytes = MemoryFigure.residentBytes() else { throw BenchFailure("cannot read VmRSS") }
            resident.append(bytes)
            held.append(await writer.read { $0.ledger.transfers.count })
        }
        let capacity = await writer.read { $0.ledger.transfers.capacity }
        var line = FigureLine("memory.rss.bytes_per_transfer")
        line.add("bytes_per_transfer", Double(resident[1] - resident[0]) / 900_000, decimals: 1)
        line.add("rss_100k_mib", Double(resident[0]) / 1_048_576, decimals: 1)
        line.add("rss_1M_mib", Double(resident[1]) / 1_048_576, decimals: 1)
        line.add("held_100k", held[0])
        line.add("held_1M", held[1])
        line.add("slots", capacity)
        return line
    }

    static func startup(options: BenchOptions, logger: Logger) throws -> FigureLine {
        let directory = try ScratchDirectory.create(in: options.dataDirectory, label: "startup")
        defer { directory.remove() }
        let path = directory.file("bench.sqlite")
        let store = try LedgerStore(path: path)
        var book = try store.loadBook()
        let pool = PoolID(unchecked: "startup")
        try book.execute(try BenchBudget.createPool(pool, agentCount: agentCount), now: start)
        let agents = BenchBudget.registerAgents(agentCount, prefix: "s", in: pool)
        for agent in agents { try book.execute(agent.command, now: start) }
        let total = 1_000_000
        // 30 days over a million spends: one every 2.592 s.
        let step = Duration.milliseconds(2_592)
        var now = start
        for index in 0..<total {
            now = now.advanced(by: step)
            try book.execute(.spend(agents[index % agentCount].id, amount: 1, transferID: mintedID(index)), now: now)
            if index % 10_000 == 9_999 || index == total - 1 {
                let changes = book.takeUnsavedChanges()
                try store.write(changes, balances: book.viewDelta(of: changes).accounts)
                book.evictRetired(
                    before: now.advanced(by: .seconds(-86_400)), through: book.ledger.retirementMark, limit: .max)
            }
        }
        let clock = ContinuousClock()
        let began = clock.now
        let reopened = try LedgerStore(path: path)
        let end = now
        let writer = try BudgetWriter(store: reopened, now: { end }, logger: logger)
        let elapsed = clock.now - began
        let loaded = writer.view { $0.accounts.count }
        var line = FigureLine("store.startup.transfers_1M")
        line.add("seconds", Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18, decimals: 3)
        line.add("transfers", total)
        line.add("accounts", loaded)
        line.add("days", 30)
        return line
    }

    /// Returns the heap's free pages to the system (glibc's `malloc_trim`, looked up at run time
    /// because Swift's Glibc module does not declare it), so RSS grows only with what is used.
    static func releaseFreeMemory() {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_trim") else { return }
        typealias MallocTrim = @convention(c) (Int) -> Int32
        _ = unsafeBitCast(symbol, to: MallocTrim.self)(0)
    }

    /// An id as the node mints it for a call without a key (`spd_` and 32 hex digits).
    static func mintedID(_ index: Int) -> TransferID {
        let hex = String(UInt64(index), radix: 16)
        return TransferID(unchecked: "spd_" + String(repeating: "0", count: 32 - hex.count) + hex)
    }
}
