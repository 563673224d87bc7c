import SafeguardsCore
import Testing

/// Top-ups, withdrawals and closing on the book: each moves exactly its amount through the ledger,
/// the ledger stays balanced, and every refusal changes nothing.
@Suite("Pool funding and closing")
struct PoolFundingAndClosingTests {
    static let pool = BookFixture.pool
    static let agent = BookFixture.agent
    static let funding = LedgerAccounts.funding

    static func expectBalanced(_ book: BudgetBook, sourceLocation: SourceLocation = #_sourceLocation) {
        let totals = book.ledgerTotals()
        #expect(totals.isBalanced, "\(totals)", sourceLocation: sourceLocation)
        #expect(totals.overdrawnAccounts.isEmpty, sourceLocation: sourceLocation)
    }

    @Test func aTopUpAndAWithdrawalMoveExactlyTheirAmountBetweenFundingAndThePool() throws {
        var book = try BookFixture.book()
        let fundingBefore = try #require(book.account(Self.funding)).postedBalance
        let up = try book.execute(
            .topUpPool(
                Self.pool, amount: Amount(micros: 250_500_000), reason: "q3 budget", transferID: BookFixture.id("t1")),
            now: BookFixture.start)
        let transfer = try #require(up.transfer)
        #expect(transfer.debitAccount == Self.funding && transfer.creditAccount == LedgerAccounts.pool(Self.pool))
        #expect(transfer.reason == "q3 budget")
        #expect(transfer.metadata[TransferMetadataKey.kind] == "pool_top_up")
        #expect(book.research?.available == Amount(micros: 1_050_500_000))
        #expect(book.research?.total == Amount(micros: 1_250_500_000))

        _ = try book.execute(
            .withdrawFromPool(Self.pool, amount: 50, reason: "returned", transferID: BookFixture.id("w1")),
            now: BookFixture.start)
        #expect(book.research?.available == Amount(micros: 1_000_500_000))
        let fundingAfter = try #require(book.account(Self.funding)).postedBalance
        #expect(fundingBefore.micros - fundingAfter.micros == 200_500_000)
        Self.expectBalanced(book)

        // The same id and fields is a replay; the same id for something else a conflict.
        let again = try book.execute(
            .withdrawFromPool(Self.pool, amount: 50, reason: "returned", transferID: BookFixture.id("w1")),
            now: BookFixture.start)
        #expect(again.replayed == true)
        #expect(book.research?.available == Amount(micros: 1_000_500_000))
        book.expectRefusal(
            .conflict, .withdrawFromPool(Self.pool, amount: 51, reason: "returned", transferID: BookFixture.id("w1")))
    }

    @Test func aWithdrawalTakesOnlyUnallocatedBudgetAndRefusalsChangeNothing() throws {
        var book = try BookFixture.book()
        let before = book.research
        // 800 is unallocated; the agent's 200 stays the agent's.
        let error = book.expectRefusal(
            .insufficientBudget,
            .withdrawFromPool(Self.pool, amount: 801, reason: "too much", transferID: BookFixture.id("w")))
        #expect(error?.message.contains("800") == true)
        book.expectRefusal(
            .invalidAmount, .withdrawFromPool(Self.pool, amount: 0, reason: "r", transferID: BookFixture.id("w")))
        book.expectRefusal(
            .invalidAmount, .topUpPool(Self.pool, amount: -3, reason: "r", transferID: BookFixture.id("t")))
        book.expectRefusal(
            .invalidRequest, .topUpPool(Self.pool, amount: 3, reason: "", transferID: BookFixture.id("t")))
        book.expectRefusal(
            .notFound, .topUpPool(PoolID(unchecked: "nowhere"), amount: 3, reason: "r", transferID: BookFixture.id("t"))
        )
        // A top-up that would overflow the funding account's or the pool's balances is refused.
        book.expectRefusal(
            .invalidAmount, .topUpPool(Self.pool, amount: .max, reason: "r", transferID: BookFixture.id("big")))
        #expect(book.research == before)
        #expect(book.ledger.transfer(BookFixture.id("big")) == nil)
        Self.expectBalanced(book)
        _ = try book.execute(
            .withdrawFromPool(Self.pool, amount: 800, reason: "all of it", transferID: BookFixture.id("w2")),
            now: BookFixture.start)
        #expect(book.research?.available == .zero)
        #expect(book.research?.allocated == 200)
    }

