import SafeguardsCore
import Synchronization
import Testing

/// A journal in memory: what the store would hold once the book's changes are committed.
final class MemoryArchive: TransferArchive {
    private let rows = Mutex<[TransferID: Transfer]>([:])
    private let lookUps = Mutex(0)

    /// How many look-ups by id reached the archive.
    var lookUpCount: Int { lookUps.withLock { $0 } }

    /// Commits the changes taken from a book.
    func commit(_ changes: [BudgetChange]) {
        rows.withLock { rows in
            for case .ledger(let change) in changes {
                switch change {
                case .transferCreated(let transfer), .transferResolved(let transfer): rows[transfer.id] = transfer
                case .accountOpened: break
                }
            }
        }
    }

    func transfer(_ id: TransferID) -> Transfer? {
        lookUps.withLock { $0 += 1 }
        return rows.withLock { $0[id] }
    }

    func transfers(withIDPrefix prefix: String, limit: Int) -> [Transfer] {
        rows.withLock { rows in
            Array(rows.values.filter { $0.id.rawValue.hasPrefix(prefix) }.sorted { $0.id < $1.id }.prefix(limit))
        }
    }
}

/// A book whose changes are committed to a ``MemoryArchive`` as they are taken, with a clock
/// that the test moves.
struct WindowedBook {
    var book: BudgetBook
    let archive = MemoryArchive()
    var now = BookFixture.start
    static let window: Duration = .seconds(60)

    init() throws {
        book = try BookFixture.book(poolBudget: 1000, agentBudget: 500)
        book.archive = archive
        // The fixture's first changes were taken before the archive was set: write them again.
        book.ledger.transfers.values.forEach { archive.commit([.ledger(.transferCreated($0))]) }
    }

    /// Runs `command` now and commits its changes.
    @discardableResult
    mutating func run(_ command: BudgetCommand) throws -> BudgetResult {
        let result = try book.execute(command, now: now)
        archive.commit(book.takeUnsavedChanges())
        return result
    }

    /// Moves the clock and evicts everything committed that is older than the window.
    mutating func pass(_ duration: Duration) {
        now = now.advanced(by: duration)
        book.evictRetired(before: now.advanced(by: .zero - Self.window), through: book.ledger.retirementMark, limit: .max)
    }

    var balances: [AccountID: Account] {
        var all: [AccountID: Account] = [:]
        book.forEachAccount { all[$0.id] = $0 }
        return all
    }
}

@Suite("Ledger idempotency window")
struct LedgerWindowTests {
    static let a1 = BookFixture.agent
    static func id(_ text: String) -> TransferID { TransferID(unchecked: text) }

    @Test func afterEvictionMemoryHoldsOnlyAccountsPendingAndTheWindow() throws {
        var fixture = try WindowedBook()
        for index in 0..<50 {
            try fixture.run(.spend(Self.a1, amount: 1, transferID: Self.id("spd:old\(index)")))
        }
        try fixture.run(.reserve(Self.a1, amount: 5, reservationID: Self.id("rsv:kept"), timeout: nil))
        fixture.pass(.seconds(120))
        for index in 0..<7 {
            try fixture.run(.spend(Self.a1, amount: 1, transferID: Self.id("spd:new\(index)")))
        }
        let accountsBefore = fixture.book.ledger.accounts.count
        fixture.pass(.seconds(30))
        // The 7 recent spends and the pending reservation; the fixture's transfers and the old
        // spends left.
        #expect(fixture.book.ledger.transfers.count == 8)
        #expect(fixture.book.ledger.pendingTransferIDs == [Self.id("rsv:kept")])
        #expect(fixture.book.ledger.accounts.count == accountsBefore)
        #expect(fixture.book.ledger.totals().isBalanced)
        #expect(fixture.book.a1?.spent == 57)
        // Slots are reused: 45 more spends take the slots still free, the table does not grow.
        let capacity = fixture.book.ledger.transfers.capacity
        #expect(capacity == 53)
        for index in 0..<45 {
            try fixture.run(.spend(Self.a1, amount: 1, transferID: Self.id("spd:reuse\(index)")))
        }
        #expect(fixture.book.ledger.transfers.capacity == capacity)
    }

