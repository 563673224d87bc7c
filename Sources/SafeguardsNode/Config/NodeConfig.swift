import Foundation
import Logging
import SafeguardsFederation
import SafeguardsPolicies

/// Everything a node is configured with. Every key is optional; the defaults are the embedded
/// defaults that `safeguards node run` uses with no config file.
///
/// ```yaml
/// system_id: system_a            # default: local
/// data_dir: ./.safeguards        # default: ./.safeguards (the SQLite file and the API token live here)
/// log_level: info                # trace, debug, info, notice, warning, error, critical
/// api:
///   listen: 127.0.0.1:8080       # host:port; port 0 picks a free port
///   token: s3cret                # default: SAFEGUARDS_API_TOKEN, else a token generated in data_dir
///   max_body_bytes: 65536        # larger request bodies get 413
///   max_connections: 1024        # open connections at once; at the cap new ones wait
///                                # (lowered to fit the descriptor limit: DescriptorBudget)
///   idle_timeout: 60s            # a keep-alive connection with no request this long is closed
///   header_timeout: 10s          # a request's head and body must arrive within this of its first byte,
///                                # else 408 and close
///   shutdown_grace: 5s           # on SIGTERM, requests in flight may finish for this long; then they are cut
///   max_keys: 10000              # scoped API keys kept at once (1-1000000); creating one more is 409
///   handshake_timeout: 10s       # with tls: a TLS handshake not done this long after accept is closed
///   public_origins: []           # origins the status page's forms may also come from (a proxy's address)
///   tls:                         # serve HTTPS (TLS 1.2+) instead of HTTP; see APITLSConfig
///     certificate: Certs/api.pem
///     private_key: Certs/api.key
///     client_ca: Certs/ca.pem    # optional: require client certificates signed by this CA
/// reservations:
///   default_timeout: 10m         # a reservation not settled by then expires
///   sweep_interval: 1s           # how often expired reservations are released
/// ledger:
///   idempotency_window: 24h      # 1m-365d: transfers stay in memory this long after they were created
///                                # or resolved; a retry of an older id is answered from SQLite
/// federation:                    # see FederationConfig
///   listen: 127.0.0.1:9081
///   ...
/// policies:
///   tick: 1s                     # how often pool policies run
///   max_change_per_step: 0.5     # an automatic change moves a budget by at most this share
///   cool_down: 60s               # and the same budget at most once per cool-down
///   pools:                       # policies by pool name (the API's parameters)
///     research:
///       adaptive_sizing: {adjustment_interval_seconds: 3600, min_pool_budget: "100", ...}
/// gossip:                        # only with a federation section
///   interval: 1s                 # a round every interval
///   fanout: 3                    # peers per round, weighted by trust
///   min_relay_trust: 0.3         # records from origins trusted less are not relayed
///   suspect_after: 5s            # default 5 intervals without a heartbeat
///   dead_after: 15s              # default 15 intervals
///   exchange_timeout: 1s         # one exchange's deadline; default and most: the interval (and request_timeout)
/// notifications:                # webhooks; see NotificationsConfig
///   webhooks: [{url: https://hooks.example.com/x, events: [alert.critical], secret: s3cret}]
/// ```
public struct NodeConfig: Sendable, Equatable {
    public var systemID = "local"
    public var dataDirectory = "./.safeguards"
    public var logLevel: Logger.Level = .info
    public var api = APIConfig()
    public var reservations = ReservationConfig()
    public var ledger = LedgerConfig()
    /// The `federation` section; `nil` when the node does not join a federation.
    public var federation: FederationConfig?
    public var gossip = GossipConfig()
    public var policies = PoliciesConfig()
    public var notifications = NotificationsConfig()

    /// The `policies` section: how often policies run, and the safety rails on every automatic change.
    public struct PoliciesConfig: Sendable, Equatable {
        public var tick: Duration = .seconds(1)
        public var maxChangePerStep = 5000  // basis points of the current value
        public var coolDown: Duration = .seconds(60)
        /// Policies by pool name and kind, as the JSON the API takes; applied to each pool of that
        /// name at start, and to one created later at the next tick.
        public var pools: [String: [String: Data]] = [:]

        public var rails: SafetyRails {
            SafetyRails(maxChangePerStep: Ratio(basisPoints: Int64(maxChangePerStep)), coolDown: coolDown)
        }
    }

    public init() {}

