/// The double-entry ledger: accounts, transfers and the rules that move budget between them.
///
/// Pure and deterministic: callers pass `now`. In the style of TigerBeetle, every movement is a
/// transfer with a unique id; constrained accounts count pending debits against their balance
/// at once; a linked batch is applied entirely or not at all. After every successful call the
/// sum of debits equals the sum of credits.
public struct Ledger: Sendable {
    public private(set) var accounts: [AccountID: Account] = [:]
    public private(set) var transfers: [TransferID: Transfer] = [:]
    /// Ids of transfers currently pending, for expiry sweeps.
    public private(set) var pendingTransferIDs: Set<TransferID> = []
    /// Changes not yet taken by the store, oldest first.
    private var unsavedChanges: [LedgerChange] = []

    public init() {}

    // MARK: Reading

    public func account(_ id: AccountID) -> Account? { accounts[id] }
    public func transfer(_ id: TransferID) -> Transfer? { transfers[id] }

    /// Pending transfers whose timeout has passed at `now`, in id order.
    public func expiredPendingTransfers(at now: Timestamp) -> [TransferID] {
        pendingTransferIDs.filter { id in
            guard let expiresAt = transfers[id]?.expiresAt else { return false }
            return expiresAt <= now
        }.sorted()
    }

    /// Totals over all accounts, for the balance check.
    public func totals() -> LedgerTotals {
        var totals = LedgerTotals()
        for account in accounts.values { totals.add(account) }
        totals.overdrawnAccounts.sort()
        return totals
    }

    // MARK: Changing

    /// Applies one operation. On error nothing changes.
    @discardableResult
    public mutating func apply(_ operation: LedgerOperation, now: Timestamp) throws(LedgerError) -> LedgerOutcome {
        var scratch = Scratch()
        let outcome = try scratch.apply(operation, on: self, now: now)
        commit(scratch)
        return outcome
    }

    /// Applies a linked batch: every operation succeeds, or none is applied and the error names
    /// the first failing one (``LedgerError/linkedBatchFailed(index:underlying:)``).
    @discardableResult
    public mutating func apply(linked operations: [LedgerOperation], now: Timestamp) throws(LedgerError)
        -> [LedgerOutcome]
    {
        var scratch = Scratch()
        var outcomes: [LedgerOutcome] = []
        outcomes.reserveCapacity(operations.count)
        for (index, operation) in operations.enumerated() {
            do {
                outcomes.append(try scratch.apply(operation, on: self, now: now))
            } catch {
                throw .linkedBatchFailed(index: index, underlying: error)
            }
        }
        commit(scratch)
        return outcomes
    }

    /// Takes the changes made since the last call, for the store to write.
    public mutating func takeUnsavedChanges() -> [LedgerChange] {
        defer { unsavedChanges.removeAll(keepingCapacity: true) }
        return unsavedChanges
    }

    /// Rebuilds the ledger from stored accounts and the final state of every stored transfer.
    /// Balances are derived from transfers, so memory always agrees with the journal.
    public static func restore(accounts: [(AccountID, AccountFlags)], transfers: [Transfer]) throws(LedgerError)
        -> Ledger
    {
        var ledger = Ledger()
        for (id, flags) in accounts {
            guard ledger.accounts[id] == nil else { throw .accountAlreadyExists(id) }
            ledger.accounts[id] = Account(id: id, flags: flags)
        }
        for transfer in transfers {
            guard transfer.debitAccount != transfer.creditAccount else { throw .sameAccount(transfer.debitAccount) }
            guard var debit = ledger.accounts[transfer.debitAccount] else {
                throw .accountNotFound(transfer.debitAccount)
            }
            guard var credit = ledger.accounts[transfer.creditAccount] else {
                throw .accountNotFound(transfer.creditAccount)
            }
            switch transfer.state {
            case .pending:
                debit.debitsPending = try Self.add(debit.debitsPending, transfer.amount, debit.id)
                credit.creditsPending = try Self.add(credit.creditsPending, transfer.amount, credit.id)
                ledger.pendingTransferIDs.insert(transfer.id)
            case .posted:
                // Summed without the balance check: the journal's order is not the order in which
                // transfers were posted, so a balance may pass the range between two rows. The
                // final balances are checked below.
                debit.debitsPosted = debit.debitsPosted.adding(transfer.postedAmount)
                credit.creditsPosted = credit.creditsPosted.adding(transfer.postedAmount)
            case .voided, .expired:
                break
            }
            ledger.accounts[debit.id] = debit
            ledger.accounts[credit.id] = credit
            ledger.transfers[transfer.id] = transfer
        }
        if let account = ledger.accounts.values.first(where: { !$0.isBalanceInRange }) { throw .overflow(account.id) }
        return ledger
    }

    private mutating func commit(_ scratch: Scratch) {
        for (id, account) in scratch.accounts { accounts[id] = account }
        for (id, transfer) in scratch.transfers {
            transfers[id] = transfer
            if transfer.state == .pending {
                pendingTransferIDs.insert(id)
            } else {
                pendingTransferIDs.remove(id)
            }
        }
        unsavedChanges.append(contentsOf: scratch.changes)
    }

    static func add(_ lhs: Amount, _ rhs: Amount, _ account: AccountID) throws(LedgerError) -> Amount {
        do { return try lhs.adding(rhs) } catch { throw .overflow(account) }
    }

    /// Posts `amount` as a debit of `debit` and a credit of `credit` (see ``Account/postDebit(_:)``).
    static func post(_ amount: Amount, from debit: inout Account, to credit: inout Account) throws(LedgerError) {
        do { try debit.postDebit(amount) } catch { throw .overflow(debit.id) }
        do { try credit.postCredit(amount) } catch { throw .overflow(credit.id) }
    }

    static func subtract(_ lhs: Amount, _ rhs: Amount, _ account: AccountID) throws(LedgerError) -> Amount {
        do { return try lhs.subtracting(rhs) } catch { throw .overflow(account) }
    }
}

/// Sums over every account. Balanced when debits equal credits, posted and pending alike.
public struct LedgerTotals: Sendable, Equatable {
    public var debitsPosted: Int128 = 0
    public var creditsPosted: Int128 = 0
    public var debitsPending: Int128 = 0
    public var creditsPending: Int128 = 0
    public var accountCount = 0
    /// Constrained accounts below zero (always empty unless the journal was tampered with).
    public var overdrawnAccounts: [AccountID] = []

    /// Counts `account` in the sums.
    public mutating func add(_ account: Account) {
        debitsPosted += Int128(account.debitsPosted.micros)
        creditsPosted += Int128(account.creditsPosted.micros)
        debitsPending += Int128(account.debitsPending.micros)
        creditsPending += Int128(account.creditsPending.micros)
        if !account.isWithinConstraints { overdrawnAccounts.append(account.id) }
        accountCount += 1
    }

    public var isBalanced: Bool {
        debitsPosted == creditsPosted && debitsPending == creditsPending && overdrawnAccounts.isEmpty
    }
}
