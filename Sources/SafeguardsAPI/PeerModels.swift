import Foundation

/// `POST /v1/peers`: registers (or updates) a peer — the original framework's
/// `register_remote_system`. The certificate the peer presents must name `system_id`, and its
/// messages must be signed by `public_key`; together they replace a shared API key.
public struct PeerRequest: Codable, Sendable, Equatable {
    public var systemID: String
    /// `host:port` of the peer's federation listener.
    public var address: String
    /// 0..1, as a JSON number (`0.8`) or a decimal string (`"0.8"`); at most four decimals.
    public var trustLevel: String
    /// Base64 of the peer's raw Ed25519 public key (its `.signing.pub` file).
    public var publicKey: String

    public init(systemID: String, address: String, trustLevel: String, publicKey: String) {
        self.systemID = systemID
        self.address = address
        self.trustLevel = trustLevel
        self.publicKey = publicKey
    }

    enum CodingKeys: String, CodingKey {
        case systemID = "system_id", address, trustLevel = "trust_level", publicKey = "public_key"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        systemID = try container.decode(String.self, forKey: .systemID)
        address = try container.decode(String.self, forKey: .address)
        publicKey = try container.decode(String.self, forKey: .publicKey)
        if let text = try? container.decode(String.self, forKey: .trustLevel) {
            trustLevel = text
        } else {
            let number = try container.decode(Decimal.self, forKey: .trustLevel)
            trustLevel = "\(number)"
        }
    }
}

/// A peer as this node knows it.
public struct PeerBody: Codable, Sendable, Equatable {
    public var systemID: String
    public var address: String
    public var publicKey: String
    /// The configured level (0..1): the ceiling of `effective_trust`.
    public var trustLevel: String
    /// The level the node acts on now: lowered by invalid signatures, replays and broken
    /// promises (at most once per connection), recovering toward `trust_level` by time (the gap
    /// halves every `federation.trust_recovery_half_life`), never above it.
    public var effectiveTrust: String
    public var goodMessages: Int
    public var badMessages: Int
    public var lastContact: String?
    /// When an offense last lowered effective trust; recovery is counted from here.
    public var lastOffenseAt: String?
    /// `config` (from the node config, re-applied at start) or `api`.
    public var source: String
    public var createdAt: String

    public init(
        systemID: String, address: String, publicKey: String, trustLevel: String, effectiveTrust: String,
        goodMessages: Int, badMessages: Int, lastContact: String?, lastOffenseAt: String? = nil, source: String,
        createdAt: String
    ) {
        self.systemID = systemID
        self.address = address
        self.publicKey = publicKey
        self.trustLevel = trustLevel
        self.effectiveTrust = effectiveTrust
        self.goodMessages = goodMessages
        self.badMessages = badMessages
        self.lastContact = lastContact
        self.lastOffenseAt = lastOffenseAt
        self.source = source
        self.createdAt = createdAt
    }

    enum CodingKeys: String, CodingKey {
        case systemID = "system_id", address, publicKey = "public_key", trustLevel = "trust_level"
        case effectiveTrust = "effective_trust", goodMessages = "good_messages", badMessages = "bad_messages"
        case lastContact = "last_contact", lastOffenseAt = "last_offense_at", source, createdAt = "created_at"
    }
}

/// `GET /v1/peers`
public struct PeerListBody: PagedList, Equatable {
    public var peers: [PeerBody]
    /// The cursor of the next page (`?after=`), `nil` on the last page.
    public var next: String?
    public init(peers: [PeerBody], next: String? = nil) {
        self.peers = peers
        self.next = next
    }

    public var items: [PeerBody] {
        get { peers }
        set { peers = newValue }
    }

    public func encode(to encoder: any Encoder) throws {
        try PageCoding.encode(peers, as: "peers", next: next, to: encoder)
    }

    enum CodingKeys: String, CodingKey {
        case peers, next
    }
}

/// `POST /v1/peers/{id}/ping`: a signed ping and its verified signed pong.
public struct PingResultBody: Codable, Sendable, Equatable {
    public var systemID: String
    public var roundTripMs: String
    public var effectiveTrust: String
    public init(systemID: String, roundTripMs: String, effectiveTrust: String) {
        self.systemID = systemID
        self.roundTripMs = roundTripMs
        self.effectiveTrust = effectiveTrust
    }

    enum CodingKeys: String, CodingKey {
        case systemID = "system_id", roundTripMs = "round_trip_ms", effectiveTrust = "effective_trust"
    }
}
