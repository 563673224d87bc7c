/// The book's part of the idempotency window (see `Ledger+Window.swift`): what leaves memory
/// with a transfer.
extension BudgetBook {
    /// Where transfers that left memory are found by id (the store's journal).
    public var archive: (any TransferArchive)? {
        get { ledger.archive }
        set { ledger.archive = newValue }
    }

    /// Takes out of memory up to `limit` transfers last changed before `cutoff` whose rows are
    /// committed (they joined the retirement queue before `mark`, see ``Ledger/retirementMark``),
    /// with what the book keeps for them. Returns how many left.
    @discardableResult
    public mutating func evictRetired(before cutoff: Timestamp, through mark: Int, limit: Int) -> Int {
        let evicted = ledger.evictRetired(before: cutoff, through: mark, limit: limit)
        for transfer in evicted
        where transfer.metadataValue(TransferMetadataKey.kind) == TransferKind.resourceReservation.rawValue {
            guard let id = transfer.metadataValue("reservation_id") else { continue }
            resourceReservations[TransferID(unchecked: id)] = nil
        }
        return evicted.count
    }

    /// How many multi-resource reservations the book keeps the types of.
    public var resourceReservationCount: Int { resourceReservations.count }
}
