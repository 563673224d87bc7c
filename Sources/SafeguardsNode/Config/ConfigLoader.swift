import Foundation
import Logging
import SafeguardsCore
import SafeguardsFederation
import SafeguardsPolicies
import Yams

extension NodeConfig {
    /// Reads a YAML config file. Unknown keys and bad values are refused with the key named.
    public static func load(path: String, environment: [String: String] = ProcessInfo.processInfo.environment)
        throws(ConfigError) -> NodeConfig
    {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw ConfigError(key: "", "cannot read config file \(path): \(error.localizedDescription)")
        }
        var config = try parse(yaml: text)
        config.applyEnvironment(environment)
        return config
    }

    /// The embedded defaults with environment overrides applied.
    public static func defaults(environment: [String: String] = ProcessInfo.processInfo.environment) -> NodeConfig {
        var config = NodeConfig()
        config.applyEnvironment(environment)
        return config
    }

    /// Parses YAML text into a config (environment not applied).
    public static func parse(yaml text: String) throws(ConfigError) -> NodeConfig {
        let node: Yams.Node?
        do { node = try Yams.compose(yaml: text) } catch {
            throw ConfigError(key: "", "the config is not valid YAML: \(error)")
        }
        var config = NodeConfig()
        guard let node else { return config }
        var root = try ConfigSection(node, path: "")
        if let value = try root.string("system_id") {
            guard value.range(of: #"^[A-Za-z0-9_.-]{1,64}$"#, options: .regularExpression) != nil else {
                throw ConfigError(key: "system_id", "must be 1-64 characters of A-Z a-z 0-9 _ . -")
            }
            config.systemID = value
        }
        if let value = try root.string("data_dir") {
            guard !value.isEmpty else { throw ConfigError(key: "data_dir", "must not be empty") }
            config.dataDirectory = value
        }
        if let value = try root.string("log_level") {
            guard let level = Logger.Level(rawValue: value.lowercased()) else {
                throw ConfigError(key: "log_level", "'\(value)' is not one of trace, debug, info, notice, warning, error, critical")
            }
            config.logLevel = level
        }
        if var api = try root.section("api") {
            if let value = try api.string("listen") {
                guard let address = HostPort(parsing: value) else {
                    throw ConfigError(key: "api.listen", "'\(value)' is not host:port")
                }
                config.api.listen = address
            }
            if let value = try api.string("token") {
                guard value.count >= 16 else { throw ConfigError(key: "api.token", "must be at least 16 characters") }
                config.api.token = value
            }
            if let value = try api.integer("max_body_bytes") {
                guard (1024...16_777_216).contains(value) else {
                    throw ConfigError(key: "api.max_body_bytes", "must be between 1024 and 16777216")
                }
                config.api.maxBodyBytes = value
            }
            if let value = try api.integer("max_connections") {
                guard (1...1_000_000).contains(value) else {
                    throw ConfigError(key: "api.max_connections", "must be between 1 and 1000000")
                }
                config.api.maxConnections = value
            }
            if let value = try api.duration("idle_timeout") { config.api.idleTimeout = value }
            if let value = try api.duration("header_timeout") { config.api.headerTimeout = value }
            if let value = try api.duration("shutdown_grace") { config.api.shutdownGrace = value }
            if let value = try api.integer("max_keys") {
                guard (1...1_000_000).contains(value) else {
                    throw ConfigError(key: "api.max_keys", "must be between 1 and 1000000")
                }
                config.api.maxKeys = value
            }
            if let value = try api.duration("handshake_timeout") { config.api.handshakeTimeout = value }
            if let origins = try api.strings("public_origins") {
                guard origins.count <= 16 else {
                    throw ConfigError(key: "api.public_origins", "lists at most 16 origins")
                }
                config.api.publicOrigins = try origins.map { (origin) throws(ConfigError) in
                    guard NodeConfig.APIConfig.isOrigin(origin) else {
                        throw ConfigError(
                            key: "api.public_origins",
                            "'\(origin.prefix(80))' is not an origin: scheme http or https, a host and an optional port, nothing after")
                    }
                    return origin
                }
            }
            if var tls = try api.section("tls") {
                config.api.tls = try APITLSConfig.parse(&tls)
                try tls.rejectUnknownKeys()
            }
            try api.rejectUnknownKeys()
        }
        if var reservations = try root.section("reservations") {
            if let value = try reservations.duration("default_timeout") { config.reservations.defaultTimeout = value }
            if let value = try reservations.duration("sweep_interval") { config.reservations.sweepInterval = value }
            try reservations.rejectUnknownKeys()
        }
        if var ledger = try root.section("ledger") {
            if let value = try ledger.duration("idempotency_window") {
                guard NodeConfig.LedgerConfig.windowRange.contains(value) else {
                    throw ConfigError(key: "ledger.idempotency_window", "must be between 1m and 365d")
                }
                config.ledger.idempotencyWindow = value
            }
            try ledger.rejectUnknownKeys()
        }
        if var federation = try root.section("federation") {
            config.federation = try FederationConfig.parse(&federation)
            try federation.rejectUnknownKeys()
        }
        if var policies = try root.section("policies") {
            if let value = try policies.duration("tick") { config.policies.tick = value }
            if let text = try policies.string("max_change_per_step") {
                guard let share = try? Ratio(parsing: text), (1...10_000).contains(share.basisPoints) else {
                    throw ConfigError(key: "policies.max_change_per_step", "'\(text)' is not a share between 0 and 1")
                }
                config.policies.maxChangePerStep = Int(share.basisPoints)
            }
            if let value = try policies.duration("cool_down") { config.policies.coolDown = value }
            if var pools = try policies.section("pools") {
                for name in pools.keys {
                    guard var kinds = try pools.section(name) else { continue }
                    var scratch: [PoolID: PoolPolicies] = [:]
                    for kind in kinds.keys.sorted() {
                        guard PolicyService.kinds.contains(kind) else {
                            throw ConfigError(key: kinds.qualified(kind), "is not a policy (\(PolicyService.kinds.joined(separator: ", ")))")
                        }
                        guard let node = kinds.rawNode(kind), let json = PolicyJSON.json(from: node) else {
                            throw ConfigError(key: kinds.qualified(kind), "must be a mapping of the policy's parameters")
                        }
                        // Validated now, so a bad policy stops the node at start with its key named.
                        do { try PolicyService.install(kind: kind, json: json, pool: PoolID(unchecked: "config"), into: &scratch) } catch {
                            throw ConfigError(key: kinds.qualified(kind), error.message)
                        }
                        config.policies.pools[name, default: [:]][kind] = json
                    }
                    try kinds.rejectUnknownKeys()
                }
                try pools.rejectUnknownKeys()
            }
            try policies.rejectUnknownKeys()
        }
        if var gossip = try root.section("gossip") {
            if let value = try gossip.duration("interval") { config.gossip.interval = value }
            if let value = try gossip.integer("fanout") {
                guard (1...64).contains(value) else { throw ConfigError(key: "gossip.fanout", "must be between 1 and 64") }
                config.gossip.fanout = value
            }
            if let trust = try gossip.trust("min_relay_trust") { config.gossip.minimumRelayTrust = trust.basisPoints }
            if let value = try gossip.duration("suspect_after") { config.gossip.suspectAfter = value }
            if let value = try gossip.duration("dead_after") { config.gossip.deadAfter = value }
            if let suspect = config.gossip.suspectAfter, let dead = config.gossip.deadAfter, dead <= suspect {
                throw ConfigError(key: "gossip.dead_after", "must be longer than suspect_after")
            }
            if let value = try gossip.duration("exchange_timeout") {
                guard value <= config.gossip.interval else {
                    throw ConfigError(key: "gossip.exchange_timeout", "must not be longer than the interval")
                }
                config.gossip.exchangeTimeout = value
            }
            try gossip.rejectUnknownKeys()
        }
        if var notifications = try root.section("notifications") {
            config.notifications = try NotificationsConfig.parse(&notifications)
            try notifications.rejectUnknownKeys()
        }
        try root.rejectUnknownKeys()
        return config
    }

    mutating func applyEnvironment(_ environment: [String: String]) {
        if let token = environment["SAFEGUARDS_API_TOKEN"], !token.isEmpty { api.token = token }
    }
}

