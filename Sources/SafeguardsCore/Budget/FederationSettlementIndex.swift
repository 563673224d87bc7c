/// What the store keeps beside one settlement record so that a node needs neither every record in
/// memory nor a replay at start-up: the transaction's row in the paged transaction index (one row
/// per transaction, pointing at its latest record, marked while pending) and the record's change
/// to its peer's running totals (the federation checkpoint). The federation module computes it;
/// the ledger only carries it to disk with the record.
public struct FederationSettlementIndex: Sendable, Hashable {
    /// `outgoing` (this node started it) or `incoming` (this node decided it).
    public var direction: String
    /// The transaction id.
    public var transactionID: String
    /// Whether the transaction still waits for its giver after this record.
    public var isPending: Bool
    /// Added to the credit the peer used on this node's line, in micro-units.
    public var creditUsed: Int64
    /// Added to the credit this node drew from the peer, in micro-units.
    public var drawn: Int64
    /// Lines added to the settlement digest with the peer (0 or 1).
    public var digestCount: Int
    /// Added to each lane of the digest's running sum (three lanes).
    public var digestLanes: [Int64]

    /// An index entry with every field.
    public init(
        direction: String, transactionID: String, isPending: Bool, creditUsed: Int64 = 0, drawn: Int64 = 0,
        digestCount: Int = 0, digestLanes: [Int64] = [0, 0, 0]
    ) {
        self.direction = direction
        self.transactionID = transactionID
        self.isPending = isPending
        self.creditUsed = creditUsed
        self.drawn = drawn
        self.digestCount = digestCount
        self.digestLanes = digestLanes
    }

    /// Whether the record leaves the totals as they were.
    public var changesNoTotal: Bool { creditUsed == 0 && drawn == 0 && digestCount == 0 }
}
