/// Start-up from checkpointed balances: the store keeps each account's four counters next to
/// the journal, written in the same transaction as the transfers that change them, so a node
/// loads its accounts and live transfers instead of replaying its whole history.
extension Ledger {
    /// Rebuilds the ledger from stored accounts with their balances and the transfers memory
    /// holds (every pending one, and those of the window), in journal order.
    ///
    /// Balances are taken as stored, not derived; they are checked instead: every posted
    /// balance must be in range, debits must equal credits (posted and pending), and each
    /// account's pending counters must equal the sums of the pending transfers on it. Throws
    /// ``LedgerError/checkpointMismatch(_:_:)`` (or the error a malformed transfer gives) and
    /// builds nothing otherwise.
    public static func restore(checkpoint: [Account], transfers: [Transfer]) throws(LedgerError) -> Ledger {
        var ledger = Ledger()
        for account in checkpoint {
            guard account.isBalanceInRange else { throw .overflow(account.id) }
            guard !account.debitsPending.isNegative, !account.creditsPending.isNegative else {
                throw .checkpointMismatch(account.id, "a pending counter is negative")
            }
            guard ledger.accounts.insert(account) != nil else { throw .accountAlreadyExists(account.id) }
        }
        var pending: [AccountSlot: AccountBalances] = [:]
        var expiries: [ExpiryQueue.Entry] = []
        var retired: [(slot: TransferSlot, at: Timestamp)] = []
        for transfer in transfers {
            let legs = try ledger.storedLegs(of: transfer)
            let (debit, credit) = (legs.debit, legs.credit)
            guard let slot = ledger.transfers.insert(transfer) else { throw .transferIDConflict(transfer.id) }
            ledger.transferLegs.append(legs)
            if transfer.state == .pending {
                pending[debit, default: AccountBalances()].debitsPending = try add(
                    pending[debit]?.debitsPending ?? .zero, transfer.amount, transfer.debitAccount)
                pending[credit, default: AccountBalances()].creditsPending = try add(
                    pending[credit]?.creditsPending ?? .zero, transfer.amount, transfer.creditAccount)
                if let expiresAt = transfer.expiresAt { expiries.append(ExpiryQueue.Entry(expiresAt: expiresAt, slot: slot)) }
            } else {
                retired.append((slot, transfer.lastChangedAt))
            }
        }
        var totals = LedgerTotals()
        for account in ledger.accounts.values {
            let sums = ledger.accounts.slot(of: account.id).flatMap { pending[$0] } ?? AccountBalances()
            guard sums.debitsPending == account.debitsPending, sums.creditsPending == account.creditsPending else {
                throw .checkpointMismatch(
                    account.id,
                    "pending \(account.debitsPending)/\(account.creditsPending) stored, "
                        + "\(sums.debitsPending)/\(sums.creditsPending) in pending transfers")
            }
            totals.add(account)
        }
        guard totals.debitsPosted == totals.creditsPosted, totals.debitsPending == totals.creditsPending else {
            throw .checkpointMismatch(
                ledger.accounts.values.first?.id ?? AccountID(unchecked: ""), "debits do not equal credits")
        }
        ledger.expiries = ExpiryQueue(expiries)
        // Oldest last change first, so eviction takes them from the head of the queue.
        for (slot, at) in retired.sorted(by: { $0.at < $1.at }) { ledger.retirements.append(slot, at: at) }
        return ledger
    }
}
