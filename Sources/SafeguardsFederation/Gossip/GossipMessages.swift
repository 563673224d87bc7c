import SafeguardsCore

extension MessageType {
    /// Opens a gossip exchange with the sender's digest; the body is a ``GossipDigestBody``.
    public static let gossipDigest = MessageType(rawValue: "gossip_digest")
    /// Records the receiver lacks (and, answering a digest, the answerer's own digest); the body
    /// is a ``GossipDeltaBody``.
    public static let gossipDelta = MessageType(rawValue: "gossip_delta")

    /// The gossip protocol's message types.
    public static let gossip: Set<MessageType> = [.gossipDigest, .gossipDelta]
}

/// `{origin: (generation, version)}` of every record the sender holds.
public struct GossipDigestBody: MessageBody, Hashable {
    public static let messageType = MessageType.gossipDigest

    public var digest: [String: RecordVersion]

    public init(_ digest: [SystemID: RecordVersion]) {
        self.digest = Self.wire(digest)
    }

    /// The digest with its origins as system ids; entries that are not valid ids are dropped.
    public var origins: [SystemID: RecordVersion] { Self.origins(digest) }

    /// A digest as JSON carries it: keyed by the origins' raw ids.
    static func wire(_ digest: [SystemID: RecordVersion]) -> [String: RecordVersion] {
        Dictionary(uniqueKeysWithValues: digest.map { ($0.key.rawValue, $0.value) })
    }

    /// A digest from JSON, without the entries whose keys are not system ids.
    static func origins(_ digest: [String: RecordVersion]) -> [SystemID: RecordVersion] {
        Dictionary(uniqueKeysWithValues: digest.compactMap { key, value in (try? SystemID(key)).map { ($0, value) } })
    }
}

/// Records for the receiver, each with its origin's signature; answering a digest it also
/// carries the answerer's digest, so the asker can send back what the answerer lacks.
public struct GossipDeltaBody: MessageBody, Hashable {
    public static let messageType = MessageType.gossipDelta

    public var records: [SignedGossipRecord]
    public var digest: [String: RecordVersion]?

    public init(records: [SignedGossipRecord], digest: [SystemID: RecordVersion]?) {
        self.records = records
        self.digest = digest.map(GossipDigestBody.wire)
    }

    public var origins: [SystemID: RecordVersion]? { digest.map(GossipDigestBody.origins) }
}

extension SettlementMachine {
    /// The digest of every transaction accepted between this node and `peer`, in either direction:
    /// the same value on both nodes exactly when they agree on every id that moved budget. A
    /// transfer still pending here but accepted there makes them differ. Rejections are left out:
    /// they move nothing, and a giver keeps only a bounded number of them, while its requester
    /// keeps every rejection it learned. Kept as a running sum (``SettlementDigestSum``), so it
    /// needs none of the decided records the machine no longer holds.
    public func settlementDigest(with peer: SystemID) -> SettlementDigest {
        (digests[peer] ?? SettlementDigestSum()).digest
    }

    /// Status queries for every transfer to `peer` still pending here: what reconciliation sends
    /// when the peer's digest disagrees with ours.
    public func reconciliationQueries(with peer: SystemID) -> [SettlementDirective] {
        pendingTransactionIDs(with: peer).flatMap { queryStatus($0) }
    }
}
