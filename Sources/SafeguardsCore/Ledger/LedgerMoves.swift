/// How the ledger changes: every operation checks everything first and then writes in place, so
/// a refused operation has changed nothing. Commands of the budget book call the slot-based
/// entry points (``create(_:now:)`` with a ``TransferDraft``, ``resolve(_:to:amount:now:)``)
/// and so never look an account up by id; ``LedgerOperation``s name accounts and transfers by
/// id and are looked up once, here.
extension Ledger {
    /// Applies one operation in place. Throws, having changed nothing, when it is refused.
    mutating func perform(_ operation: LedgerOperation, now: Timestamp) throws(LedgerError) -> LedgerOutcome {
        switch operation {
        case .openAccount(let id, let flags):
            return try openAccount(id, flags: flags)
        case .create(let request):
            return try create(request, now: now)
        case .post(let id, let amount):
            return try resolve(try slot(of: id), to: .posted, amount: amount, now: now)
        case .void(let id):
            return try resolve(try slot(of: id), to: .voided, amount: nil, now: now)
        case .expire(let id):
            return try resolve(try slot(of: id), to: .expired, amount: nil, now: now)
        }
    }

    private mutating func slot(of id: TransferID) throws(LedgerError) -> TransferSlot {
        guard let slot = locate(id) else { throw .transferNotFound(id) }
        return slot
    }

    private mutating func openAccount(_ id: AccountID, flags: AccountFlags) throws(LedgerError) -> LedgerOutcome {
        if let existing = accounts[id] {
            guard existing.flags == flags else { throw .accountAlreadyExists(id) }
            return LedgerOutcome(transfer: nil, replayed: true)
        }
        guard let slot = accounts.insert(Account(id: id, flags: flags)) else { throw .accountAlreadyExists(id) }
        undoLog?.append(.accountOpened)
        unsavedChanges.append(.accountOpened(slot))
        return LedgerOutcome(transfer: nil, replayed: false)
    }

    /// A transfer request whose accounts are named by id: looks them up, then creates it.
    private mutating func create(_ request: TransferRequest, now: Timestamp) throws(LedgerError) -> LedgerOutcome {
        guard let debit = accounts.slot(of: request.debitAccount), let credit = accounts.slot(of: request.creditAccount)
        else {
            // The same checks, in the same order, as for a request whose accounts exist.
            if let existing = transfer(request.id) {
                guard existing.matches(request) else { throw .transferIDConflict(request.id) }
                return LedgerOutcome(transfer: existing, replayed: true)
            }
            guard request.amount.isPositive else { throw .amountNotPositive(request.amount) }
            guard request.debitAccount != request.creditAccount else { throw .sameAccount(request.debitAccount) }
            let missing = accounts.slot(of: request.debitAccount) == nil ? request.debitAccount : request.creditAccount
            throw .accountNotFound(missing)
        }
        return try create(
            TransferDraft(
                id: request.id, debit: debit, credit: credit, amount: request.amount, isPending: request.isPending,
                timeoutMilliseconds: request.timeoutMilliseconds, note: request.note),
            now: now)
    }

