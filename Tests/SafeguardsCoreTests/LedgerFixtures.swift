import SafeguardsCore

/// Shared names and a small funded ledger for the ledger suites.
enum LedgerFixture {
    static let start = Timestamp(millisecondsSince1970: 1_767_225_600_000)
    static let funding = AccountID(unchecked: "funding")
    static let alice = AccountID(unchecked: "alice")
    static let bob = AccountID(unchecked: "bob")

    static func at(milliseconds offset: Int64) -> Timestamp {
        Timestamp(millisecondsSince1970: start.millisecondsSince1970 + offset)
    }

    static func single(
        _ id: String, from debit: AccountID, to credit: AccountID, _ amount: Amount, reason: String = "test"
    ) -> TransferRequest {
        TransferRequest(id: TransferID(unchecked: id), debit: debit, credit: credit, amount: amount, reason: reason)
    }

    static func pending(
        _ id: String, from debit: AccountID, to credit: AccountID, _ amount: Amount, timeout: Duration? = nil
    ) -> TransferRequest {
        TransferRequest(
            id: TransferID(unchecked: id), debit: debit, credit: credit, amount: amount, isPending: true,
            timeout: timeout, reason: "reservation")
    }

    /// `funding` (unconstrained), `alice` and `bob` (constrained); alice holds 100.
    static func funded() throws -> Ledger {
        var ledger = Ledger()
        try ledger.apply(
            linked: [
                .openAccount(funding, []),
                .openAccount(alice, .debitsMustNotExceedCredits),
                .openAccount(bob, .debitsMustNotExceedCredits),
                .create(single("fund-alice", from: funding, to: alice, 100)),
            ], now: start)
        _ = ledger.takeUnsavedChanges()
        return ledger
    }
}

extension Ledger {
    /// The balance of `id` that can still be debited, or nil for an unknown account.
    func available(_ id: AccountID) -> Amount? { account(id)?.available }
    func posted(_ id: AccountID) -> Amount? { account(id)?.postedBalance }
}
