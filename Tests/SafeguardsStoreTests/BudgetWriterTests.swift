import Foundation
import GRDB
import Logging
import SafeguardsCore
import SafeguardsTestKit
import Testing

@testable import SafeguardsStore

/// A store and writer on a fresh database file, with a manual clock.
struct StoreFixture {
    let path: String
    let clock = ManualClock(start: Timestamp(millisecondsSince1970: 1_800_000_000_000))
    let store: LedgerStore
    let writer: BudgetWriter

    static let pool = PoolID(unchecked: "pool_1")

    init(path: String? = nil) throws {
        let path = try path ?? (makeTemporaryDirectory() as NSString).appendingPathComponent("store.sqlite")
        self.path = path
        store = try LedgerStore(path: path)
        let clock = clock
        writer = try BudgetWriter(store: store, now: { clock.now() }, logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
    }

    /// A pool of `poolBudget` with one agent per entry of `agents`.
    func seed(poolBudget: Amount = 1000, agents: [(String, Amount)] = [("a1", 100)]) async throws {
        _ = try await writer.submit(
            .createPool(Self.pool, name: "main", priority: try PoolPriority(5), initialBudget: poolBudget, metadata: [:],
                key: nil))
        for (id, budget) in agents {
            _ = try await writer.submit(
                .registerAgent(AgentID(unchecked: id), pool: Self.pool, priority: .high, initialBudget: budget, key: nil))
        }
    }

    /// Everything the book shows, for comparing memory with what a reload finds.
    func snapshot() async -> BookView {
        await writer.read { book in
            BookView(
                pools: book.poolSnapshots(), agents: book.agentSnapshots(),
                transfers: book.ledger.transfers, totals: book.ledger.totals())
        }
    }

    static func view(of book: BudgetBook) -> BookView {
        BookView(
            pools: book.poolSnapshots(), agents: book.agentSnapshots(), transfers: book.ledger.transfers,
            totals: book.ledger.totals())
    }
}

struct BookView: Equatable, Sendable {
    var pools: [PoolSnapshot]
    var agents: [AgentSnapshot]
    var transfers: TransferTable
    var totals: LedgerTotals
}

@Suite("Group-commit writer")
struct BudgetWriterTests {
    @Test func committedStateReloadsIdentically() async throws {
        let fixture = try StoreFixture()
        try await fixture.seed(agents: [("a1", 100), ("a2", 50)])
        let a1 = AgentID(unchecked: "a1")
        _ = try await fixture.writer.submit(.spend(a1, amount: 10, transferID: TransferID(unchecked: "s1")))
        _ = try await fixture.writer.submit(
            .reserve(a1, amount: 30, reservationID: TransferID(unchecked: "r1"), timeout: .seconds(60)))
        _ = try await fixture.writer.submit(.settle(reservationID: TransferID(unchecked: "r1"), amount: 12))
        _ = try await fixture.writer.submit(
            .reserve(a1, amount: 5, reservationID: TransferID(unchecked: "r2"), timeout: .seconds(60)))
        _ = try await fixture.writer.submit(
            .setAgentBudget(AgentID(unchecked: "a2"), budget: 75, reason: "more", transferID: TransferID(unchecked: "b1")))
        let live = await fixture.snapshot()
        #expect(live.totals.isBalanced)

        let reopened = try LedgerStore(path: fixture.path)
        #expect(StoreFixture.view(of: try reopened.loadBook()) == live)
        #expect(try reopened.transfer(TransferID(unchecked: "r2"))?.state == .pending)
    }

    @Test func concurrentSubmissionsNeverOverdrawAndAllAreDurable() async throws {
        let fixture = try StoreFixture()
        try await fixture.seed(agents: [("a1", 300)])
        let writer = fixture.writer
        let outcomes = await withTaskGroup(of: String.self) { group in
            for index in 0..<500 {
                group.addTask {
                    do {
                        _ = try await writer.submit(
                            .spend(AgentID(unchecked: "a1"), amount: 1, transferID: TransferID(unchecked: "s\(index)")))
                        return "ok"
                    } catch {
                        return (error as? SafeguardsError)?.code.rawValue ?? "\(error)"
                    }
                }
            }
            var counts: [String: Int] = [:]
            for await outcome in group { counts[outcome, default: 0] += 1 }
            return counts
        }
        #expect(outcomes == ["ok": 300, "insufficient_budget": 200])
        let statistics = await writer.statistics
        #expect(statistics.refused == 200)
        #expect(statistics.commits <= statistics.commands)
        let reloaded = try LedgerStore(path: fixture.path).loadBook()
        #expect(reloaded.agentSnapshot(AgentID(unchecked: "a1"))?.spent == 300)
        #expect(StoreFixture.view(of: reloaded) == (await fixture.snapshot()))
    }