    /// Creates a single-phase or pending transfer between two accounts known by slot. Repeating
    /// an existing id with the same fields returns the stored transfer; with other fields it is
    /// ``LedgerError/transferIDConflict(_:)``. Hashes the transfer id once.
    mutating func create(_ draft: TransferDraft, now: Timestamp) throws(LedgerError) -> LedgerOutcome {
        let slot: TransferSlot
        switch transfers.claimSlot(for: draft.id) {
        case .taken(let existing):
            let transfer = transfers[slot: existing]
            guard draft.matches(transfer, legs: transferLegs[existing.index]) else {
                throw .transferIDConflict(draft.id)
            }
            return LedgerOutcome(transfer: transfer, replayed: true)
        case .claimed(let claimed):
            if let stored = archived(draft.id) {
                // Created before the window: answered like the first time, from the journal.
                transfers.releaseClaim(for: draft.id)
                guard let existing = hydrate(stored) else { throw .transferIDConflict(draft.id) }
                guard draft.matches(stored, legs: transferLegs[existing.index]) else {
                    throw .transferIDConflict(draft.id)
                }
                return LedgerOutcome(transfer: stored, replayed: true)
            }
            slot = claimed
        }
        let debit: AccountBalances
        let credit: AccountBalances
        do {
            (debit, credit) = try balancesAfter(draft)
        } catch {
            transfers.releaseClaim(for: draft.id)
            throw error
        }
        setBalances(debit, at: draft.debit)
        setBalances(credit, at: draft.credit)
        let transfer = Transfer(
            id: draft.id, debitAccount: accounts[slot: draft.debit].id, creditAccount: accounts[slot: draft.credit].id,
            amount: draft.amount, isPending: draft.isPending, timeoutMilliseconds: draft.timeoutMilliseconds,
            note: draft.note, createdAt: now, state: draft.isPending ? .pending : .posted,
            postedAmount: draft.isPending ? .zero : draft.amount, resolvedAt: nil)
        transfers.append(transfer)
        setLegs(TransferLegs(debit: draft.debit, credit: draft.credit), at: slot)
        undoLog?.append(.transferCreated(slot))
        unsavedChanges.append(.transferCreated(slot))
        if let expiresAt = transfer.expiresAt {
            let entry = ExpiryQueue.Entry(expiresAt: expiresAt, slot: slot)
            if undoLog == nil { queueExpiry(entry) } else { expiriesOfBatch.append(entry) }
        }
        return LedgerOutcome(transfer: transfer, replayed: false)
    }

    /// The balances of the two accounts as `draft` would leave them; throws when it must be refused.
    private func balancesAfter(_ draft: TransferDraft) throws(LedgerError) -> (AccountBalances, AccountBalances) {
        guard draft.amount.isPositive else { throw .amountNotPositive(draft.amount) }
        guard draft.debit != draft.credit else { throw .sameAccount(accounts[slot: draft.debit].id) }
        var debit = accounts[slot: draft.debit].balances
        var credit = accounts[slot: draft.credit].balances
        if accounts[slot: draft.debit].flags.contains(.debitsMustNotExceedCredits), debit.available < draft.amount {
            throw .insufficientFunds(
                account: accounts[slot: draft.debit].id, available: debit.available, requested: draft.amount)
        }
        if draft.isPending {
            do { debit.debitsPending = try debit.debitsPending.adding(draft.amount) } catch {
                throw .overflow(accounts[slot: draft.debit].id)
            }
            do { credit.creditsPending = try credit.creditsPending.adding(draft.amount) } catch {
                throw .overflow(accounts[slot: draft.credit].id)
            }
        } else {
            try post(draft.amount, from: &debit, draft.debit, to: &credit, draft.credit)
        }
        return (debit, credit)
    }

    /// Posts (in full when `amount` is nil, else in part: the rest is released), voids or
    /// expires the pending transfer at `slot`. Repeating the same resolution returns the stored
    /// transfer.
    mutating func resolve(
        _ slot: TransferSlot, to target: TransferState, amount: Amount?, now: Timestamp
    ) throws(LedgerError) -> LedgerOutcome {
        let state = transfers[slot: slot].state
        let reserved = transfers[slot: slot].amount
        guard transfers[slot: slot].isPending else { throw .notPending(transfers[slot: slot].id, state) }
        if state != .pending {
            // A retry of the same resolution changes nothing and returns the first result.
            if state == target, target != .posted || (amount ?? reserved) == transfers[slot: slot].postedAmount {
                return LedgerOutcome(transfer: transfers[slot: slot], replayed: true)
            }
            throw .notPending(transfers[slot: slot].id, state)
        }
        let expired = transfers[slot: slot].expiresAt.map { $0 <= now } ?? false
        if target == .posted, expired { throw .pendingExpired(transfers[slot: slot].id) }
        if target == .expired, !expired { throw .notYetExpired(transfers[slot: slot].id) }

        let posted = target == .posted ? (amount ?? reserved) : .zero
        if target == .posted {
            guard posted.isPositive else { throw .amountNotPositive(posted) }
            guard posted <= reserved else {
                throw .postExceedsPending(transfers[slot: slot].id, pending: reserved, requested: posted)
            }
        }
        let legs = transferLegs[slot.index]
        var debit = accounts[slot: legs.debit].balances
        var credit = accounts[slot: legs.credit].balances
        do { debit.debitsPending = try debit.debitsPending.subtracting(reserved) } catch {
            throw .overflow(accounts[slot: legs.debit].id)
        }
        do { credit.creditsPending = try credit.creditsPending.subtracting(reserved) } catch {
            throw .overflow(accounts[slot: legs.credit].id)
        }
        try post(posted, from: &debit, legs.debit, to: &credit, legs.credit)

        setBalances(debit, at: legs.debit)
        setBalances(credit, at: legs.credit)
        undoLog?.append(.transferResolved(slot))
        transfers[slot: slot].state = target
        transfers[slot: slot].postedAmount = posted
        transfers[slot: slot].resolvedAt = now
        unsavedChanges.append(.transferResolved(slot))
        return LedgerOutcome(transfer: transfers[slot: slot], replayed: false)
    }

