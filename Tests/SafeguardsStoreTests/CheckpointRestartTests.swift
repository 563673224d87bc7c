import Foundation
import GRDB
import Logging
import SafeguardsCore
import SafeguardsTestKit
import Testing

@testable import SafeguardsStore

/// A writer with a short idempotency window on a fresh database, and a manual clock.
struct WindowFixture {
    static let window: Duration = .seconds(60)
    static let pool = PoolID(unchecked: "pool_1")

    let path: String
    let clock = ManualClock(start: Timestamp(millisecondsSince1970: 1_800_000_000_000))
    var store: LedgerStore
    var writer: BudgetWriter

    init() throws {
        path = (try makeTemporaryDirectory() as NSString).appendingPathComponent("window.sqlite")
        store = try LedgerStore(path: path)
        writer = try Self.writer(store, clock)
    }

    static func writer(_ store: LedgerStore, _ clock: ManualClock) throws -> BudgetWriter {
        try BudgetWriter(
            store: store, now: { clock.now() }, idempotencyWindow: window,
            logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
    }

    /// Stops using the writer and opens the database again, as a node does at start.
    mutating func restart() throws {
        store = try LedgerStore(path: path)
        writer = try Self.writer(store, clock)
    }

    func seed(agents: Int, budget: Amount) async throws {
        _ = try await writer.submit(
            .createPool(Self.pool, name: "main", priority: try PoolPriority(5), initialBudget: 10_000_000, metadata: [:],
                key: nil))
        for index in 0..<agents {
            _ = try await writer.submit(
                .registerAgent(Self.agent(index), pool: Self.pool, priority: .high, initialBudget: budget, key: nil))
        }
    }

    static func agent(_ index: Int) -> AgentID { AgentID(unchecked: "a\(index)") }

    /// Submits `commands` at once, so they share group commits; returns each result or error.
    func submitTogether(_ commands: [BudgetCommand]) async -> [Result<BudgetResult, SafeguardsError>] {
        await withTaskGroup(of: (Int, Result<BudgetResult, SafeguardsError>).self) { group in
            for (index, command) in commands.enumerated() {
                group.addTask {
                    do throws(SafeguardsError) { return (index, .success(try await writer.submit(command))) } catch {
                        return (index, .failure(error))
                    }
                }
            }
            var results = [Result<BudgetResult, SafeguardsError>?](repeating: nil, count: commands.count)
            for await (index, result) in group { results[index] = result }
            return results.compactMap { $0 }
        }
    }

    /// Moves the clock past the window and runs a command, so the writer evicts (in steps: one
    /// per flush).
    func passTheWindow() async throws {
        clock.advance(by: Self.window * 2)
        for _ in 0..<1000 where await writer.read({ book in book.ledger.retiredCount }) > 0 {
            _ = try await writer.submit(.expireReservations)
        }
    }

    /// What must survive a restart: every balance, the pending transfers with their expiry,
    /// pools and agents (alert levels included).
    func state() async -> RestartState {
        await writer.read { book in RestartState(copy book) }
    }
}

struct RestartState: Equatable, Sendable {
    var accounts: [AccountID: Account] = [:]
    var pending: [TransferID: Timestamp?]
    var pools: [PoolSnapshot]
    var agents: [AgentSnapshot]

    init(_ book: BudgetBook) {
        var accounts: [AccountID: Account] = [:]
        book.forEachAccount { accounts[$0.id] = $0 }
        self.accounts = accounts
        let pending = book.ledger.pendingTransferIDs.compactMap { book.ledger.transfer($0) }
        self.pending = Dictionary(uniqueKeysWithValues: pending.map { ($0.id, $0.expiresAt) })
        pools = book.poolSnapshots()
        agents = book.agentSnapshots()
    }
}

@Suite("Checkpointed balances and restart")
struct CheckpointRestartTests {
    static func id(_ text: String) -> TransferID { TransferID(unchecked: text) }

    /// An id of the form the node mints (`spd_` and 32 hex digits).
    static func minted(_ prefix: String, _ high: Int, _ low: Int) -> TransferID {
        let digits = [high, low].map { value in
            let hex = String(UInt64(value), radix: 16)
            return String(repeating: "0", count: 16 - hex.count) + hex
        }
        return TransferID(unchecked: prefix + "_" + digits.joined())
    }