    /// The `gossip` section.
    public struct GossipConfig: Sendable, Equatable {
        public var interval: Duration = .seconds(1)
        public var fanout = 3
        public var minimumRelayTrust = 3000  // basis points
        public var suspectAfter: Duration?
        public var deadAfter: Duration?
        /// One exchange's deadline; `nil` for the interval.
        public var exchangeTimeout: Duration?

        /// One exchange's deadline: `exchange_timeout`, at most the interval and `requestTimeout`.
        public func exchangeDeadline(requestTimeout: Duration) -> Duration {
            min(exchangeTimeout ?? interval, interval, requestTimeout)
        }

        /// The gossip instance's configuration.
        public var instanceConfiguration: GossipConfiguration {
            GossipConfiguration(
                interval: interval, fanout: fanout, minimumRelayTrust: TrustLevel(clampingBasisPoints: minimumRelayTrust),
                suspectAfter: suspectAfter, deadAfter: deadAfter)
        }
    }

    /// The `api` section.
    public struct APIConfig: Sendable, Equatable {
        public var listen = HostPort(host: "127.0.0.1", port: 8080)
        public var token: String?
        public var maxBodyBytes = 65_536
        public var maxConnections = 1024
        public var idleTimeout: Duration = .seconds(60)
        public var headerTimeout: Duration = .seconds(10)
        /// How long graceful shutdown waits for the requests in flight before it cuts them.
        public var shutdownGrace: Duration = .seconds(5)
        /// The most scoped API keys kept at once.
        public var maxKeys = 10_000
        /// A TLS handshake must be complete this long after the connection was accepted (with `tls`).
        public var handshakeTimeout: Duration = .seconds(10)
        /// The `tls` subsection: the API serves HTTPS. `nil` serves plain HTTP.
        public var tls: APITLSConfig?
        /// Origins (`https://budget.example.com`) the status page's forms may also be posted from,
        /// besides the one the request was addressed to: the address operators use when a proxy
        /// in front of the node rewrites the Host header.
        public var publicOrigins: [String] = []
    }

    /// The `reservations` section.
    public struct ReservationConfig: Sendable, Equatable {
        public var defaultTimeout: Duration = .seconds(600)
        public var sweepInterval: Duration = .seconds(1)
    }

    /// The `ledger` section.
    public struct LedgerConfig: Sendable, Equatable {
        /// How long a transfer stays in memory after it was created or resolved (pending ones
        /// stay until they are resolved). Bounds the node's memory by its traffic in this window.
        public var idempotencyWindow: Duration = .seconds(86_400)
        /// The shortest and longest window the config accepts.
        public static let windowRange: ClosedRange<Duration> = .seconds(60) ... .seconds(365 * 86_400)
    }

    /// The SQLite database file inside the data folder.
    public var databasePath: String { (dataDirectory as NSString).appendingPathComponent("safeguards.sqlite") }
    /// The generated API token file inside the data folder.
    public var tokenPath: String { (dataDirectory as NSString).appendingPathComponent("api-token") }
    /// Where the node writes the address its API actually listens on (useful with port 0):
    /// `host:port`, or `https://host:port` when the API serves TLS.
    public var addressPath: String { (dataDirectory as NSString).appendingPathComponent("api-address") }
}

/// A `host:port` pair.
public struct HostPort: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `127.0.0.1:8080`, `localhost:0` or `[::1]:8080`.
    public init?(parsing text: String) {
        guard let colon = text.lastIndex(of: ":") else { return nil }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty, let port = Int(text[text.index(after: colon)...]), (0...65_535).contains(port) else {
            return nil
        }
        self.host = host
        self.port = port
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

/// A config file or value was refused. Names the key so the operator can find it.
public struct ConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    public let key: String
    public let message: String

    public init(key: String, _ message: String) {
        self.key = key
        self.message = message
    }

    public var description: String { key.isEmpty ? message : "config key '\(key)': \(message)" }
}

extension NodeConfig.APIConfig {
    /// Whether `text` is an origin as browsers send it: `http://` or `https://`, a host, an
    /// optional `:port`, and no path, query or trailing slash.
    static func isOrigin(_ text: String) -> Bool {
        guard text.count <= 255, let url = URL(string: text), let scheme = url.scheme, ["http", "https"].contains(scheme),
            let host = url.host, !host.isEmpty, url.path.isEmpty, url.query == nil, url.fragment == nil,
            url.user == nil, url.password == nil
        else { return false }
        return text == "\(scheme)://\(host)" + (url.port.map { ":\($0)" } ?? "")
    }
}
