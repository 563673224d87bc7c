import SafeguardsCore
import Testing

private typealias F = LedgerFixture

@Suite("Ledger idempotency")
struct LedgerIdempotencyTests {
    @Test("repeating a create with the same id and fields returns the first transfer and changes nothing")
    func sameCreateIsReplayed() throws {
        var ledger = try F.funded()
        let request = F.single("t1", from: F.alice, to: F.bob, 100)
        let first = try ledger.apply(.create(request), now: F.start)
        _ = ledger.takeUnsavedChanges()
        let accountsBefore = ledger.accounts

        // Even though alice could not afford it again, the retry is answered from the record.
        let retry = try ledger.apply(.create(request), now: F.at(milliseconds: 5_000))
        #expect(retry.replayed)
        #expect(retry.transfer == first.transfer)
        #expect(ledger.accounts == accountsBefore)
        #expect(ledger.takeUnsavedChanges().isEmpty)
    }

    @Test("a single-phase request that carries a timeout is replayed, not a conflict")
    func singlePhaseRequestWithTimeoutIsReplayed() throws {
        var ledger = try F.funded()
        var request = F.single("t1", from: F.alice, to: F.bob, 10)
        request.timeout = .seconds(30)
        try ledger.apply(.create(request), now: F.start)
        #expect(ledger.transfer(request.id)?.timeoutMilliseconds == nil)
        #expect(try ledger.apply(.create(request), now: F.start).replayed)
        #expect(ledger.posted(F.bob) == 10)
    }

    @Test("the same id with any other field is a conflict", arguments: 0..<6)
    func sameIDOtherFieldsIsConflict(variant: Int) throws {
        var ledger = try F.funded()
        let original = F.pending("p1", from: F.alice, to: F.bob, 10, timeout: .seconds(60))
        try ledger.apply(.create(original), now: F.start)
        let accountsBefore = ledger.accounts
        var other = original
        switch variant {
        case 0: other.amount = 11
        case 1: other.creditAccount = F.funding
        case 2: other.isPending = false
        case 3: other.timeout = .seconds(61)
        case 4: other.reason = "another reason"
        default: other.metadata = ["kind": "other"]
        }
        #expect(throws: LedgerError.transferIDConflict(original.id)) {
            try ledger.apply(.create(other), now: F.start)
        }
        #expect(ledger.accounts == accountsBefore)
        #expect(ledger.transfer(original.id)?.amount == 10)
    }

    @Test("a post retried with the same amount is a replay; with another amount it is refused")
    func postRetry() throws {
        var ledger = try F.funded()
        let id = TransferID(unchecked: "p1")
        try ledger.apply(.create(F.pending("p1", from: F.alice, to: F.bob, 60)), now: F.start)
        try ledger.apply(.post(id, amount: 25), now: F.start)
        let accountsBefore = ledger.accounts

        let retry = try ledger.apply(.post(id, amount: 25), now: F.at(milliseconds: 1))
        #expect(retry.replayed)
        #expect(retry.transfer?.postedAmount == 25)
        #expect(throws: LedgerError.notPending(id, .posted)) { try ledger.apply(.post(id, amount: 30), now: F.start) }
        #expect(throws: LedgerError.notPending(id, .posted)) { try ledger.apply(.post(id, amount: nil), now: F.start) }
        #expect(throws: LedgerError.notPending(id, .posted)) { try ledger.apply(.void(id), now: F.start) }
        #expect(ledger.accounts == accountsBefore)
    }

    @Test("a full post retried without an amount is a replay")
    func fullPostRetry() throws {
        var ledger = try F.funded()
        let id = TransferID(unchecked: "p1")
        try ledger.apply(.create(F.pending("p1", from: F.alice, to: F.bob, 60)), now: F.start)
        try ledger.apply(.post(id, amount: nil), now: F.start)
        #expect(try ledger.apply(.post(id, amount: nil), now: F.start).replayed)
        #expect(try ledger.apply(.post(id, amount: 60), now: F.start).replayed)
        #expect(ledger.posted(F.bob) == 60)
    }
}
