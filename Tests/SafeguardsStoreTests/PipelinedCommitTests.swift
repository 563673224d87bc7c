import Foundation
import GRDB
import Synchronization
import SafeguardsCore
import SafeguardsTestKit
import Testing

@testable import SafeguardsStore

/// Holds SQLite's write lock on a database from a second connection, so the writer's next
/// commit waits in its busy handler until ``release()``: a commit "in fsync" that the test controls.
final class WriteLockHolder: Sendable {
    private let queue: DatabaseQueue

    init(path: String) throws {
        var configuration = Configuration()
        configuration.allowsUnsafeTransactions = true
        queue = try DatabaseQueue(path: path, configuration: configuration)
        try queue.writeWithoutTransaction { db in try db.execute(sql: "BEGIN IMMEDIATE") }
    }

    func release() throws {
        try queue.writeWithoutTransaction { db in try db.execute(sql: "COMMIT") }
    }
}

/// Waits (bounded) until `condition` holds of the writer's own book.
func waitUntilApplied(
    _ writer: BudgetWriter, _ condition: @escaping @Sendable (borrowing BudgetBook) -> Bool
) async throws {
    for _ in 0..<2000 {
        if await writer.read({ condition($0) }) { return }
        try await Task.sleep(for: .milliseconds(2))
    }
    Issue.record("the writer never applied the command")
}

@Suite("Pipelined group commit")
struct PipelinedCommitTests {
    static let a1 = AgentID(unchecked: "a1")

    static func spent(_ book: borrowing BudgetBook) -> Amount { book.agentSnapshot(a1)?.spent ?? .zero }

    @Test func readersSeeOnlyWhatIsCommittedWhileTheNextGroupIsApplied() async throws {
        let fixture = try StoreFixture()
        try await fixture.seed()
        let writer = fixture.writer
        let lock = try WriteLockHolder(path: fixture.path)

        let first = Task { try await writer.submit(.spend(Self.a1, amount: 7, transferID: TransferID(unchecked: "s1"))) }
        try await waitUntilApplied(writer) { Self.spent($0) == 7 }
        // Applied in memory, not on disk: readers still see the committed state.
        #expect(writer.view { $0.agentSnapshot(Self.a1)?.spent } == .zero)
        #expect(writer.view { $0.ledgerTotals().isBalanced })
        #expect(try fixture.store.transfer(TransferID(unchecked: "s1")) == nil)

        // Two more arrive while the first commit waits: both are applied at once.
        let second = Task { try await writer.submit(.spend(Self.a1, amount: 2, transferID: TransferID(unchecked: "s2"))) }
        let third = Task { try await writer.submit(.spend(Self.a1, amount: 1, transferID: TransferID(unchecked: "s3"))) }
        try await waitUntilApplied(writer) { Self.spent($0) == 10 }
        #expect(writer.view { $0.agentSnapshot(Self.a1)?.spent } == .zero)
        let commitsBefore = await writer.statistics.commits

        try lock.release()
        _ = try await first.value
        _ = try await second.value
        _ = try await third.value
        #expect(writer.view { $0.agentSnapshot(Self.a1)?.spent } == 10)
        // The first group alone, then the two that queued behind its sync in one transaction.
        #expect(await writer.statistics.commits - commitsBefore == 2)
        let reloaded = try LedgerStore(path: fixture.path).loadBook()
        #expect(reloaded.agentSnapshot(Self.a1)?.spent == 10)
        #expect(writer.view { BudgetViewComparison($0) } == BudgetViewComparison(BudgetView(reloaded)))
    }

    @Test func aReplayIsAnsweredOnlyOnceTheOriginalIsDurable() async throws {
        let fixture = try StoreFixture()
        try await fixture.seed()
        let writer = fixture.writer
        let lock = try WriteLockHolder(path: fixture.path)
        let command = BudgetCommand.spend(Self.a1, amount: 4, transferID: TransferID(unchecked: "same"))
        let original = Task { try await writer.submit(command) }
        try await waitUntilApplied(writer) { Self.spent($0) == 4 }
        let answered = Mutex(false)
        let replay = Task {
            let result = try await writer.submit(command)
            answered.withLock { $0 = true }
            return result
        }
        // The replay finds the original in memory; it must still wait for the original's commit.
        try await Task.sleep(for: .milliseconds(100))
        #expect(!answered.withLock { $0 })
        #expect(try fixture.store.transfer(TransferID(unchecked: "same")) == nil)
        try lock.release()
        guard case .transfer(_, let firstReplayed) = try await original.value,
            case .transfer(let transfer, let replayed) = try await replay.value
        else {
            Issue.record("spends answered with something else than a transfer")
            return
        }
        #expect(!firstReplayed)
        #expect(replayed)
        // By the time the replay was answered, its transfer was on disk.
        #expect(try fixture.store.transfer(transfer.id) != nil)
    }