    @Test func aFailedCommitLeavesMemoryAsOnDisk() async throws {
        let fixture = try StoreFixture()
        try await fixture.seed()
        let before = await fixture.snapshot()
        try await fixture.store.database.write { db in
            try db.execute(
                sql: """
                    CREATE TEMP TRIGGER refuse_boom BEFORE INSERT ON transfers WHEN NEW.id = 'boom'
                    BEGIN SELECT RAISE(ABORT, 'disk says no'); END
                    """)
        }
        await #expect(throws: SafeguardsError.self) {
            _ = try await fixture.writer.submit(.spend(AgentID(unchecked: "a1"), amount: 7, transferID: TransferID(unchecked: "boom")))
        }
        #expect(await fixture.snapshot() == before)
        // The writer goes on serving after the failure.
        _ = try await fixture.writer.submit(.spend(AgentID(unchecked: "a1"), amount: 3, transferID: TransferID(unchecked: "fine")))
        let after = await fixture.snapshot()
        #expect(after.agents.first?.spent == 3)
        #expect(StoreFixture.view(of: try LedgerStore(path: fixture.path).loadBook()) == after)
    }

    @Test func aRefusedCommandDoesNotFailTheOthersInItsGroup() async throws {
        let fixture = try StoreFixture()
        try await fixture.seed(agents: [("a1", 10)])
        let writer = fixture.writer
        let results = await withTaskGroup(of: (Int, Bool).self) { group in
            for index in 0..<40 {
                group.addTask {
                    // Every other command names an unknown agent.
                    let agent = AgentID(unchecked: index.isMultiple(of: 2) ? "a1" : "ghost")
                    let ok = (try? await writer.submit(
                        .spend(agent, amount: Amount(micros: 100_000), transferID: TransferID(unchecked: "t\(index)")))) != nil
                    return (index, ok)
                }
            }
            var results: [Int: Bool] = [:]
            for await (index, ok) in group { results[index] = ok }
            return results
        }
        #expect(results.filter { $0.value }.keys.sorted() == Array(stride(from: 0, to: 40, by: 2)))
        #expect(await fixture.snapshot().agents.first?.spent == 2)
    }
}

@Suite("SQLite store")
struct LedgerStoreTests {
    @Test func migrationsAreVersionedAndReopeningIsANoOp() throws {
        let fixture = try StoreFixture()
        let applied = try fixture.store.appliedMigrations()
        #expect(
            applied == [
                "v1_ledger", "v2_peers", "v3_federation_records", "v4_policies", "v5_cost_benefit",
                "v6_transfers_by_credit_account", "v7_bounded_refusals_and_paging",
                "v8_peer_trust_recovery", "v9_ledger_checkpoint", "v10_transfer_history",
                "v11_federation_checkpoint", "v12_history_by_time", "v13_api_keys",
                "v14_budget_periods", "v15_webhooks", "v16_closed_pools_and_agents",
            ])
        let reopened = try LedgerStore(path: fixture.path)
        #expect(try reopened.appliedMigrations() == applied)
    }

    @Test func databaseIsInWALModeWithFullSync() throws {
        let fixture = try StoreFixture()
        let (mode, synchronous) = try fixture.store.database.read { db in
            (try String.fetchOne(db, sql: "PRAGMA journal_mode"), try Int.fetchOne(db, sql: "PRAGMA synchronous"))
        }
        #expect(mode == "wal")
        #expect(synchronous == 2)
        let writerSynchronous = try fixture.store.database.write { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") }
        #expect(writerSynchronous == 2)
    }

    @Test func theJournalIsAppendOnly() async throws {
        let fixture = try StoreFixture()
        try await fixture.seed()
        _ = try await fixture.writer.submit(.spend(AgentID(unchecked: "a1"), amount: 4, transferID: TransferID(unchecked: "s1")))
        let attempts = [
            "UPDATE transfers SET amount = 1 WHERE id = 's1'",
            "UPDATE transfers SET debit_account = 'funding' WHERE id = 's1'",
            "UPDATE transfers SET state = 'voided' WHERE id = 's1'",
            "DELETE FROM transfers WHERE id = 's1'",
            "INSERT INTO transfers(id, debit_account, credit_account, amount, is_pending, reason, metadata, created_at, state, posted_amount) VALUES ('s1', 'agent:a1', 'spent:a1', 1, 0, 'dup', '{}', 0, 'posted', 1)",
        ]
        for sql in attempts {
            #expect(throws: DatabaseError.self, "\(sql)") {
                try fixture.store.database.write { db in try db.execute(sql: sql) }
            }
        }
        #expect(try fixture.store.transfer(TransferID(unchecked: "s1"))?.amount == 4)
    }
}
