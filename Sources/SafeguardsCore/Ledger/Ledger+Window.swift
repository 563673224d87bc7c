/// The idempotency window: which transfers stay in memory, how the others leave, and how a
/// look-up by id finds one that left.
///
/// A transfer that is no longer pending joins the ``RetirementQueue`` when the store takes its
/// last change. ``Ledger/evictRetired(before:through:limit:)`` takes, from the head of that
/// queue, the transfers whose last change is older than the window and whose rows the store has
/// committed (the owner says how far: a change still in a group commit in flight, or in one that
/// failed, must stay, since a failed commit reloads memory from what the disk holds). Their
/// slots are reused by the next transfers, so memory follows the live state, not history.
///
/// Everything that refers to a transfer by slot stays right: the legs are written again when a
/// slot is reused; an expiry entry is live only while its slot holds a pending transfer that
/// expires when the entry says; unsaved changes and the undo log are empty between commands,
/// the only time eviction runs.
extension Ledger {
    /// The stored transfer with `id` from the ``archive``; nil without one, and without a look-up
    /// for an id the node minted from random bits (it cannot be in history).
    func archived(_ id: TransferID) -> Transfer? {
        guard let archive, hasTransfersOutsideMemory, !id.isMintedByNode else { return nil }
        return archive.transfer(id)
    }

    /// The slot of `id`: in memory, or brought back from the ``archive``.
    mutating func locate(_ id: TransferID) -> TransferSlot? {
        if let slot = transfers.slot(of: id) { return slot }
        guard let stored = archived(id) else { return nil }
        return hydrate(stored)
    }

    /// Brings the transfers whose ids start with `prefix` back from the archive (those not in
    /// memory already), and returns them.
    mutating func hydrate(withIDPrefix prefix: String, limit: Int) -> [Transfer] {
        guard let archive, hasTransfersOutsideMemory else { return [] }
        return archive.transfers(withIDPrefix: prefix, limit: limit).compactMap { stored in
            if let slot = transfers.slot(of: stored.id) { return transfers[slot: slot] }
            return hydrate(stored).map { transfers[slot: $0] }
        }
    }

    /// Puts a stored transfer back in memory as it was stored: not an unsaved change, and (once
    /// resolved) a candidate for the next eviction. Nil when its accounts are unknown or its id
    /// is already held.
    mutating func hydrate(_ stored: Transfer) -> TransferSlot? {
        guard let debit = accounts.slot(of: stored.debitAccount), let credit = accounts.slot(of: stored.creditAccount),
            let slot = transfers.insert(stored)
        else { return nil }
        setLegs(TransferLegs(debit: debit, credit: credit), at: slot)
        if stored.state == .pending {
            // Never the case for a consistent journal: pending transfers are always in memory.
            if let expiresAt = stored.expiresAt { queueExpiry(ExpiryQueue.Entry(expiresAt: expiresAt, slot: slot)) }
        } else {
            retirements.append(slot, at: stored.lastChangedAt)
        }
        return slot
    }

    /// How many transfers have joined the retirement queue since this ledger was built: the
    /// mark a group of changes carries once taken (``BudgetBook/takeUnsavedChanges()``), so
    /// the owner can say, by the last committed group's mark, which retirements are durable.
    public var retirementMark: Int { retirements.endNumber }

    /// How many transfers wait in the retirement queue.
    public var retiredCount: Int { retirements.count }

    /// Takes out of memory up to `limit` transfers from the head of the retirement queue whose
    /// last change is before `cutoff` and that joined the queue before `mark` (their rows are
    /// committed). Returns those it took out. Does nothing while changes are unsaved or a linked
    /// batch runs: they refer to transfers by slot.
    public mutating func evictRetired(before cutoff: Timestamp, through mark: Int, limit: Int) -> [Transfer] {
        guard archive != nil, unsavedChanges.isEmpty, undoLog == nil else { return [] }
        var evicted: [Transfer] = []
        while evicted.count < limit, let head = retirements.head, head.number < mark, head.at < cutoff {
            retirements.removeHead()
            guard transfers.isOccupied(head.slot), transfers[slot: head.slot].state != .pending else { continue }
            evicted.append(transfers[slot: head.slot])
            transfers.vacate(head.slot)
            hasTransfersOutsideMemory = true
        }
        return evicted
    }
}

/// Transfers that are no longer pending, oldest last change first, each with its number in the
/// order it joined. A queue over an array whose consumed head is dropped in one move once it is
/// the larger half: constant per entry, amortized.
struct RetirementQueue: Sendable {
    struct Entry: Sendable {
        let slot: TransferSlot
        let at: Timestamp
        let number: Int
    }

    private var entries: [Entry] = []
    private var headIndex = 0
    /// The number the next entry gets.
    private(set) var endNumber = 0

    var count: Int { entries.count - headIndex }
    var head: Entry? { headIndex < entries.count ? entries[headIndex] : nil }

    mutating func append(_ slot: TransferSlot, at time: Timestamp) {
        entries.append(Entry(slot: slot, at: time, number: endNumber))
        endNumber += 1
    }

    mutating func removeHead() {
        headIndex += 1
        if headIndex >= 1024, headIndex * 2 >= entries.count {
            entries.removeSubrange(..<headIndex)
            headIndex = 0
        }
    }
}