    /// Adds `amount` to the posted debits of `debit` and the posted credits of `credit`; throws
    /// ``LedgerError/overflow(_:)`` naming the account whose balance would leave the range.
    private func post(
        _ amount: Amount, from debit: inout AccountBalances, _ debitSlot: AccountSlot,
        to credit: inout AccountBalances, _ creditSlot: AccountSlot
    ) throws(LedgerError) {
        do { try debit.postDebit(amount) } catch { throw .overflow(accounts[slot: debitSlot].id) }
        do { try credit.postCredit(amount) } catch { throw .overflow(accounts[slot: creditSlot].id) }
    }

    private mutating func setBalances(_ balances: AccountBalances, at slot: AccountSlot) {
        if undoLog != nil {
            let before = accounts[slot: slot].balances
            undoLog?.append(.balancesChanged(slot, before))
        }
        accounts[slot: slot].balances = balances
    }

    mutating func queueExpiry(_ entry: ExpiryQueue.Entry) {
        // A second reference to the table for the queue to read while it changes; it ends with
        // this call, before the table is written again, so it never forces a copy.
        let transfers = self.transfers
        expiries.push(entry) { Self.isLive($0, in: transfers) }
    }

    /// Notes the accounts of the transfer at `slot`, which is new or reused.
    mutating func setLegs(_ legs: TransferLegs, at slot: TransferSlot) {
        if slot.index == transferLegs.count {
            transferLegs.append(legs)
        } else {
            transferLegs[slot.index] = legs
        }
    }

    /// Takes back everything the linked batch under way has done, newest first.
    mutating func rollBack() {
        for undo in (undoLog ?? []).reversed() {
            switch undo {
            case .accountOpened:
                accounts.removeLast()
            case .balancesChanged(let slot, let balances):
                accounts[slot: slot].balances = balances
            case .transferCreated(let slot):
                transfers.vacate(slot)
            case .transferResolved(let slot):
                // Only a pending transfer is resolved, and it has posted nothing yet.
                transfers[slot: slot].state = .pending
                transfers[slot: slot].postedAmount = .zero
                transfers[slot: slot].resolvedAt = nil
            }
        }
        undoLog = nil
        expiriesOfBatch.removeAll(keepingCapacity: true)
    }
}

/// A transfer to create, its accounts known by slot.
struct TransferDraft {
    var id: TransferID
    var debit: AccountSlot
    var credit: AccountSlot
    var amount: Amount
    var isPending: Bool
    /// `nil` for a single-phase transfer.
    var timeoutMilliseconds: Int64?
    var note: TransferNote

    /// Whether `transfer` (with its accounts at `legs`) is what this draft asks for, so a retry
    /// with it is answered by the stored transfer.
    func matches(_ transfer: Transfer, legs: TransferLegs) -> Bool {
        legs.debit == debit && legs.credit == credit && transfer.amount == amount && transfer.isPending == isPending
            && transfer.timeoutMilliseconds == timeoutMilliseconds && transfer.note == note
    }
}

/// One step a linked batch took, and how to take it back.
enum LedgerUndo: Sendable {
    /// The account opened last: remove it.
    case accountOpened
    /// An account's balances changed: what they were.
    case balancesChanged(AccountSlot, AccountBalances)
    /// A transfer was created at this slot: remove it.
    case transferCreated(TransferSlot)
    /// A pending transfer was resolved: make it pending again.
    case transferResolved(TransferSlot)
}