    /// The book is driven directly and its changes written as the writer writes them (checkpoint
    /// in the same transaction, eviction of committed transfers), in large groups so 100k
    /// transfers take seconds; the restart is a real writer start.
    @Test func aRestartAfter100kTransfersEqualsTheNodeBeforeIt() async throws {
        var fixture = try WindowFixture()
        let agents = 20
        try await fixture.seed(agents: agents, budget: 12_000)
        var book = try fixture.store.loadBook()
        var random = SeededRandom(seed: 13)
        var open: [TransferID] = []
        var made = 0
        var round = 0
        while made < 100_000 {
            let now = fixture.clock.now()
            for index in 0..<2000 {
                let agent = WindowFixture.agent(Int(random.next() % UInt64(agents)))
                let command: BudgetCommand
                // Ids as the node mints them for calls without a key (no archive look-up), and
                // now and then a key.
                let key = random.next() % 16 == 0
                switch random.next() % 4 {
                case 0, 1:
                    let id = key ? Self.id("spd:\(round)-\(index)") : Self.minted("spd", round, index)
                    command = .spend(agent, amount: Amount(micros: Int64(1 + random.next() % 9_000_000)), transferID: id)
                case 2:
                    let id = key ? Self.id("rsv:\(round)-\(index)") : Self.minted("rsv", round, index)
                    command = .reserve(agent, amount: 2, reservationID: id, timeout: .seconds(Int64(1 + random.next() % 300)))
                    open.append(id)
                default:
                    guard let reservation = open.popLast() else { continue }
                    command =
                        random.next() % 2 == 0 ? .settle(reservationID: reservation, amount: 1) : .release(reservationID: reservation)
                }
                made += 1
                _ = try? book.execute(command, now: now)
            }
            _ = try? book.execute(.expireReservations, now: now)
            let changes = book.takeUnsavedChanges()
            try fixture.store.write(changes, balances: book.viewDelta(of: changes).accounts)
            // 100k transfers over about an hour: the window (a minute) keeps a small part in memory.
            fixture.clock.advance(by: .seconds(80))
            book.evictRetired(
                before: fixture.clock.now().advanced(by: .zero - WindowFixture.window), through: book.ledger.retirementMark,
                limit: .max)
            round += 1
        }
        let before = RestartState(book)
        #expect(before.agents.contains { $0.agent.alertLevel != .normal })
        let alertsBefore = try fixture.store.alerts(limit: 1000)
        #expect(!alertsBefore.isEmpty)
        #expect(book.ledger.transfers.count < 10_000)

        try fixture.restart()
        #expect(await fixture.state() == before)
        #expect(await fixture.writer.read { $0.ledger.transfers.count } <= book.ledger.transfers.count)
        #expect(try fixture.store.alerts(limit: 1000) == alertsBefore)
        #expect(try fixture.store.checkCheckpoint().isConsistent)
        // Reservations still expire when they should after the restart.
        fixture.clock.advance(by: .seconds(400))
        _ = try await fixture.writer.submit(.expireReservations)
        #expect(await fixture.writer.read { $0.ledger.pendingTransferIDs.isEmpty })
        #expect(await fixture.writer.read { $0.ledger.totals().isBalanced })
    }

