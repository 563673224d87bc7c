/// The double-entry ledger: accounts, transfers and the rules that move budget between them.
///
/// Pure and deterministic: callers pass `now`. In the style of TigerBeetle, every movement is a
/// transfer with a unique id; constrained accounts count pending debits against their balance
/// at once; a linked batch is applied entirely or not at all. After every successful call the
/// sum of debits equals the sum of credits.
///
/// Accounts and transfers are kept by slot (``LedgerTable``) and found by id once, at the edge.
/// An operation checks everything before it writes anything, then writes in place, so a refused
/// one has changed nothing; a linked batch keeps an undo log and plays it back when one of its
/// operations is refused (see `LedgerMoves.swift`).
///
/// Memory holds the live state, not history: accounts, pending transfers, and the transfers
/// created or resolved within the idempotency window. Older ones leave when the owner calls
/// ``evictRetired(before:through:limit:)``, and a look-up by id that misses memory asks the
/// ``archive`` (see `Ledger+Window.swift`).
public struct Ledger: Sendable {
    /// Every account, by slot and by id.
    public internal(set) var accounts = AccountTable()
    /// The transfers in memory (pending ones and the window), by slot and by id.
    public internal(set) var transfers = TransferTable()
    /// Where transfers that left memory are found by id; nil keeps every transfer in memory
    /// (nothing is then evicted that could not be found again).
    public var archive: (any TransferArchive)?
    /// Whether the archive may hold transfers that are not in memory: set by whoever loaded the
    /// ledger (a start that left history on disk) and by every eviction. Until then a new id is
    /// not looked up, so a fresh node pays no read for it.
    public var hasTransfersOutsideMemory = true
    /// Transfers that are no longer pending, in the order their last change was taken by the
    /// store: the candidates for eviction, oldest first.
    var retirements = RetirementQueue()
    /// The debit and credit account of each transfer, at the transfer's slot.
    var transferLegs: [TransferLegs] = []
    /// Pending transfers with a timeout, by expiry, for the sweeps.
    var expiries = ExpiryQueue()
    /// Changes not yet taken by the store, oldest first, by slot: the ``LedgerChange`` values
    /// are built when they are taken (``change(_:)``), so a command copies no transfer for them.
    var unsavedChanges: [UnsavedChange] = []
    /// While a linked batch runs: how to take back each change it made so far, oldest first.
    var undoLog: [LedgerUndo]?
    /// While a linked batch runs: the pending transfers with a timeout it created, queued for
    /// expiry only once the whole batch succeeded.
    var expiriesOfBatch: [ExpiryQueue.Entry] = []

    public init() {}

    // MARK: Reading

    public func account(_ id: AccountID) -> Account? { accounts[id] }

    /// The transfer with `id`: from memory, else from the ``archive`` (not brought into memory).
    public func transfer(_ id: TransferID) -> Transfer? { transfers[id] ?? archived(id) }

    /// Ids of the transfers now pending. Found by a pass over every transfer: for checks and
    /// tests, not for a path that runs per command.
    public var pendingTransferIDs: Set<TransferID> {
        Set(transfers.values.lazy.filter { $0.state == .pending }.map(\.id))
    }

    /// Pending transfers whose timeout has passed at `now`, in id order.
    public func expiredPendingTransfers(at now: Timestamp) -> [TransferID] {
        // A slot may be named by more than one live entry (a reused slot whose new transfer
        // expires at the same time as the old entry says): each id once.
        Array(Set(expiries.due(at: now, isLive: isLive).map { transfers[slot: $0].id })).sorted()
    }

    func isPending(_ slot: TransferSlot) -> Bool { transfers[slot: slot].state == .pending }

    /// Whether an expiry entry stands for the transfer now at its slot: pending, and due when the
    /// entry says (an entry left by a transfer whose slot was reused is not).
    func isLive(_ entry: ExpiryQueue.Entry) -> Bool { Self.isLive(entry, in: transfers) }

    static func isLive(_ entry: ExpiryQueue.Entry, in transfers: TransferTable) -> Bool {
        transfers[slot: entry.slot].state == .pending && transfers[slot: entry.slot].expiresAt == entry.expiresAt
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
        try perform(operation, now: now)
    }

    /// Applies a linked batch: every operation succeeds, or none is applied and the error names
    /// the first failing one (``LedgerError/linkedBatchFailed(index:underlying:)``).
    ///
    /// Each operation changes the ledger in place, so the next one sees it; the batch keeps an
    /// undo log (one entry per account or transfer it touched) and, when an operation fails,
    /// plays it backwards.
    @discardableResult
    public mutating func apply(linked operations: [LedgerOperation], now: Timestamp) throws(LedgerError)
        -> [LedgerOutcome]
    {
        let changesBefore = unsavedChanges.count
        undoLog = []
        expiriesOfBatch.removeAll(keepingCapacity: true)
        var outcomes: [LedgerOutcome] = []
        outcomes.reserveCapacity(operations.count)
        for (index, operation) in operations.enumerated() {
            do {
                outcomes.append(try perform(operation, now: now))
            } catch {
                rollBack()
                unsavedChanges.removeSubrange(changesBefore...)
                throw .linkedBatchFailed(index: index, underlying: error)
            }
        }
        undoLog = nil
        for entry in expiriesOfBatch where isPending(entry.slot) { queueExpiry(entry) }
        expiriesOfBatch.removeAll(keepingCapacity: true)
        return outcomes
    }

