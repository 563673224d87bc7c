import SafeguardsCore
import Testing

private typealias B = BookFixture

@Suite("BudgetBook reservations and spending")
struct ReservationTests {
    let r1 = B.id("r1")

    @Test("a reservation holds budget without spending it")
    func reserveHoldsBudget() throws {
        var book = try B.book()
        let result = try book.execute(.reserve(B.agent, amount: 40, reservationID: r1, timeout: nil), now: B.start)
        let transfer = try #require(result.transfer)
        #expect(result.replayed == false)
        #expect(transfer.state == .pending)
        #expect(transfer.metadata[TransferMetadataKey.kind] == TransferKind.reservation.rawValue)
        #expect(book.a1?.available == 160)
        #expect(book.a1?.reserved == 40)
        #expect(book.a1?.spent == .zero)
        #expect(book.a1?.total == 200)
    }

    @Test("settling for less spends the real cost and returns the rest to available")
    func settleInPartReturnsTheRest() throws {
        var book = try B.book()
        try book.execute(.reserve(B.agent, amount: 40, reservationID: r1, timeout: .seconds(60)), now: B.start)
        let result = try book.execute(.settle(reservationID: r1, amount: 15), now: B.at(milliseconds: 1_000))
        #expect(result.transfer?.state == .posted)
        #expect(result.transfer?.postedAmount == 15)
        #expect(book.a1?.spent == 15)
        #expect(book.a1?.reserved == .zero)
        #expect(book.a1?.available == 185)
        #expect(book.a1?.total == 200)
        let pool = try #require(book.research)
        #expect(pool.allocated == 185)
        #expect(pool.spent == 15)
        #expect(pool.total == 1000)
    }

    @Test("a settle retried with the same amount is a replay; another amount is refused")
    func settleRetry() throws {
        var book = try B.book()
        try book.execute(.reserve(B.agent, amount: 40, reservationID: r1, timeout: nil), now: B.start)
        try book.execute(.settle(reservationID: r1, amount: 15), now: B.start)
        _ = book.takeUnsavedChanges()
        #expect(try book.execute(.settle(reservationID: r1, amount: 15), now: B.start).replayed == true)
        #expect(book.takeUnsavedChanges().isEmpty)
        book.expectRefusal(.conflict, .settle(reservationID: r1, amount: 16))
        book.expectRefusal(.conflict, .release(reservationID: r1))
        #expect(book.a1?.spent == 15)
    }

    @Test("settling nothing or more than reserved is refused and the reservation stays")
    func settleOutsideTheReservationIsRefused() throws {
        var book = try B.book()
        try book.execute(.reserve(B.agent, amount: 40, reservationID: r1, timeout: nil), now: B.start)
        book.expectRefusal(.invalidAmount, .settle(reservationID: r1, amount: .zero))
        book.expectRefusal(.invalidAmount, .settle(reservationID: r1, amount: Amount(micros: -1)))
        book.expectRefusal(.invalidAmount, .settle(reservationID: r1, amount: Amount(micros: 40_000_001)))
        #expect(book.ledger.transfer(r1)?.state == .pending)
        #expect(book.a1?.reserved == 40)
    }

    @Test("releasing returns the whole reservation; a second release is a replay")
    func releaseReturnsEverything() throws {
        var book = try B.book()
        try book.execute(.reserve(B.agent, amount: 40, reservationID: r1, timeout: nil), now: B.start)
        let result = try book.execute(.release(reservationID: r1), now: B.start)
        #expect(result.transfer?.state == .voided)
        #expect(book.a1?.available == 200)
        #expect(book.a1?.reserved == .zero)
        #expect(try book.execute(.release(reservationID: r1), now: B.start).replayed == true)
        book.expectRefusal(.conflict, .settle(reservationID: r1, amount: 10))
        #expect(book.a1?.spent == .zero)
    }

    @Test("only reservations can be settled or released")
    func unknownReservationsAreNotFound() throws {
        var book = try B.book()
        try book.execute(.spend(B.agent, amount: 5, transferID: B.id("s1")), now: B.start)
        book.expectRefusal(.notFound, .settle(reservationID: B.id("nothing"), amount: 1))
        book.expectRefusal(.notFound, .settle(reservationID: B.id("s1"), amount: 1))
        book.expectRefusal(.notFound, .release(reservationID: B.id("alloc:a1")))
        #expect(book.a1?.spent == 5)
    }

    @Test("a reservation retried with the same id and amount is a replay; another amount a conflict")
    func reserveRetry() throws {
        var book = try B.book()
        let command = BudgetCommand.reserve(B.agent, amount: 40, reservationID: r1, timeout: .seconds(30))
        try book.execute(command, now: B.start)
        let retry = try book.execute(command, now: B.at(milliseconds: 2_000))
        #expect(retry.replayed == true)
        #expect(book.a1?.reserved == 40)
        book.expectRefusal(.conflict, .reserve(B.agent, amount: 41, reservationID: r1, timeout: .seconds(30)))
        book.expectRefusal(.conflict, .reserve(B.agent, amount: 40, reservationID: r1, timeout: .seconds(31)))
        book.expectRefusal(.conflict, .spend(B.agent, amount: 40, transferID: r1))
    }

