import SafeguardsCore
import Testing

private typealias F = LedgerFixture

@Suite("Ledger two-phase transfers")
struct LedgerTwoPhaseTests {
    let reservation = TransferID(unchecked: "p1")

    @Test("a pending transfer counts against the debit account's available balance at once")
    func pendingCountsAgainstAvailable() throws {
        var ledger = try F.funded()
        let outcome = try ledger.apply(.create(F.pending("p1", from: F.alice, to: F.bob, 60)), now: F.start)

        #expect(outcome.transfer?.state == .pending)
        #expect(outcome.transfer?.postedAmount == .zero)
        #expect(ledger.available(F.alice) == 40)
        #expect(ledger.posted(F.alice) == 100)
        #expect(ledger.account(F.alice)?.debitsPending == 60)
        #expect(ledger.account(F.bob)?.creditsPending == 60)
        // Pending credits do not count until posted.
        #expect(ledger.available(F.bob) == .zero)
        #expect(ledger.pendingTransferIDs == [reservation])
        #expect(throws: LedgerError.insufficientFunds(account: F.alice, available: 40, requested: 50)) {
            try ledger.apply(.create(F.pending("p2", from: F.alice, to: F.bob, 50)), now: F.start)
        }
        #expect(throws: LedgerError.insufficientFunds(account: F.alice, available: 40, requested: 41)) {
            try ledger.apply(.create(F.single("t2", from: F.alice, to: F.bob, 41)), now: F.start)
        }
        #expect(ledger.totals().isBalanced)
    }

    @Test("posting in full moves the whole reserved amount")
    func postInFull() throws {
        var ledger = try F.funded()
        try ledger.apply(.create(F.pending("p1", from: F.alice, to: F.bob, 60)), now: F.start)
        let later = F.at(milliseconds: 500)
        let outcome = try ledger.apply(.post(reservation, amount: nil), now: later)

        #expect(outcome.transfer?.state == .posted)
        #expect(outcome.transfer?.postedAmount == 60)
        #expect(outcome.transfer?.resolvedAt == later)
        #expect(ledger.posted(F.alice) == 40)
        #expect(ledger.available(F.alice) == 40)
        #expect(ledger.posted(F.bob) == 60)
        #expect(ledger.account(F.alice)?.debitsPending == .zero)
        #expect(ledger.account(F.bob)?.creditsPending == .zero)
        #expect(ledger.pendingTransferIDs.isEmpty)
        #expect(ledger.totals().isBalanced)
    }

    @Test("posting in part moves that part and releases the rest")
    func postInPartReleasesTheRest() throws {
        var ledger = try F.funded()
        try ledger.apply(.create(F.pending("p1", from: F.alice, to: F.bob, 60)), now: F.start)
        let outcome = try ledger.apply(.post(reservation, amount: 25), now: F.start)

        #expect(outcome.transfer?.amount == 60)
        #expect(outcome.transfer?.postedAmount == 25)
        #expect(ledger.available(F.alice) == 75)
        #expect(ledger.posted(F.bob) == 25)
        #expect(ledger.account(F.alice)?.debitsPending == .zero)
        #expect(ledger.totals().isBalanced)
    }

    @Test("posting more than reserved, or nothing, is refused")
    func postOutsideTheReservationIsRefused() throws {
        var ledger = try F.funded()
        try ledger.apply(.create(F.pending("p1", from: F.alice, to: F.bob, 60)), now: F.start)
        let tooMuch = try Amount(parsing: "60.000001")
        #expect(throws: LedgerError.postExceedsPending(reservation, pending: 60, requested: tooMuch)) {
            try ledger.apply(.post(reservation, amount: tooMuch), now: F.start)
        }
        #expect(throws: LedgerError.amountNotPositive(.zero)) {
            try ledger.apply(.post(reservation, amount: .zero), now: F.start)
        }
        #expect(ledger.transfer(reservation)?.state == .pending)
        #expect(ledger.available(F.alice) == 40)
    }

    @Test("voiding releases the whole reservation; a second void is a replay")
    func voidReleasesTheReservation() throws {
        var ledger = try F.funded()
        try ledger.apply(.create(F.pending("p1", from: F.alice, to: F.bob, 60)), now: F.start)
        let outcome = try ledger.apply(.void(reservation), now: F.start)

        #expect(outcome.transfer?.state == .voided)
        #expect(outcome.transfer?.postedAmount == .zero)
        #expect(ledger.available(F.alice) == 100)
        #expect(ledger.posted(F.bob) == .zero)
        #expect(ledger.account(F.bob)?.creditsPending == .zero)
        #expect(try ledger.apply(.void(reservation), now: F.start).replayed)
        #expect(throws: LedgerError.notPending(reservation, .voided)) {
            try ledger.apply(.post(reservation, amount: nil), now: F.start)
        }
        #expect(ledger.totals().isBalanced)
    }

    @Test("a pending transfer expires only once its timeout has passed")
    func expireOnlyAfterTimeout() throws {
        var ledger = try F.funded()
        try ledger.apply(.create(F.pending("p1", from: F.alice, to: F.bob, 60, timeout: .seconds(10))), now: F.start)
        let justBefore = F.at(milliseconds: 9_999)
        let deadline = F.at(milliseconds: 10_000)

        #expect(ledger.transfer(reservation)?.expiresAt == deadline)
        #expect(ledger.expiredPendingTransfers(at: justBefore).isEmpty)
        #expect(throws: LedgerError.notYetExpired(reservation)) {
            try ledger.apply(.expire(reservation), now: justBefore)
        }
        #expect(ledger.transfer(reservation)?.state == .pending)

        #expect(ledger.expiredPendingTransfers(at: deadline) == [reservation])
        let outcome = try ledger.apply(.expire(reservation), now: deadline)
        #expect(outcome.transfer?.state == .expired)
        #expect(outcome.transfer?.resolvedAt == deadline)
        #expect(ledger.available(F.alice) == 100)
        #expect(ledger.pendingTransferIDs.isEmpty)
        #expect(ledger.expiredPendingTransfers(at: deadline).isEmpty)
        #expect(try ledger.apply(.expire(reservation), now: deadline).replayed)
    }

    @Test("posting after the timeout is refused as expired and changes nothing")
    func postAfterTimeoutIsRefused() throws {
        var ledger = try F.funded()
        try ledger.apply(.create(F.pending("p1", from: F.alice, to: F.bob, 60, timeout: .seconds(10))), now: F.start)
        _ = ledger.takeUnsavedChanges()
        #expect(throws: LedgerError.pendingExpired(reservation)) {
            try ledger.apply(.post(reservation, amount: 10), now: F.at(milliseconds: 10_000))
        }
        #expect(ledger.transfer(reservation)?.state == .pending)
        #expect(ledger.available(F.alice) == 40)
        #expect(ledger.takeUnsavedChanges().isEmpty)
        // Posting just before the deadline still works.
        try ledger.apply(.post(reservation, amount: 10), now: F.at(milliseconds: 9_999))
        #expect(ledger.posted(F.bob) == 10)
    }

    @Test("a pending transfer without a timeout never expires")
    func noTimeoutNeverExpires() throws {
        var ledger = try F.funded()
        try ledger.apply(.create(F.pending("p1", from: F.alice, to: F.bob, 60)), now: F.start)
        let farFuture = Timestamp(millisecondsSince1970: .max)
        #expect(ledger.transfer(reservation)?.expiresAt == nil)
        #expect(ledger.expiredPendingTransfers(at: farFuture).isEmpty)
        #expect(throws: LedgerError.notYetExpired(reservation)) {
            try ledger.apply(.expire(reservation), now: farFuture)
        }
        #expect(try ledger.apply(.post(reservation, amount: nil), now: farFuture).transfer?.state == .posted)
    }

    @Test("a very long timeout saturates instead of wrapping into the past")
    func hugeTimeoutDoesNotExpireAtOnce() throws {
        var ledger = try F.funded()
        for (index, timeout) in [Duration.seconds(Int64.max), .seconds(Int64.max / 1000), .milliseconds(Int64.max)]
            .enumerated()
        {
            let id = TransferID(unchecked: "long-\(index)")
            try ledger.apply(
                .create(F.pending(id.rawValue, from: F.alice, to: F.bob, 1, timeout: timeout)), now: F.start)
            let expiresAt = try #require(ledger.transfer(id)?.expiresAt)
            #expect(expiresAt > F.start, "timeout \(timeout) expires at \(expiresAt.millisecondsSince1970)")
            #expect(ledger.expiredPendingTransfers(at: F.at(milliseconds: 86_400_000)).isEmpty)
            // A retry of the same request is still the same transfer.
            #expect(
                try ledger.apply(
                    .create(F.pending(id.rawValue, from: F.alice, to: F.bob, 1, timeout: timeout)), now: F.start
                ).replayed)
        }
    }

    @Test("a single-phase transfer cannot be posted, voided or expired")
    func singlePhaseTransferIsNotPending() throws {
        var ledger = try F.funded()
        let id = TransferID(unchecked: "t1")
        try ledger.apply(.create(F.single("t1", from: F.alice, to: F.bob, 10)), now: F.start)
        #expect(throws: LedgerError.notPending(id, .posted)) { try ledger.apply(.post(id, amount: nil), now: F.start) }
        #expect(throws: LedgerError.notPending(id, .posted)) { try ledger.apply(.void(id), now: F.start) }
        #expect(throws: LedgerError.notPending(id, .posted)) { try ledger.apply(.expire(id), now: F.start) }
        let ghost = TransferID(unchecked: "ghost")
        #expect(throws: LedgerError.transferNotFound(ghost)) { try ledger.apply(.void(ghost), now: F.start) }
        #expect(ledger.posted(F.bob) == 10)
    }
}