/// Parses durations written with a unit: `250ms`, `2s`, `5m`, `1h`, `1d`.
public enum DurationText {
    public static func parse(_ text: String) -> Duration? {
        let units: [(String, Int64)] = [("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000), ("d", 86_400_000)]
        for (suffix, millis) in units where text.hasSuffix(suffix) {
            let number = text.dropLast(suffix.count)
            guard !number.isEmpty, number.allSatisfy(\.isASCII), let value = Int64(number), value >= 0,
                value <= Int64.max / millis
            else { return nil }
            return .milliseconds(value * millis)
        }
        return nil
    }
}

/// One mapping of the config, read key by key; keys never read are unknown and refused.
struct ConfigSection {
    let path: String
    private var entries: [String: Yams.Node] = [:]
    private var read: Set<String> = []

    init(_ node: Yams.Node, path: String) throws(ConfigError) {
        self.path = path
        guard let mapping = node.mapping else {
            throw ConfigError(key: path, "must be a mapping of keys to values")
        }
        for (key, value) in mapping {
            guard let name = key.string else { throw ConfigError(key: path, "has a key that is not a string") }
            guard entries[name] == nil else { throw ConfigError(key: qualified(name), "appears twice") }
            entries[name] = value
        }
    }

    func qualified(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    mutating func section(_ key: String) throws(ConfigError) -> ConfigSection? {
        guard let node = take(key) else { return nil }
        return try ConfigSection(node, path: qualified(key))
    }

    /// A list of mappings, each read as a section named `key[index]`.
    mutating func sections(_ key: String) throws(ConfigError) -> [ConfigSection]? {
        guard let node = take(key) else { return nil }
        guard let sequence = node.sequence else { throw ConfigError(key: qualified(key), "must be a list") }
        var sections: [ConfigSection] = []
        for (index, element) in sequence.enumerated() {
            sections.append(try ConfigSection(element, path: "\(qualified(key))[\(index)]"))
        }
        return sections
    }

    mutating func string(_ key: String) throws(ConfigError) -> String? {
        guard let node = take(key) else { return nil }
        guard let scalar = node.scalar else { throw ConfigError(key: qualified(key), "must be a single value") }
        return scalar.string
    }

    /// A value that must be given and not be empty; else `complaint` for the key.
    mutating func required(_ key: String, _ complaint: String) throws(ConfigError) -> String {
        guard let value = try string(key), !value.isEmpty else { throw ConfigError(key: qualified(key), complaint) }
        return value
    }

    mutating func integer(_ key: String) throws(ConfigError) -> Int? {
        guard let text = try string(key) else { return nil }
        guard let value = Int(text) else { throw ConfigError(key: qualified(key), "'\(text)' is not a whole number") }
        return value
    }

    mutating func duration(_ key: String) throws(ConfigError) -> Duration? {
        guard let text = try string(key) else { return nil }
        guard let value = DurationText.parse(text), value > .zero else {
            throw ConfigError(key: qualified(key), "'\(text)' is not a positive duration with a unit (250ms, 2s, 5m, 1h)")
        }
        return value
    }

    /// A list of single values.
    mutating func strings(_ key: String) throws(ConfigError) -> [String]? {
        guard let node = take(key) else { return nil }
        guard let sequence = node.sequence, sequence.allSatisfy({ $0.scalar != nil }) else {
            throw ConfigError(key: qualified(key), "must be a list of values")
        }
        return sequence.compactMap { $0.scalar?.string }
    }

    /// The YAML under `key`, as written.
    mutating func rawNode(_ key: String) -> Yams.Node? { take(key) }

    /// Every key of this section, sorted (for mappings keyed by name, such as `offers`).
    var keys: [String] { entries.keys.sorted() }

    mutating func amount(_ key: String) throws(ConfigError) -> Amount? {
        guard let text = try string(key) else { return nil }
        do { return try Amount(parsing: text) } catch {
            throw ConfigError(key: qualified(key), "\(error)")
        }
    }

    func rejectUnknownKeys() throws(ConfigError) {
        if let unknown = entries.keys.filter({ !read.contains($0) }).sorted().first {
            throw ConfigError(key: qualified(unknown), "unknown key")
        }
    }

    private mutating func take(_ key: String) -> Yams.Node? {
        read.insert(key)
        guard let node = entries[key] else { return nil }
        if case .scalar(let scalar) = node, scalar.string == "~" || (scalar.string.isEmpty && scalar.style == .plain) {
            return nil
        }
        return node
    }
}

/// Policy parameters written in YAML, as the JSON the API takes. Amounts and ratios become
/// strings (the API refuses JSON numbers for amounts); whole seconds, agent counts and days stay numbers.
enum PolicyJSON {
    static let numericKeys: Set<String> = [
        "adjustment_interval_seconds", "reallocation_interval_seconds", "min_agents_for_adjustment", "days",
        "training_episodes", "update_interval_seconds", "learning_period_days", "min_data_points", "seed",
        "prediction_window_hours", "time_bucket_minutes",
    ]

    static func json(from node: Yams.Node) -> Data? {
        guard case .mapping = node, let value = convert(node, key: nil) else { return nil }
        // Sorted, so the same text always gives the same bytes (and equal configs): a dictionary's
        // order differs from one instance to the next.
        return try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys])
    }

    private static func convert(_ node: Yams.Node, key: String?) -> Any? {
        switch node {
        case .scalar(let scalar):
            if let key, numericKeys.contains(key), let number = Int(scalar.string) { return number }
            return scalar.string
        case .mapping(let mapping):
            var object: [String: Any] = [:]
            for (name, value) in mapping {
                guard let name = name.string, let converted = convert(value, key: name) else { return nil }
                object[name] = converted
            }
            return object
        case .sequence(let sequence):
            var array: [Any] = []
            for element in sequence {
                guard let converted = convert(element, key: key) else { return nil }
                array.append(converted)
            }
            return array
        default:
            return nil
        }
    }
}
