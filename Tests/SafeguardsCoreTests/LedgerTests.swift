import SafeguardsCore
import Testing

private typealias F = LedgerFixture

@Suite("Ledger single-phase transfers")
struct LedgerSinglePhaseTests {
    @Test("a single-phase transfer moves the amount from debit to credit at once")
    func singlePhaseTransferMovesBalances() throws {
        var ledger = try F.funded()
        let outcome = try ledger.apply(.create(F.single("t1", from: F.alice, to: F.bob, 30)), now: F.start)

        #expect(!outcome.replayed)
        #expect(outcome.transfer?.state == .posted)
        #expect(outcome.transfer?.postedAmount == 30)
        #expect(outcome.transfer?.createdAt == F.start)
        #expect(ledger.posted(F.alice) == 70)
        #expect(ledger.available(F.alice) == 70)
        #expect(ledger.posted(F.bob) == 30)
        #expect(ledger.posted(F.funding) == -100)
        #expect(ledger.totals().isBalanced)
        #expect(ledger.pendingTransferIDs.isEmpty)
    }

    @Test("a constrained account refuses an overdraft and nothing changes")
    func constrainedAccountRefusesOverdraft() throws {
        var ledger = try F.funded()
        let accountsBefore = ledger.accounts
        let transfersBefore = ledger.transfers
        let tooMuch = try Amount(parsing: "100.000001")

        #expect(
            throws: LedgerError.insufficientFunds(account: F.alice, available: 100, requested: tooMuch)
        ) {
            try ledger.apply(.create(F.single("t1", from: F.alice, to: F.bob, tooMuch)), now: F.start)
        }
        #expect(ledger.accounts == accountsBefore)
        #expect(ledger.transfers == transfersBefore)
        #expect(ledger.takeUnsavedChanges().isEmpty)
        // The whole balance can be moved, to the last micro-unit.
        try ledger.apply(.create(F.single("t2", from: F.alice, to: F.bob, 100)), now: F.start)
        #expect(ledger.available(F.alice) == .zero)
    }

    @Test("an unconstrained account may go below zero")
    func unconstrainedAccountMayGoNegative() throws {
        var ledger = try F.funded()
        try ledger.apply(.create(F.single("t1", from: F.funding, to: F.bob, 1_000_000)), now: F.start)
        #expect(ledger.posted(F.funding) == -1_000_100)
        #expect(ledger.totals().isBalanced)
    }

    @Test("zero and negative amounts are refused", arguments: [Amount.zero, Amount(micros: -1), Amount(-50)])
    func nonPositiveAmountsAreRefused(amount: Amount) throws {
        var ledger = try F.funded()
        #expect(throws: LedgerError.amountNotPositive(amount)) {
            try ledger.apply(.create(F.single("t1", from: F.alice, to: F.bob, amount)), now: F.start)
        }
        #expect(throws: LedgerError.amountNotPositive(amount)) {
            try ledger.apply(.create(F.pending("p1", from: F.alice, to: F.bob, amount)), now: F.start)
        }
        #expect(ledger.transfer(TransferID(unchecked: "t1")) == nil)
        #expect(ledger.posted(F.bob) == .zero)
    }

    @Test("a transfer between one account and itself is refused")
    func sameAccountIsRefused() throws {
        var ledger = try F.funded()
        #expect(throws: LedgerError.sameAccount(F.alice)) {
            try ledger.apply(.create(F.single("t1", from: F.alice, to: F.alice, 1)), now: F.start)
        }
    }

    @Test("a transfer naming an unknown account is refused")
    func unknownAccountIsRefused() throws {
        var ledger = try F.funded()
        let ghost = AccountID(unchecked: "ghost")
        #expect(throws: LedgerError.accountNotFound(ghost)) {
            try ledger.apply(.create(F.single("t1", from: F.alice, to: ghost, 1)), now: F.start)
        }
        #expect(throws: LedgerError.accountNotFound(ghost)) {
            try ledger.apply(.create(F.single("t2", from: ghost, to: F.alice, 1)), now: F.start)
        }
        #expect(ledger.posted(F.alice) == 100)
    }

    @Test("a credit that would leave the representable range is refused as overflow")
    func creditOverflowIsRefused() throws {
        var ledger = try F.funded()
        let mint = AccountID(unchecked: "mint")
        try ledger.apply(.openAccount(mint, []), now: F.start)
        try ledger.apply(.create(F.single("big", from: mint, to: F.bob, .max)), now: F.start)
        #expect(throws: LedgerError.overflow(F.bob)) {
            try ledger.apply(.create(F.single("more", from: F.alice, to: F.bob, 1)), now: F.start)
        }
        #expect(ledger.posted(F.alice) == 100)
        #expect(ledger.posted(F.bob) == .max)
        #expect(throws: LedgerError.overflow(mint)) {
            try ledger.apply(.create(F.single("again", from: mint, to: F.alice, 1)), now: F.start)
        }
        #expect(ledger.posted(F.alice) == 100)
        #expect(ledger.totals().isBalanced)
    }
}

@Suite("Ledger accounts")
struct LedgerAccountTests {
    @Test("opening an existing account with the same flags is a replay, with other flags a refusal")
    func reopeningAnAccount() throws {
        var ledger = try F.funded()
        let outcome = try ledger.apply(.openAccount(F.alice, .debitsMustNotExceedCredits), now: F.start)
        #expect(outcome.replayed)
        #expect(ledger.posted(F.alice) == 100)
        #expect(throws: LedgerError.accountAlreadyExists(F.alice)) {
            try ledger.apply(.openAccount(F.alice, []), now: F.start)
        }
        #expect(ledger.account(F.alice)?.flags == .debitsMustNotExceedCredits)
        #expect(ledger.takeUnsavedChanges().isEmpty)
    }
}