    @Test func closingAnAgentReturnsItsBudgetToItsPoolAndRefusesItsReservations() throws {
        var book = try BookFixture.book()
        _ = try book.execute(.spend(Self.agent, amount: 30, transferID: BookFixture.id("s1")), now: BookFixture.start)
        _ = try book.execute(
            .reserve(Self.agent, amount: 20, reservationID: BookFixture.id("r1"), timeout: nil), now: BookFixture.start)
        let refused = book.expectRefusal(.reservationsPending, .closeAgent(Self.agent, reason: "done"))
        #expect(refused?.message.contains("20") == true)
        #expect(book.a1?.agent.closedAt == nil)
        _ = try book.execute(.release(reservationID: BookFixture.id("r1")), now: BookFixture.start)

        let closedAt = BookFixture.at(milliseconds: 5)
        let result = try book.execute(.closeAgent(Self.agent, reason: "project over"), now: closedAt)
        let transfers = try #require(result.closed)
        #expect(transfers.count == 1)
        #expect(transfers.first?.amount == 170)
        #expect(transfers.first?.creditAccount == LedgerAccounts.pool(Self.pool))
        #expect(transfers.first?.reason == "project over")
        #expect(book.a1?.agent.closedAt == closedAt)
        #expect(book.a1?.available == .zero)
        #expect(book.a1?.spent == 30)
        #expect(book.research?.available == 970)
        Self.expectBalanced(book)

        book.expectRefusal(.closed, .reserve(Self.agent, amount: 1, reservationID: BookFixture.id("r2"), timeout: nil))
        book.expectRefusal(.closed, .spend(Self.agent, amount: 1, transferID: BookFixture.id("s2")))
        book.expectRefusal(
            .closed, .setAgentBudget(Self.agent, budget: 50, reason: "r", transferID: BookFixture.id("b")))
        #expect(book.research?.available == 970)
        let again = try book.execute(.closeAgent(Self.agent, reason: "again"), now: closedAt)
        #expect(again.replayed == true)
        #expect(again.closed?.isEmpty == true)
    }

    @Test func closingAPoolClosesItsAgentsAndReturnsEverythingToFunding() throws {
        var book = try BookFixture.book()
        _ = try book.execute(BookFixture.registerAgent(AgentID(unchecked: "a2"), budget: 100), now: BookFixture.start)
        _ = try book.execute(.spend(Self.agent, amount: 40, transferID: BookFixture.id("s1")), now: BookFixture.start)
        _ = try book.execute(
            .reserve(AgentID(unchecked: "a2"), amount: 5, reservationID: BookFixture.id("r1"), timeout: nil),
            now: BookFixture.start)
        let fundingBefore = try #require(book.account(Self.funding)).postedBalance
        book.expectRefusal(.reservationsPending, .closePool(Self.pool, reason: "wind down"))
        #expect(book.research?.pool.closedAt == nil)
        _ = try book.execute(.settle(reservationID: BookFixture.id("r1"), amount: 5), now: BookFixture.start)

        let result = try book.execute(.closePool(Self.pool, reason: "wind down"), now: BookFixture.start)
        let transfers = try #require(result.closed)
        // a1 returns 160, a2 returns 95, then the pool's 700 + 255 go to funding.
        #expect(transfers.map(\.amount) == [160, 95, 955])
        let fundingAfter = try #require(book.account(Self.funding)).postedBalance
        #expect(fundingAfter.micros - fundingBefore.micros == Amount(955).micros)
        #expect(book.research?.available == .zero && book.research?.allocated == .zero)
        #expect(book.research?.spent == 45)
        #expect(book.research?.pool.closedAt != nil)
        #expect(book.agentSnapshots().allSatisfy { $0.agent.closedAt != nil })
        Self.expectBalanced(book)

        book.expectRefusal(.closed, .topUpPool(Self.pool, amount: 1, reason: "r", transferID: BookFixture.id("t")))
        book.expectRefusal(.closed, BookFixture.registerAgent(AgentID(unchecked: "a3"), budget: 0))
        book.expectRefusal(.closed, .setPoolTotal(Self.pool, total: 10, reason: "r", transferID: BookFixture.id("p")))
        #expect(try book.execute(.closePool(Self.pool, reason: "again"), now: BookFixture.start).replayed == true)
    }

    @Test func closingEndsThePeriodSoNoResetRefillsIt() throws {
        var book = try BookFixture.book()
        let daily = PeriodSetting(period: .daily)
        _ = try book.execute(
            .setPeriod(.agent(Self.agent), daily, startedAt: BookFixture.start), now: BookFixture.start)
        _ = try book.execute(.spend(Self.agent, amount: 50, transferID: BookFixture.id("s1")), now: BookFixture.start)
        _ = try book.execute(.closeAgent(Self.agent, reason: "done"), now: BookFixture.start)
        #expect(book.periods[.agent(Self.agent)]?.setting == nil)
        book.expectRefusal(.closed, .setPeriod(.agent(Self.agent), daily, startedAt: BookFixture.start))
        book.expectRefusal(
            .invalidRequest, .resetPeriod(.agent(Self.agent), periodStart: BookFixture.at(milliseconds: 86_400_000)))
        #expect(book.a1?.available == .zero)
        #expect(book.research?.available == 950)
        Self.expectBalanced(book)
    }

    @Test func closingChangesSurviveARestoreFromTheJournal() throws {
        var book = try BookFixture.book()
        _ = try book.execute(.closeAgent(Self.agent, reason: "done"), now: BookFixture.start)
        let changes = book.takeUnsavedChanges()
        #expect(changes.contains { if case .agentClosed(Self.agent, _) = $0 { true } else { false } })
        _ = try book.execute(.closePool(Self.pool, reason: "done"), now: BookFixture.start)
        #expect(book.takeUnsavedChanges().contains { if case .poolClosed(Self.pool, _) = $0 { true } else { false } })
        var restored = BudgetBook.restore(
            ledger: book.ledger, pools: Array(book.pools.values), agents: Array(book.agents.values))
        restored.expectRefusal(.closed, .spend(Self.agent, amount: 1, transferID: BookFixture.id("s")))
        restored.expectRefusal(.closed, .topUpPool(Self.pool, amount: 1, reason: "r", transferID: BookFixture.id("t")))
    }
}
