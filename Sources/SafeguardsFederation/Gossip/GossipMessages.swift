import SafeguardsCore

extension MessageType {
    /// Opens a gossip exchange with the sender's view, or (from a node of an older version, or a
    /// node that fell back) its full digest; the body is a ``GossipDigestBody``.
    public static let gossipDigest = MessageType(rawValue: "gossip_digest")
    /// Records the receiver lacks, and, answering a digest, the answerer's view (and its full
    /// digest when the views differ); the body is a ``GossipDeltaBody``.
    public static let gossipDelta = MessageType(rawValue: "gossip_delta")

    /// The gossip protocol's message types.
    public static let gossip: Set<MessageType> = [.gossipDigest, .gossipDelta]
}

/// How a gossip exchange opens: the sender's ``GossipView`` (this version), or its full digest
/// `{origin: (generation, version)}` of every record it holds (older versions, which know only
/// this form; a node of this version still answers it as they expect).
///
/// Bounded: a digest lists at most ``maximumOrigins`` origins, and a body carries a view or a
/// digest; anything else is malformed.
public struct GossipDigestBody: MessageBody, Hashable {
    public static let messageType = MessageType.gossipDigest

    /// The most origins one digest (or a `wanted` list) may name: far more than a federation has
    /// members, far less than a frame could carry.
    public static let maximumOrigins = 4096

    public var digest: [String: RecordVersion]?
    public var view: GossipView?

    /// A full digest, as every version sends and understands it.
    public init(_ digest: [SystemID: RecordVersion]) {
        self.digest = Self.wire(digest)
        self.view = nil
    }

    /// A view only: what this version opens an exchange with.
    public init(view: GossipView) {
        self.digest = nil
        self.view = view
    }

    /// The full digest with its origins as system ids (entries that are not valid ids are
    /// dropped), or `nil` when the body carries a view only.
    public var origins: [SystemID: RecordVersion]? { digest.map(Self.origins) }

    enum CodingKeys: String, CodingKey { case digest, view }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        digest = try Self.boundedDigest(container, .digest)
        view = try container.decodeIfPresent(GossipView.self, forKey: .view)
        guard digest != nil || view != nil else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: [], debugDescription: "a gossip_digest carries a view or a digest, and this has neither"))
        }
    }

    /// A digest as JSON carries it: keyed by the origins' raw ids.
    static func wire(_ digest: [SystemID: RecordVersion]) -> [String: RecordVersion] {
        Dictionary(uniqueKeysWithValues: digest.map { ($0.key.rawValue, $0.value) })
    }

    /// A digest from JSON, without the entries whose keys are not system ids.
    static func origins(_ digest: [String: RecordVersion]) -> [SystemID: RecordVersion] {
        Dictionary(uniqueKeysWithValues: digest.compactMap { key, value in (try? SystemID(key)).map { ($0, value) } })
    }

    /// The digest under `key`, if any, refused when it names more than ``maximumOrigins`` origins.
    static func boundedDigest<Key: CodingKey>(_ container: KeyedDecodingContainer<Key>, _ key: Key) throws
        -> [String: RecordVersion]?
    {
        guard let digest = try container.decodeIfPresent([String: RecordVersion].self, forKey: key) else { return nil }
        guard digest.count <= maximumOrigins else {
            throw DecodingError.dataCorruptedError(
                forKey: key, in: container,
                debugDescription: "'\(key.stringValue)' names \(digest.count) origins; at most \(maximumOrigins)")
        }
        return digest
    }
}

/// Records for the receiver, each with its origin's signature.
///
/// Answering a digest it also carries the answerer's ``view``, and its full ``digest`` when the
/// asker opened with a full digest or with a view unlike the answerer's, so the asker can send
/// back what the answerer lacks. The asker's follow-up carries, in ``wanted``, its own versions
/// of the origins the answerer holds newer; the answer to it carries their records.
///
/// Bounded: at most ``maximumRecords`` records, and at most ``GossipDigestBody/maximumOrigins``
/// origins in `digest` and in `wanted`.
public struct GossipDeltaBody: MessageBody, Hashable {
    public static let messageType = MessageType.gossipDelta

    /// The most records one delta may carry (a sender also keeps to its byte bound).
    public static let maximumRecords = 4096

    public var records: [SignedGossipRecord]
    public var digest: [String: RecordVersion]?
    public var view: GossipView?
    public var wanted: [String: RecordVersion]?

    public init(
        records: [SignedGossipRecord], digest: [SystemID: RecordVersion]?, view: GossipView? = nil,
        wanted: [SystemID: RecordVersion]? = nil
    ) {
        self.records = records
        self.digest = digest.map(GossipDigestBody.wire)
        self.view = view
        self.wanted = wanted.map(GossipDigestBody.wire)
    }

    /// The answerer's full digest, with its origins as system ids, if the body carries one.
    public var origins: [SystemID: RecordVersion]? { digest.map(GossipDigestBody.origins) }

    /// The sender's versions of the origins whose newer records it asks for, if any.
    public var wantedOrigins: [SystemID: RecordVersion]? { wanted.map(GossipDigestBody.origins) }

    enum CodingKeys: String, CodingKey { case records, digest, view, wanted }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        records = try container.decode([SignedGossipRecord].self, forKey: .records)
        guard records.count <= Self.maximumRecords else {
            throw DecodingError.dataCorruptedError(
                forKey: .records, in: container,
                debugDescription: "a gossip_delta carries \(records.count) records; at most \(Self.maximumRecords)")
        }
        digest = try GossipDigestBody.boundedDigest(container, .digest)
        view = try container.decodeIfPresent(GossipView.self, forKey: .view)
        wanted = try GossipDigestBody.boundedDigest(container, .wanted)
    }
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