    @Test func aRetryOutsideTheWindowAnswersLikeTheFirstInProcessAndAfterARestart() async throws {
        var fixture = try WindowFixture()
        try await fixture.seed(agents: 1, budget: 100)
        let agent = WindowFixture.agent(0)
        let commands: [BudgetCommand] = [
            .spend(agent, amount: 3, transferID: Self.id("spd:k")),
            .reserve(agent, amount: 20, reservationID: Self.id("rsv:s"), timeout: .seconds(30)),
            .settle(reservationID: Self.id("rsv:s"), amount: 4),
            .reserve(agent, amount: 9, reservationID: Self.id("rsv:r"), timeout: nil),
            .release(reservationID: Self.id("rsv:r")),
            .setPoolTotal(WindowFixture.pool, total: 10_000_100, reason: "grow", transferID: Self.id("pool:1")),
            .setResourceBudgets(agent, budgets: ["api_calls": 100], transferID: Self.id("res:b")),
            .reserveResources(agent, amounts: ["api_calls": 10], reservationID: Self.id("rr:1"), timeout: nil),
            .resolveResources(reservationID: Self.id("rr:1"), used: ["api_calls": 4]),
        ]
        var first: [BudgetResult] = []
        for command in commands { first.append(try await fixture.writer.submit(command)) }
        for restart in [false, true] {
            try await fixture.passTheWindow()
            #expect(await fixture.writer.read { $0.ledger.transfers.count } == 0)
            if restart { try fixture.restart() }
            let before = await fixture.state()
            for (command, original) in zip(commands, first) {
                let retry = try await fixture.writer.submit(command)
                #expect(retry.isReplay, "\(command)")
                // A resolved transfer is answered as it was; a reservation's retry shows it as it now stands.
                if case .transfer(let again, _) = retry, case .transfer(let transfer, _) = original {
                    #expect(again.id == transfer.id)
                    if transfer.state != .pending { #expect(again == transfer) }
                }
                try await fixture.passTheWindow()
            }
            #expect(await fixture.state() == before)
        }
        #expect(try fixture.store.checkCheckpoint().isConsistent)
    }

    @Test func theChecksFindATamperedCheckpointAndATamperedJournal() async throws {
        let fixture = try WindowFixture()
        try await fixture.seed(agents: 2, budget: 100)
        _ = try await fixture.writer.submit(.spend(WindowFixture.agent(0), amount: 3, transferID: Self.id("s1")))
        _ = try await fixture.writer.submit(
            .reserve(WindowFixture.agent(1), amount: 5, reservationID: Self.id("r1"), timeout: nil))
        let memory = fixture.writer.view { $0.accounts }
        #expect(try fixture.store.checkCheckpoint().isConsistent)
        let clean = try fixture.store.checkCheckpointFully(against: memory)
        #expect(clean.isConsistent)
        #expect(clean.transfersRead == 5)

        let database = try DatabaseQueue(path: fixture.path)
        try await database.write { db in
            try db.execute(sql: "UPDATE accounts SET credits_posted = credits_posted + 1 WHERE id = 'agent:a0'")
        }
        let fast = try fixture.store.checkCheckpoint()
        #expect(fast.mismatchedAccounts == [AccountID(unchecked: "agent:a0")])
        let full = try fixture.store.checkCheckpointFully(against: memory)
        #expect(full.mismatchedAccounts == [AccountID(unchecked: "agent:a0")])
        #expect(full.memoryMismatchedAccounts == [AccountID(unchecked: "agent:a0")])
        try await database.write { db in
            try db.execute(sql: "UPDATE accounts SET credits_posted = credits_posted - 1 WHERE id = 'agent:a0'")
            try db.execute(sql: "UPDATE transfers SET posted_amount = posted_amount - 1 WHERE id = 's1'")
        }
        let spent = [AccountID(unchecked: "agent:a0"), AccountID(unchecked: "spent:a0")]
        #expect(try fixture.store.checkCheckpoint().mismatchedAccounts == spent)
        let fullAfter = try fixture.store.checkCheckpointFully(against: memory)
        #expect(fullAfter.mismatchedAccounts == spent)
        #expect(fullAfter.memoryMismatchedAccounts == [])
        try database.close()
    }

    @Test func aStartOnATamperedCheckpointIsRefused() async throws {
        let fixture = try WindowFixture()
        try await fixture.seed(agents: 1, budget: 100)
        _ = try await fixture.writer.submit(
            .reserve(WindowFixture.agent(0), amount: 5, reservationID: Self.id("r1"), timeout: nil))
        let database = try DatabaseQueue(path: fixture.path)
        try await database.write { db in
            try db.execute(sql: "UPDATE accounts SET debits_pending = debits_pending + 1 WHERE id = 'agent:a0'")
        }
        try database.close()
        #expect(throws: StoreError.self) { _ = try LedgerStore(path: fixture.path).loadBook() }
    }

    @Test func theMigrationFillsTheCheckpointFromTheJournal() throws {
        let path = (try makeTemporaryDirectory() as NSString).appendingPathComponent("old.sqlite")
        let database = try DatabaseQueue(path: path)
        try StoreSchema.migrator.migrate(database, upTo: "v8_peer_trust_recovery")
        try database.write { db in
            try db.execute(
                sql: """
                    INSERT INTO accounts(id, flags) VALUES ('funding', 0), ('pool:p', 1), ('agent:a', 1), ('spent:a', 0);
                    INSERT INTO transfers(id, debit_account, credit_account, amount, is_pending, timeout_ms, reason,
                        metadata, created_at, state, posted_amount, resolved_at) VALUES
                    ('f', 'funding', 'pool:p', 1000000000, 0, NULL, 'fund', '{}', 1, 'posted', 1000000000, NULL),
                    ('g', 'pool:p', 'agent:a', 50000000, 0, NULL, 'give', '{}', 2, 'posted', 50000000, NULL),
                    ('s', 'agent:a', 'spent:a', 7000000, 1, 1000, 'r', '{}', 3, 'posted', 3000000, 4),
                    ('v', 'agent:a', 'spent:a', 9000000, 1, 1000, 'r', '{}', 3, 'voided', 0, 4),
                    ('p', 'agent:a', 'spent:a', 2000000, 1, NULL, 'r', '{}', 5, 'pending', 0, NULL);
                    """)
        }
        try database.close()
        let store = try LedgerStore(path: path)
        #expect(try store.appliedMigrations().contains("v9_ledger_checkpoint"))
        #expect(try store.checkCheckpoint().isConsistent)
        let book = try store.loadBook(windowStart: Timestamp(millisecondsSince1970: 1000))
        #expect(book.ledger.transfers.count == 1)
        let agent = try #require(book.account(AccountID(unchecked: "agent:a")))
        #expect(agent.postedBalance == 47)
        #expect(agent.debitsPending == 2)
        #expect(book.ledger.totals().isBalanced)
    }
}

extension BudgetResult {
    /// Whether the command repeated an earlier one.
    var isReplay: Bool {
        switch self {
        case .pool(_, let replayed), .agent(_, let replayed), .transfer(_, let replayed), .resources(_, let replayed),
            .closed(_, let replayed), .agents(_, let replayed):
            replayed
        case .expired, .federation: false
        }
    }
}
