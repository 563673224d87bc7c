import SafeguardsCore
import SafeguardsFederation

/// The `federation` section: how this node proves itself to peers, where it listens for them,
/// and which peers it knows. Paths are relative to the working folder the node starts in.
///
/// ```yaml
/// federation:
///   listen: 127.0.0.1:9081               # host:port for peer connections (mutual TLS)
///   ca: Certs/ca.pem                     # the federation CA every peer certificate must chain to
///   certificate: Certs/system_a.pem      # this node's certificate (names its system id)
///   private_key: Certs/system_a.key      # its private key (PEM)
///   signing_key: Certs/system_a.signing.key   # Ed25519 key that signs every envelope (base64)
///   max_frame_bytes: 1048576             # larger frames close the connection
///   idle_timeout: 60s                    # a connection with nothing to read this long is closed
///   handshake_timeout: 10s               # TLS handshake and certificate check must finish this long after accept
///   max_connections: 256                 # peer connections open at once; at the cap new ones wait
///   max_frames_in_flight: 64             # frames of one connection handled at once; answers leave in order
///   request_timeout: 10s                 # how long to wait for a peer's answer
///   replay_window: 5m                    # nonces are remembered, and older messages refused, for this long
///   max_metadata_bytes: 4096             # metadata of a request (compact JSON), here and on the API
///   trust_recovery_half_life: 1h         # after an offense, the gap to trust_level halves every half-life
///   peers:
///     - system_id: system_b
///       address: 127.0.0.1:9082
///       trust_level: 0.8                 # 0..1
///       public_key: <base64 of system_b's Ed25519 public key>
///   offers:                              # credit lines this node gives, before trust scaling
///     system_b: "2000.0"
///   settlement:
///     minimum_trust: 0.5                 # peers trusted less draw nothing
///     per_request_cap: "1000.0"          # the largest single remote request this node grants
///     rate_limit: 100                    # new requests per peer per rate_window
///     rate_window: 1s
///     retry_initial: 200ms               # first retry of an unanswered request; doubles up to retry_max
///     retry_max: 10s
///     answer_wait: 5s                    # how long an API request waits for the giver's receipt
///     refusals_kept_per_peer: 1000       # refusals remembered per peer; older ones are forgotten
/// ```
public struct FederationConfig: Sendable, Equatable {
    public var listen: HostPort
    public var caPath: String
    public var certificatePath: String
    public var privateKeyPath: String
    public var signingKeyPath: String
    public var maxFrameBytes = 1 << 20
    public var idleTimeout: Duration = .seconds(60)
    public var handshakeTimeout: Duration = .seconds(10)
    public var maxConnections = 256
    /// The most frames of one peer connection handled at once (``PeerListener/maxFramesInFlight``).
    public var maxFramesInFlight = 64
    public var requestTimeout: Duration = .seconds(10)
    public var replayWindow: Duration = .seconds(300)
    /// The largest metadata map a remote request (incoming, or made through the API) and every API
    /// body with `metadata` may carry, in bytes of compact JSON (``MetadataSize``).
    public var maxMetadataBytes = MetadataSize.defaultLimit
    /// After an offense, the gap between a peer's effective and configured trust halves every
    /// half-life.
    public var trustRecoveryHalfLife: Duration = .seconds(3600)
    public var peers: [PeerConfig] = []
    /// Credit lines this node gives each peer, before trust.
    public var offers: [SystemID: Amount] = [:]
    public var settlement = SettlementSettings()

    /// The `federation.settlement` section.
    public struct SettlementSettings: Sendable, Equatable {
        public var minimumTrust = TrustLevel(clampingBasisPoints: 5000)
        public var perRequestCap: Amount = 1_000
        public var rateLimit = 100
        public var rateWindow: Duration = .seconds(1)
        public var retryInitial: Duration = .milliseconds(200)
        public var retryMaximum: Duration = .seconds(10)
        public var answerWait: Duration = .seconds(5)
        /// Refusals remembered per peer (compact rows); past that the oldest are forgotten under a horizon.
        public var refusalsKeptPerPeer = 1000

        public init() {}
    }

    public init(
        listen: HostPort, caPath: String, certificatePath: String, privateKeyPath: String, signingKeyPath: String
    ) {
        self.listen = listen
        self.caPath = caPath
        self.certificatePath = certificatePath
        self.privateKeyPath = privateKeyPath
        self.signingKeyPath = signingKeyPath
    }

    /// One entry of `federation.peers`.
    public struct PeerConfig: Sendable, Equatable {
        public var systemID: SystemID
        public var address: HostPort
        public var trustLevel: TrustLevel
        /// Base64 of the peer's raw Ed25519 public key (its `.signing.pub` file).
        public var publicKey: String
    }

