import SafeguardsCore
import Testing

private typealias F = LedgerFixture

/// An account's posted counters only ever grew; past `Int64.max` micro-units of traffic every
/// further transfer on it failed with an overflow, freezing the pool or agent it belonged to.
@Suite("Posted counters cannot freeze an account")
struct LedgerCounterTests {
    /// 4,000,000,000,000 units: three round trips move more than `Int64.max` micro-units through alice.
    static let chunk = Amount(micros: 4_000_000_000_000_000_000)

    @Test func moreThanInt64MaxMicrosMoveThroughOneAccount() throws {
        var ledger = Ledger()
        var journal: [TransferID] = [TransferID(unchecked: "fund-alice")]
        try ledger.apply(
            linked: [
                .openAccount(F.funding, []),
                .openAccount(F.alice, .debitsMustNotExceedCredits),
                .openAccount(F.bob, .debitsMustNotExceedCredits),
                .create(F.single("fund-alice", from: F.funding, to: F.alice, Self.chunk)),
            ], now: F.start)
        var moved: Int128 = 0
        for round in 0..<4 {
            try ledger.apply(.create(F.single("out-\(round)", from: F.alice, to: F.bob, Self.chunk)), now: F.start)
            try ledger.apply(.create(F.single("back-\(round)", from: F.bob, to: F.alice, Self.chunk)), now: F.start)
            journal += [TransferID(unchecked: "out-\(round)"), TransferID(unchecked: "back-\(round)")]
            moved += 2 * Int128(Self.chunk.micros)
        }
        #expect(moved > Int128(Int64.max))

        // The account still takes two-phase transfers, and its balances are exact.
        try ledger.apply(.create(F.pending("reserve", from: F.alice, to: F.bob, 1)), now: F.start)
        try ledger.apply(.post(TransferID(unchecked: "reserve"), amount: nil), now: F.start)
        journal.append(TransferID(unchecked: "reserve"))
        #expect(ledger.posted(F.alice) == (try Self.chunk.subtracting(1)))
        #expect(ledger.available(F.alice) == (try Self.chunk.subtracting(1)))
        #expect(ledger.posted(F.bob) == 1)
        #expect(ledger.totals().isBalanced)

        // A restart rebuilds the same balances from the journal, in journal order.
        let restored = try Ledger.restore(
            accounts: ledger.accounts.values.map { ($0.id, $0.flags) }, transfers: journal.compactMap(ledger.transfer))
        for id in [F.funding, F.alice, F.bob] {
            #expect(restored.account(id)?.postedBalance == ledger.account(id)?.postedBalance)
        }
        #expect(restored.totals().isBalanced)
    }

    @Test func aBalanceBeyondTheRangeIsStillRefused() throws {
        var ledger = Ledger()
        try ledger.apply(
            linked: [
                .openAccount(F.funding, []), .openAccount(F.alice, .debitsMustNotExceedCredits),
                .create(F.single("fund-1", from: F.funding, to: F.alice, .max)),
            ], now: F.start)
        // Nothing to cancel: alice's balance itself would leave the range.
        #expect(throws: LedgerError.self) {
            try ledger.apply(.create(F.single("fund-2", from: F.funding, to: F.alice, 1)), now: F.start)
        }
        #expect(ledger.posted(F.alice) == .max)
        #expect(ledger.totals().isBalanced)
    }
}