    /// Takes the changes made since the last call, for the store to write.
    public mutating func takeUnsavedChanges() -> [LedgerChange] {
        defer { clearUnsavedChanges() }
        return unsavedChanges.map(change)
    }

    /// Forgets the changes taken by the store; the transfers they left no longer pending become
    /// candidates for eviction.
    mutating func clearUnsavedChanges() {
        for unsaved in unsavedChanges {
            switch unsaved {
            case .accountOpened:
                continue
            case .transferCreated(let slot):
                // A two-phase transfer retires when it is resolved (its own change).
                guard !transfers[slot: slot].isPending else { continue }
                retirements.append(slot, at: transfers[slot: slot].createdAt)
            case .transferResolved(let slot):
                retirements.append(slot, at: transfers[slot: slot].lastChangedAt)
            }
        }
        unsavedChanges.removeAll(keepingCapacity: true)
    }

    /// A change the ledger made, by the slot of what it changed.
    enum UnsavedChange: Sendable {
        case accountOpened(AccountSlot)
        case transferCreated(TransferSlot)
        /// Resolved: pending → posted, voided or expired. A transfer is resolved at most once,
        /// so its row still shows this change when it is taken.
        case transferResolved(TransferSlot)
    }

    /// The change as the store writes it.
    func change(_ unsaved: UnsavedChange) -> LedgerChange {
        switch unsaved {
        case .accountOpened(let slot):
            return .accountOpened(accounts[slot: slot].id, accounts[slot: slot].flags)
        case .transferCreated(let slot):
            return .transferCreated(transfers[slot: slot].asCreated)
        case .transferResolved(let slot):
            return .transferResolved(transfers[slot: slot])
        }
    }

    /// Rebuilds the ledger from stored accounts and the final state of every stored transfer,
    /// deriving the balances from the whole journal (a replay; the node starts from checkpointed
    /// balances instead, ``restore(checkpoint:transfers:)``).
    public static func restore(accounts: [(AccountID, AccountFlags)], transfers: [Transfer]) throws(LedgerError)
        -> Ledger
    {
        var ledger = Ledger()
        for (id, flags) in accounts {
            guard ledger.accounts.insert(Account(id: id, flags: flags)) != nil else { throw .accountAlreadyExists(id) }
        }
        var expiries: [ExpiryQueue.Entry] = []
        for transfer in transfers {
            let legs = try ledger.storedLegs(of: transfer)
            let (debitSlot, creditSlot) = (legs.debit, legs.credit)
            var debit = ledger.accounts[slot: debitSlot]
            var credit = ledger.accounts[slot: creditSlot]
            switch transfer.state {
            case .pending:
                debit.debitsPending = try Self.add(debit.debitsPending, transfer.amount, debit.id)
                credit.creditsPending = try Self.add(credit.creditsPending, transfer.amount, credit.id)
                if let expiresAt = transfer.expiresAt {
                    expiries.append(ExpiryQueue.Entry(expiresAt: expiresAt, slot: TransferSlot(ledger.transfers.capacity)))
                }
            case .posted:
                // Summed without the balance check: the journal's order is not the order in which
                // transfers were posted, so a balance may pass the range between two rows. The
                // final balances are checked below.
                debit.debitsPosted = debit.debitsPosted.adding(transfer.postedAmount)
                credit.creditsPosted = credit.creditsPosted.adding(transfer.postedAmount)
            case .voided, .expired:
                break
            }
            guard let slot = ledger.transfers.insert(transfer) else { throw .transferIDConflict(transfer.id) }
            ledger.transferLegs.append(TransferLegs(debit: debitSlot, credit: creditSlot))
            ledger.accounts[slot: debitSlot] = debit
            ledger.accounts[slot: creditSlot] = credit
            if transfer.state != .pending { ledger.retirements.append(slot, at: transfer.lastChangedAt) }
        }
        if let account = ledger.accounts.values.first(where: { !$0.isBalanceInRange }) { throw .overflow(account.id) }
        ledger.expiries = ExpiryQueue(expiries)
        return ledger
    }

    /// The accounts of a stored transfer, by slot; throws when they are the same or unknown.
    func storedLegs(of transfer: Transfer) throws(LedgerError) -> TransferLegs {
        guard transfer.debitAccount != transfer.creditAccount else { throw .sameAccount(transfer.debitAccount) }
        guard let debit = accounts.slot(of: transfer.debitAccount) else { throw .accountNotFound(transfer.debitAccount) }
        guard let credit = accounts.slot(of: transfer.creditAccount) else {
            throw .accountNotFound(transfer.creditAccount)
        }
        return TransferLegs(debit: debit, credit: credit)
    }

    static func add(_ lhs: Amount, _ rhs: Amount, _ account: AccountID) throws(LedgerError) -> Amount {
        do { return try lhs.adding(rhs) } catch { throw .overflow(account) }
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
