import Foundation
import SafeguardsCore

/// Figure 4: resident memory per transfer held by a node's in-memory book.
///
/// Loads N single-phase spends (spread over 100 agents) into a fresh `BudgetBook` and reads the
/// process's resident set size (`VmRSS`) before and after. It runs first, on a heap no other
/// figure has grown yet; the difference over N is what each transfer costs the node in RAM:
/// the transfer itself, its id, reason and metadata strings, and its slot in the ledger's table.
enum MemoryFigure {
    static func run(plan: BenchPlan) throws -> FigureLine {
        let now = Timestamp(millisecondsSince1970: 1_800_000_000_000)
        let agentCount = 100
        var book = BudgetBook()
        let pool = PoolID(unchecked: "memory")
        _ = try book.execute(try BenchBudget.createPool(pool, agentCount: agentCount), now: now)
        let agents = BenchBudget.registerAgents(agentCount, prefix: "agent-", in: pool)
        for agent in agents { _ = try book.execute(agent.command, now: now) }
        _ = book.takeUnsavedChanges()

        guard let before = residentBytes() else { throw BenchFailure("cannot read VmRSS from /proc/self/status") }
        let amount = Amount(micros: 10_000)
        for index in 0..<plan.memoryTransfers {
            let agent = agents[index % agentCount].id
            _ = try book.execute(
                .spend(agent, amount: amount, transferID: TransferID(unchecked: "spd_\(index)")), now: now)
            if index % 1024 == 1023 { _ = book.takeUnsavedChanges() }
        }
        _ = book.takeUnsavedChanges()
        guard let after = residentBytes() else { throw BenchFailure("cannot read VmRSS from /proc/self/status") }
        guard book.ledger.transfers.count == plan.memoryTransfers + 1 + agentCount else {
            throw BenchFailure(
                "the book holds \(book.ledger.transfers.count) transfers, not \(plan.memoryTransfers) spends")
        }
        withExtendedLifetime(book) {}

        var line = FigureLine("memory.book.bytes_per_transfer")
        line.add("bytes_per_transfer", Double(after - before) / Double(plan.memoryTransfers), decimals: 0)
        line.add("transfers", plan.memoryTransfers)
        line.add("rss_before_mib", Double(before) / 1_048_576, decimals: 1)
        line.add("rss_after_mib", Double(after) / 1_048_576, decimals: 1)
        return line
    }

    /// The process's resident set size in bytes, from the `VmRSS` line of `/proc/self/status` (Linux).
    static func residentBytes() -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            // "VmRSS:     12345 kB"
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 3, let kibibytes = Int(fields[1]), fields[2] == "kB" else { return nil }
            return kibibytes * 1024
        }
        return nil
    }
}
