import SafeguardsCore
import Testing

private typealias F = LedgerFixture

@Suite("Ledger linked batches")
struct LedgerLinkedBatchTests {
    @Test("a linked batch whose third operation fails applies nothing")
    func linkedBatchIsAllOrNothing() throws {
        var ledger = try F.funded()
        let carol = AccountID(unchecked: "carol")
        let accountsBefore = ledger.accounts
        let transfersBefore = ledger.transfers
        let pendingBefore = ledger.pendingTransferIDs
        let batch: [LedgerOperation] = [
            .openAccount(carol, .debitsMustNotExceedCredits),
            .create(F.pending("b1", from: F.alice, to: carol, 50)),
            .create(F.single("b2", from: F.alice, to: F.bob, 60)),
            .create(F.single("b3", from: F.funding, to: F.bob, 1)),
        ]

        #expect(
            throws: LedgerError.linkedBatchFailed(
                index: 2, underlying: .insufficientFunds(account: F.alice, available: 50, requested: 60))
        ) {
            try ledger.apply(linked: batch, now: F.start)
        }
        #expect(ledger.accounts == accountsBefore)
        #expect(ledger.transfers == transfersBefore)
        #expect(ledger.pendingTransferIDs == pendingBefore)
        #expect(ledger.account(carol) == nil)
        #expect(ledger.takeUnsavedChanges().isEmpty)
    }

    @Test("operations in a linked batch see the effects of the ones before them")
    func linkedBatchSeesEarlierOperations() throws {
        var ledger = try F.funded()
        let carol = AccountID(unchecked: "carol")
        let outcomes = try ledger.apply(
            linked: [
                .openAccount(carol, .debitsMustNotExceedCredits),
                .create(F.single("b1", from: F.funding, to: F.alice, 50)),
                .create(F.pending("b2", from: F.alice, to: carol, 150)),
                .post(TransferID(unchecked: "b2"), amount: 120),
                .create(F.single("b3", from: carol, to: F.bob, 120)),
            ], now: F.start)

        #expect(outcomes.count == 5)
        #expect(outcomes.allSatisfy { !$0.replayed })
        #expect(ledger.available(F.alice) == 30)
        #expect(ledger.posted(carol) == .zero)
        #expect(ledger.posted(F.bob) == 120)
        #expect(ledger.totals().isBalanced)
    }

    @Test("the error of a failed batch maps to the caller's code of the operation that failed")
    func batchErrorMapsToRootCode() {
        let error = LedgerError.linkedBatchFailed(
            index: 1, underlying: .insufficientFunds(account: F.alice, available: 1, requested: 2))
        #expect(error.root == .insufficientFunds(account: F.alice, available: 1, requested: 2))
        #expect(SafeguardsError(error).code == .insufficientBudget)
        #expect(SafeguardsError(LedgerError.transferIDConflict(TransferID(unchecked: "x"))).code == .conflict)
        #expect(SafeguardsError(LedgerError.transferNotFound(TransferID(unchecked: "x"))).code == .notFound)
        #expect(SafeguardsError(LedgerError.amountNotPositive(.zero)).code == .invalidAmount)
    }
}

@Suite("Ledger journal and restore")
struct LedgerJournalTests {
    @Test("unsaved changes come out in the order they were made, once")
    func takeUnsavedChangesInOrder() throws {
        var ledger = Ledger()
        let p1 = TransferID(unchecked: "p1")
        try ledger.apply(.openAccount(F.funding, []), now: F.start)
        try ledger.apply(.openAccount(F.alice, .debitsMustNotExceedCredits), now: F.start)
        let funded = try ledger.apply(.create(F.single("t1", from: F.funding, to: F.alice, 10)), now: F.start)
        let reserved = try ledger.apply(.create(F.pending("p1", from: F.alice, to: F.funding, 4)), now: F.start)
        #expect(throws: LedgerError.self) { try ledger.apply(.post(p1, amount: 5), now: F.start) }
        let posted = try ledger.apply(.post(p1, amount: 3), now: F.start)
        _ = try ledger.apply(.post(p1, amount: 3), now: F.start)

        let changes = ledger.takeUnsavedChanges()
        #expect(
            changes == [
                .accountOpened(F.funding, []),
                .accountOpened(F.alice, .debitsMustNotExceedCredits),
                .transferCreated(try #require(funded.transfer)),
                .transferCreated(try #require(reserved.transfer)),
                .transferResolved(try #require(posted.transfer)),
            ])
        #expect(ledger.takeUnsavedChanges().isEmpty)
    }

    @Test("restoring from accounts and final transfers gives the live balances")
    func restoreMatchesLiveLedger() throws {
        var ledger = try F.funded()
        let carol = AccountID(unchecked: "carol")
        try ledger.apply(.openAccount(carol, []), now: F.start)
        try ledger.apply(.create(F.pending("p1", from: F.alice, to: F.bob, 20)), now: F.start)
        try ledger.apply(.create(F.pending("p2", from: F.alice, to: carol, 30, timeout: .seconds(5))), now: F.start)
        try ledger.apply(.create(F.pending("p3", from: F.alice, to: F.bob, 10)), now: F.start)
        try ledger.apply(.create(F.pending("p4", from: carol, to: F.bob, 1)), now: F.start)
        try ledger.apply(.create(F.single("t1", from: F.alice, to: carol, 5)), now: F.start)
        try ledger.apply(.post(TransferID(unchecked: "p1"), amount: 15), now: F.start)
        try ledger.apply(.void(TransferID(unchecked: "p3")), now: F.start)
        try ledger.apply(.expire(TransferID(unchecked: "p2")), now: F.at(milliseconds: 5_000))

        let restored = try Ledger.restore(
            accounts: ledger.accounts.values.map { ($0.id, $0.flags) }, transfers: Array(ledger.transfers.values))

        #expect(restored.accounts == ledger.accounts)
        #expect(restored.transfers == ledger.transfers)
        #expect(restored.pendingTransferIDs == [TransferID(unchecked: "p4")])
        #expect(restored.totals() == ledger.totals())
        #expect(restored.available(F.alice) == 80)
    }

    @Test("restore refuses a journal that names an unknown account or opens one twice")
    func restoreRefusesInconsistentJournals() throws {
        let ledger = try F.funded()
        let transfers = Array(ledger.transfers.values)
        #expect(throws: LedgerError.accountNotFound(F.alice)) {
            try Ledger.restore(accounts: [(F.funding, [])], transfers: transfers)
        }
        #expect(throws: LedgerError.accountAlreadyExists(F.funding)) {
            try Ledger.restore(accounts: [(F.funding, []), (F.funding, [])], transfers: [])
        }
    }
}