    @Test func aRetryOutsideTheWindowAnswersLikeTheFirstAndMovesNothing() throws {
        var fixture = try WindowedBook()
        let spend = try fixture.run(.spend(Self.a1, amount: 3, transferID: Self.id("spd:k")))
        try fixture.run(.reserve(Self.a1, amount: 20, reservationID: Self.id("rsv:s"), timeout: .seconds(30)))
        let settled = try fixture.run(.settle(reservationID: Self.id("rsv:s"), amount: 4))
        try fixture.run(.reserve(Self.a1, amount: 9, reservationID: Self.id("rsv:r"), timeout: nil))
        let released = try fixture.run(.release(reservationID: Self.id("rsv:r")))
        let resized = try fixture.run(.setPoolTotal(BookFixture.pool, total: 1200, reason: "grow", transferID: Self.id("pool:1")))
        try fixture.run(.setResourceBudgets(Self.a1, budgets: ["api_calls": 100, "gpu": 10], transferID: Self.id("res:b")))
        let reservedResources = try fixture.run(
            .reserveResources(Self.a1, amounts: ["api_calls": 10, "gpu": 2], reservationID: Self.id("rr:1"), timeout: nil))
        let resolvedResources = try fixture.run(.resolveResources(reservationID: Self.id("rr:1"), used: ["gpu": 1]))
        fixture.pass(.seconds(3600))
        #expect(fixture.book.ledger.transfers.count == 0)
        #expect(fixture.book.resourceReservationCount == 0)
        let before = fixture.balances

        let commands: [(BudgetCommand, BudgetResult)] = [
            (.spend(Self.a1, amount: 3, transferID: Self.id("spd:k")), spend),
            (.settle(reservationID: Self.id("rsv:s"), amount: 4), settled),
            (.release(reservationID: Self.id("rsv:r")), released),
            (.resolveResources(reservationID: Self.id("rr:1"), used: ["gpu": 1]), resolvedResources),
            (.reserveResources(Self.a1, amounts: ["api_calls": 10, "gpu": 2], reservationID: Self.id("rr:1"), timeout: nil),
                reservedResources),
        ]
        for (command, first) in commands {
            let retry = try fixture.run(command)
            #expect(retry.replayed == true, "\(command)")
            switch (retry, first) {
            case (.transfer(let again, _), .transfer(let original, _)): #expect(again == original)
            case (.resources(let again, _), .resources(let original, _)):
                // A reservation's retry shows its transfers as they stand now (resolved).
                #expect(again.map(\.id) == original.map(\.id))
            default: Issue.record("unexpected \(retry)")
            }
            fixture.pass(.seconds(3600))
        }
        let resizeRetry = try fixture.run(
            .setPoolTotal(BookFixture.pool, total: 1200, reason: "grow", transferID: Self.id("pool:1")))
        #expect(resizeRetry.replayed == true)
        #expect(resizeRetry.pool?.total == resized.pool?.total)
        // The reservation's retry with a changed amount is still a conflict, from the archive.
        fixture.book.expectRefusal(
            .conflict, .reserve(Self.a1, amount: 21, reservationID: Self.id("rsv:s"), timeout: .seconds(30)),
            now: fixture.now)
        #expect(fixture.balances == before)
        #expect(fixture.book.ledger.totals().isBalanced)
    }

    @Test func onlyTransfersWhoseChangesAreCommittedLeave() throws {
        var fixture = try WindowedBook()
        try fixture.run(.spend(Self.a1, amount: 1, transferID: Self.id("spd:committed")))
        let committedMark = fixture.book.ledger.retirementMark
        try fixture.run(.spend(Self.a1, amount: 1, transferID: Self.id("spd:in-flight")))
        fixture.now = fixture.now.advanced(by: .seconds(3600))
        fixture.book.evictRetired(before: fixture.now, through: committedMark, limit: .max)
        #expect(fixture.book.ledger.transfers[Self.id("spd:committed")] == nil)
        #expect(fixture.book.ledger.transfers[Self.id("spd:in-flight")] != nil)
    }