    @Test func aFailedCommitFailsTheGroupsAppliedOnTopOfItAndReloads() async throws {
        let fixture = try StoreFixture()
        try await fixture.seed()
        let writer = fixture.writer
        try await fixture.store.database.write { db in
            try db.execute(
                sql: """
                    CREATE TEMP TRIGGER refuse_boom BEFORE INSERT ON transfers WHEN NEW.id = 'boom'
                    BEGIN SELECT RAISE(ABORT, 'disk says no'); END
                    """)
        }
        let before = await fixture.snapshot()
        let lock = try WriteLockHolder(path: fixture.path)
        let doomed = Task { try await writer.submit(.spend(Self.a1, amount: 7, transferID: TransferID(unchecked: "boom"))) }
        try await waitUntilApplied(writer) { Self.spent($0) == 7 }
        // Applied on top of a change that will not reach the disk.
        let onTop = Task { try await writer.submit(.spend(Self.a1, amount: 3, transferID: TransferID(unchecked: "on-top"))) }
        try await waitUntilApplied(writer) { Self.spent($0) == 10 }
        try lock.release()

        for task in [doomed, onTop] {
            do {
                _ = try await task.value
                Issue.record("a spend applied on top of a failed commit was acknowledged")
            } catch let error as SafeguardsError {
                #expect(error.code == .unavailable)
            }
        }
        // Memory is as on disk once the callers hear of the failure, and the writer goes on.
        #expect(await fixture.snapshot() == before)
        #expect(writer.view { $0.agentSnapshot(Self.a1)?.spent } == .zero)
        #expect(try fixture.store.transfer(TransferID(unchecked: "on-top")) == nil)
        _ = try await writer.submit(.spend(Self.a1, amount: 3, transferID: TransferID(unchecked: "on-top")))
        #expect(writer.view { $0.agentSnapshot(Self.a1)?.spent } == 3)
        #expect(StoreFixture.view(of: try LedgerStore(path: fixture.path).loadBook()) == (await fixture.snapshot()))
    }

    @Test func theViewFollowsEveryKindOfChange() async throws {
        let fixture = try StoreFixture()
        try await fixture.seed(agents: [("a1", 100), ("a2", 50)])
        let writer = fixture.writer
        _ = try await writer.submit(.spend(Self.a1, amount: 85, transferID: TransferID(unchecked: "s1")))
        _ = try await writer.submit(
            .reserve(AgentID(unchecked: "a2"), amount: 20, reservationID: TransferID(unchecked: "r1"), timeout: .seconds(60)))
        _ = try await writer.submit(.settle(reservationID: TransferID(unchecked: "r1"), amount: 5))
        _ = try await writer.submit(
            .setAgentBudget(AgentID(unchecked: "a2"), budget: 70, reason: "more", transferID: TransferID(unchecked: "b1")))
        _ = try await writer.submit(
            .setPoolTotal(StoreFixture.pool, total: 2000, reason: "grow", transferID: TransferID(unchecked: "p1")))
        let book = await writer.read { BudgetViewComparison($0) }
        #expect(writer.view { BudgetViewComparison($0) } == book)
        #expect(writer.view { $0.agentSnapshot(Self.a1)?.agent.alertLevel } == .warning)
        #expect(writer.view { BudgetViewComparison($0) } == BudgetViewComparison(BudgetView(try fixture.store.loadBook())))
    }
}

/// What a reader can see, for comparing a view with a book.
struct BudgetViewComparison: Equatable, Sendable {
    var pools: [PoolSnapshot]
    var agents: [AgentSnapshot]
    var totals: LedgerTotals

    init(_ state: some BudgetReading) {
        pools = state.poolSnapshots()
        agents = state.agentSnapshots()
        totals = state.ledgerTotals()
    }
}