    @Test("reservations beyond the available budget, of nothing, or with a bad timeout are refused")
    func invalidReservationsAreRefused() throws {
        var book = try B.book()
        try book.execute(.reserve(B.agent, amount: 150, reservationID: r1, timeout: nil), now: B.start)
        let error = book.expectRefusal(
            .insufficientBudget,
            .reserve(B.agent, amount: Amount(micros: 50_000_001), reservationID: B.id("r2"), timeout: nil))
        #expect(error?.message.contains("agent a1") == true)
        book.expectRefusal(.invalidAmount, .reserve(B.agent, amount: .zero, reservationID: B.id("r2"), timeout: nil))
        book.expectRefusal(.invalidRequest, .reserve(B.agent, amount: 1, reservationID: B.id("r2"), timeout: .zero))
        book.expectRefusal(
            .invalidRequest, .reserve(B.agent, amount: 1, reservationID: B.id("r2"), timeout: .seconds(-1)))
        book.expectRefusal(
            .notFound, .reserve(AgentID(unchecked: "ghost"), amount: 1, reservationID: B.id("r2"), timeout: nil))
        #expect(book.ledger.transfer(B.id("r2")) == nil)
        #expect(
            try book.execute(.reserve(B.agent, amount: 50, reservationID: B.id("r2"), timeout: nil), now: B.start)
                .transfer?.state == .pending)
        #expect(book.a1?.available == .zero)
    }

    @Test("spending moves budget to spent at once; it cannot exceed the available budget")
    func spendMovesBudgetAtOnce() throws {
        var book = try B.book()
        let result = try book.execute(.spend(B.agent, amount: 30, transferID: B.id("s1")), now: B.start)
        #expect(result.transfer?.state == .posted)
        #expect(book.a1?.spent == 30)
        #expect(book.a1?.available == 170)
        #expect(try book.execute(.spend(B.agent, amount: 30, transferID: B.id("s1")), now: B.start).replayed == true)
        #expect(book.a1?.spent == 30)
        book.expectRefusal(
            .insufficientBudget, .spend(B.agent, amount: Amount(micros: 170_000_001), transferID: B.id("s2")))
        book.expectRefusal(.invalidAmount, .spend(B.agent, amount: .zero, transferID: B.id("s2")))
        book.expectRefusal(.notFound, .spend(AgentID(unchecked: "ghost"), amount: 1, transferID: B.id("s2")))
        #expect(book.research?.spent == 30)
    }

    @Test("expiring reservations returns those past their timeout and restores the budget")
    func expireReservationsAfterTimeout() throws {
        var book = try B.book()
        try book.execute(.reserve(B.agent, amount: 10, reservationID: r1, timeout: .seconds(30)), now: B.start)
        try book.execute(.reserve(B.agent, amount: 20, reservationID: B.id("r2"), timeout: .seconds(60)), now: B.start)
        try book.execute(.reserve(B.agent, amount: 40, reservationID: B.id("r3"), timeout: nil), now: B.start)
        #expect(book.a1?.available == 130)

        let early = try book.execute(.expireReservations, now: B.at(milliseconds: 29_999))
        #expect(early.expired == [])
        let first = try #require(try book.execute(.expireReservations, now: B.at(milliseconds: 30_000)).expired)
        #expect(first.map(\.id) == [r1])
        #expect(first.first?.state == .expired)
        #expect(book.a1?.available == 140)
        #expect(book.a1?.reserved == 60)
        let second = try book.execute(.expireReservations, now: B.at(milliseconds: 60_000))
        #expect(second.expired?.map(\.id) == [B.id("r2")])
        let later = try book.execute(.expireReservations, now: B.at(milliseconds: 86_400_000))
        #expect(later.expired == [])
        #expect(book.a1?.available == 160)
        #expect(book.a1?.reserved == 40)
        #expect(book.research?.total == 1000)
    }

    @Test("settling after the timeout is refused, and the reservation is expired on the spot")
    func settleAfterTimeoutExpires() throws {
        var book = try B.book()
        try book.execute(.reserve(B.agent, amount: 40, reservationID: r1, timeout: .seconds(10)), now: B.start)
        book.expectRefusal(.conflict, .settle(reservationID: r1, amount: 10), now: B.at(milliseconds: 10_000))
        #expect(book.ledger.transfer(r1)?.state == .expired)
        #expect(book.a1?.available == 200)
        #expect(book.a1?.spent == .zero)
    }
}