    @Test func evictionGoesInStepsOfTheLimit() throws {
        var fixture = try WindowedBook()
        for index in 0..<10 { try fixture.run(.spend(Self.a1, amount: 1, transferID: Self.id("spd:\(index)"))) }
        let held = fixture.book.ledger.transfers.count
        fixture.now = fixture.now.advanced(by: .seconds(3600))
        let mark = fixture.book.ledger.retirementMark
        #expect(fixture.book.evictRetired(before: fixture.now, through: mark, limit: 4) == 4)
        #expect(fixture.book.ledger.transfers.count == held - 4)
    }

    @Test func aReusedSlotIsNeverExpiredByTheEntryOfItsOldTransfer() throws {
        var fixture = try WindowedBook()
        try fixture.run(.reserve(Self.a1, amount: 5, reservationID: Self.id("rsv:short"), timeout: .seconds(10)))
        try fixture.run(.release(reservationID: Self.id("rsv:short")))
        fixture.pass(.seconds(120))
        #expect(fixture.book.ledger.transfers.count == 0)
        try fixture.run(.reserve(Self.a1, amount: 5, reservationID: Self.id("rsv:long"), timeout: .seconds(3600)))
        #expect(fixture.book.ledger.transfers.capacity == 3)
        // The old entry (due 10 s after the start) names the reused slot; the new reservation is
        // not due for an hour.
        #expect(fixture.book.ledger.expiredPendingTransfers(at: fixture.now.advanced(by: .seconds(60))).isEmpty)
        let expired = try fixture.run(.expireReservations)
        #expect(expired.expired?.isEmpty == true)
        #expect(fixture.book.ledger.transfers[Self.id("rsv:long")]?.state == .pending)
        #expect(fixture.book.ledger.expiredPendingTransfers(at: fixture.now.advanced(by: .seconds(3601))) == [Self.id("rsv:long")])
    }

    @Test func idsTheNodeMintedAreNotLookedUp() throws {
        var fixture = try WindowedBook()
        let before = fixture.archive.lookUpCount
        try fixture.run(.spend(Self.a1, amount: 1, transferID: Self.id("spd_0123456789abcdef0123456789abcdef")))
        #expect(fixture.archive.lookUpCount == before)
        try fixture.run(.spend(Self.a1, amount: 1, transferID: Self.id("spd:key")))
        #expect(fixture.archive.lookUpCount == before + 1)
        #expect(!Self.id("spd_0123456789abcdef0123456789abcdeg").isMintedByNode)
        #expect(!Self.id("spd:0123456789abcdef0123456789abcdef").isMintedByNode)
        #expect(Self.id("rsv_0123456789abcdef0123456789abcdef").isMintedByNode)
    }

    @Test func aLinkedBatchThatFailsGivesItsSlotsBack() throws {
        var fixture = try WindowedBook()
        for index in 0..<4 { try fixture.run(.spend(Self.a1, amount: 1, transferID: Self.id("spd:\(index)"))) }
        fixture.pass(.seconds(3600))
        let capacity = fixture.book.ledger.transfers.capacity
        // The second type has too little: the first part is created in a freed slot, then taken back.
        try fixture.run(.setResourceBudgets(Self.a1, budgets: ["api_calls": 5, "gpu": 1], transferID: Self.id("res:b")))
        fixture.book.expectRefusal(
            .insufficientBudget,
            .reserveResources(Self.a1, amounts: ["api_calls": 1, "gpu": 2], reservationID: Self.id("rr"), timeout: nil),
            now: fixture.now)
        #expect(fixture.book.ledger.transfers[Self.id("rr:api_calls")] == nil)
        try fixture.run(.reserve(Self.a1, amount: 1, reservationID: Self.id("rsv:after"), timeout: nil))
        #expect(fixture.book.ledger.transfers.capacity == capacity)
        #expect(fixture.book.ledger.totals().isBalanced)
    }
}