    static func parse(_ section: inout ConfigSection) throws(ConfigError) -> FederationConfig {
        func required(_ key: String) throws(ConfigError) -> String {
            try section.required(key, "is required in the federation section")
        }
        let listenText = try required("listen")
        guard let listen = HostPort(parsing: listenText) else {
            throw ConfigError(key: section.qualified("listen"), "'\(listenText)' is not host:port")
        }
        var config = FederationConfig(
            listen: listen, caPath: try required("ca"), certificatePath: try required("certificate"),
            privateKeyPath: try required("private_key"), signingKeyPath: try required("signing_key"))
        if let value = try section.integer("max_frame_bytes") {
            guard (1024...(16 << 20)).contains(value) else {
                throw ConfigError(key: section.qualified("max_frame_bytes"), "must be between 1024 and 16777216")
            }
            config.maxFrameBytes = value
        }
        if let value = try section.duration("idle_timeout") { config.idleTimeout = value }
        if let value = try section.duration("handshake_timeout") { config.handshakeTimeout = value }
        if let value = try section.integer("max_connections") {
            guard (1...1_000_000).contains(value) else {
                throw ConfigError(key: section.qualified("max_connections"), "must be between 1 and 1000000")
            }
            config.maxConnections = value
        }
        if let value = try section.integer("max_frames_in_flight") {
            guard (1...4096).contains(value) else {
                throw ConfigError(key: section.qualified("max_frames_in_flight"), "must be between 1 and 4096")
            }
            config.maxFramesInFlight = value
        }
        if let value = try section.duration("request_timeout") { config.requestTimeout = value }
        if let value = try section.duration("replay_window") { config.replayWindow = value }
        if let value = try section.integer("max_metadata_bytes") {
            guard (2...(1 << 20)).contains(value) else {
                throw ConfigError(key: section.qualified("max_metadata_bytes"), "must be between 2 and 1048576")
            }
            config.maxMetadataBytes = value
        }
        if let value = try section.duration("trust_recovery_half_life") {
            guard value >= .milliseconds(1) else {
                throw ConfigError(key: section.qualified("trust_recovery_half_life"), "must be at least 1ms")
            }
            config.trustRecoveryHalfLife = value
        }
        for var entry in try section.sections("peers") ?? [] {
            config.peers.append(try PeerConfig.parse(&entry))
            try entry.rejectUnknownKeys()
        }
        if var offers = try section.section("offers") {
            for key in offers.keys {
                let peer: SystemID
                do { peer = try SystemID(key) } catch {
                    throw ConfigError(key: offers.qualified(key), error.description)
                }
                guard let amount = try offers.amount(key), amount >= .zero else {
                    throw ConfigError(key: offers.qualified(key), "must be an amount of zero or more")
                }
                config.offers[peer] = amount
            }
        }
        if var settlement = try section.section("settlement") {
            config.settlement = try SettlementSettings.parse(&settlement)
            try settlement.rejectUnknownKeys()
        }
        let ids = config.peers.map(\.systemID)
        if let duplicate = ids.first(where: { id in ids.filter { $0 == id }.count > 1 }) {
            throw ConfigError(key: section.qualified("peers"), "lists \(duplicate) twice")
        }
        return config
    }
}

extension FederationConfig.PeerConfig {
    static func parse(_ section: inout ConfigSection) throws(ConfigError) -> Self {
        guard let idText = try section.string("system_id") else {
            throw ConfigError(key: section.qualified("system_id"), "is required for every peer")
        }
        let systemID: SystemID
        do { systemID = try SystemID(idText) } catch {
            throw ConfigError(key: section.qualified("system_id"), error.description)
        }
        guard let addressText = try section.string("address"), let address = HostPort(parsing: addressText) else {
            throw ConfigError(key: section.qualified("address"), "is required, as host:port")
        }
        guard let trust = try section.trust("trust_level") else {
            throw ConfigError(key: section.qualified("trust_level"), "is required (0..1)")
        }
        guard let publicKey = try section.string("public_key"), !publicKey.isEmpty else {
            throw ConfigError(key: section.qualified("public_key"), "is required (base64 Ed25519 public key)")
        }
        return Self(systemID: systemID, address: address, trustLevel: trust, publicKey: publicKey)
    }
}


extension ConfigSection {
    /// A trust level, 0..1 with at most four decimals.
    mutating func trust(_ key: String) throws(ConfigError) -> TrustLevel? {
        guard let text = try string(key) else { return nil }
        do { return try TrustLevel(parsing: text) } catch { throw ConfigError(key: qualified(key), error.description) }
    }
}

extension FederationConfig.SettlementSettings {
    static func parse(_ section: inout ConfigSection) throws(ConfigError) -> Self {
        var settings = Self()
        if let trust = try section.trust("minimum_trust") { settings.minimumTrust = trust }
        if let cap = try section.amount("per_request_cap") {
            guard cap.isPositive else { throw ConfigError(key: section.qualified("per_request_cap"), "must be positive") }
            settings.perRequestCap = cap
        }
        if let limit = try section.integer("rate_limit") {
            guard limit > 0 else { throw ConfigError(key: section.qualified("rate_limit"), "must be at least 1") }
            settings.rateLimit = limit
        }
        if let value = try section.duration("rate_window") { settings.rateWindow = value }
        if let value = try section.duration("retry_initial") { settings.retryInitial = value }
        if let value = try section.duration("retry_max") { settings.retryMaximum = value }
        if let value = try section.duration("answer_wait") { settings.answerWait = value }
        if let kept = try section.integer("refusals_kept_per_peer") {
            guard (1...1_000_000).contains(kept) else {
                throw ConfigError(key: section.qualified("refusals_kept_per_peer"), "must be between 1 and 1000000")
            }
            settings.refusalsKeptPerPeer = kept
        }
        guard settings.retryInitial <= settings.retryMaximum else {
            throw ConfigError(key: section.qualified("retry_initial"), "must not exceed retry_max")
        }
        return settings
    }
}
