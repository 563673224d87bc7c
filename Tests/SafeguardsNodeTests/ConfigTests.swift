import Foundation
import Logging
import SafeguardsFederation
import SafeguardsNode
import Testing

@Suite("Node config")
struct ConfigTests {
    @Test func emptyConfigGivesTheEmbeddedDefaults() throws {
        let config = try NodeConfig.parse(yaml: "")
        #expect(config == NodeConfig())
        #expect(config.systemID == "local")
        #expect(config.dataDirectory == "./.safeguards")
        #expect(config.api.listen == HostPort(host: "127.0.0.1", port: 8080))
        #expect(config.api.token == nil)
        #expect(config.reservations.defaultTimeout == .seconds(600))
        #expect(config.api.maxConnections == 1024)
        #expect(config.api.idleTimeout == .seconds(60))
        #expect(config.api.headerTimeout == .seconds(10))
        #expect(config.api.shutdownGrace == .seconds(5))
        #expect(config.ledger.idempotencyWindow == .seconds(86_400))
    }

    @Test func everyKeyIsRead() throws {
        let config = try NodeConfig.parse(
            yaml: """
                system_id: system_a
                data_dir: /var/lib/safeguards
                log_level: debug
                api:
                  listen: "[::1]:9090"
                  token: 0123456789abcdef0123
                  max_body_bytes: 2048
                  max_connections: 50
                  idle_timeout: 5s
                  header_timeout: 750ms
                  shutdown_grace: 2s
                reservations:
                  default_timeout: 90s
                  sweep_interval: 250ms
                ledger:
                  idempotency_window: 2h
                """)
        #expect(config.systemID == "system_a")
        #expect(config.dataDirectory == "/var/lib/safeguards")
        #expect(config.logLevel == .debug)
        #expect(config.api.listen == HostPort(host: "::1", port: 9090))
        #expect(config.api.token == "0123456789abcdef0123")
        #expect(config.api.maxBodyBytes == 2048)
        #expect(config.api.maxConnections == 50)
        #expect(config.api.idleTimeout == .seconds(5))
        #expect(config.api.headerTimeout == .milliseconds(750))
        #expect(config.api.shutdownGrace == .seconds(2))
        #expect(config.reservations.defaultTimeout == .seconds(90))
        #expect(config.reservations.sweepInterval == .milliseconds(250))
        #expect(config.ledger.idempotencyWindow == .seconds(7200))
    }

    @Test(arguments: [
        ("sytem_id: x", "sytem_id"),
        ("api:\n  listen: 127.0.0.1:80\n  tokn: abc", "api.tokn"),
        ("reservations:\n  timeout: 5s", "reservations.timeout"),
        ("api:\n  listen: localhost", "api.listen"),
        ("api:\n  listen: 127.0.0.1:70000", "api.listen"),
        ("api:\n  token: short", "api.token"),
        ("api:\n  max_body_bytes: lots", "api.max_body_bytes"),
        ("api:\n  max_connections: 0", "api.max_connections"),
        ("api:\n  idle_timeout: 0s", "api.idle_timeout"),
        ("api:\n  header_timeout: soon", "api.header_timeout"),
        ("api:\n  shutdown_grace: 0s", "api.shutdown_grace"),
        ("api: 5", "api"),
        ("reservations:\n  default_timeout: 10", "reservations.default_timeout"),
        ("reservations:\n  default_timeout: -5s", "reservations.default_timeout"),
        ("reservations:\n  sweep_interval: 0s", "reservations.sweep_interval"),
        ("ledger:\n  idempotency_window: 30s", "ledger.idempotency_window"),
        ("ledger:\n  idempotency_window: 400d", "ledger.idempotency_window"),
        ("ledger:\n  idempotency_window: forever", "ledger.idempotency_window"),
        ("ledger:\n  window: 1h", "ledger.window"),
        ("log_level: loud", "log_level"),
        ("system_id: has space", "system_id"),
        ("data_dir: [a, b]", "data_dir"),
        ("policies:\n  max_change_per_step: 2", "policies.max_change_per_step"),
        ("policies:\n  pools:\n    research:\n      teleport: {}", "policies.pools.research.teleport"),
        (
            "policies:\n  pools:\n    research:\n      time_profiles:\n        time_zone: UTC\n        profiles:\n"
                + "          a: {budget: '1', start_time: '08:00', end_time: '12:00', days: [0]}\n"
                + "          b: {budget: '2', start_time: '11:00', end_time: '13:00', days: [0]}",
            "policies.pools.research.time_profiles"
        ),
        (
            "policies:\n  pools:\n    research:\n      usage_prediction: {safety_margin: 1.2, prediction_window_hours: 24, update_interval_seconds: 3600}\n"
                + "      reinforcement_learning: {learning_rate: 0.1, discount_factor: 0.9, exploration_rate: 0.1, "
                + "max_budget_change_percentage: 0.3, training_episodes: 100, update_interval_seconds: 3600}",
            "policies.pools.research.usage_prediction"
        ),
        ("gossip:\n  fanout: 0", "gossip.fanout"),
        ("gossip:\n  interval: 1s\n  exchange_timeout: 2s", "gossip.exchange_timeout"),
        ("federation:\n  listen: 127.0.0.1:1\n  ca: a\n  certificate: b\n  private_key: c\n  signing_key: d\n  offers:\n    system_b: '-5'", "federation.offers.system_b"),
    ])
    func badKeysAndValuesAreRefusedWithTheKeyNamed(_ yaml: String, _ key: String) {
        #expect {
            _ = try NodeConfig.parse(yaml: yaml)
        } throws: { error in
            (error as? ConfigError)?.key == key && "\(error)".contains("'\(key)'")
        }
    }

    @Test func aGossipExchangeDeadlineIsAtMostTheIntervalAndTheRequestTimeout() throws {
        var gossip = try NodeConfig.parse(yaml: "gossip:\n  interval: 2s\n  exchange_timeout: 500ms").gossip
        #expect(gossip.exchangeTimeout == .milliseconds(500))
        #expect(gossip.exchangeDeadline(requestTimeout: .seconds(10)) == .milliseconds(500))
        #expect(gossip.exchangeDeadline(requestTimeout: .milliseconds(200)) == .milliseconds(200))
        gossip.exchangeTimeout = nil
        #expect(gossip.exchangeDeadline(requestTimeout: .seconds(10)) == .seconds(2))
    }

    @Test func policiesInTheConfigAreReadAsTheAPIsJSON() throws {
        let config = try NodeConfig.parse(
            yaml: """
                policies:
                  tick: 2s
                  max_change_per_step: 0.25
                  cool_down: 5m
                  pools:
                    research:
                      adaptive_sizing:
                        adjustment_interval_seconds: 3600
                        min_pool_budget: "100"
                        max_pool_budget: "10000"
                        utilization_target: 0.7
                        growth_rate: 0.2
                        shrink_rate: 0.1
                        min_agents_for_adjustment: 3
                      time_profiles:
                        time_zone: Europe/Paris
                        profiles:
                          night: {budget: "500", start_time: "22:00", end_time: "09:00", days: [0, 1, 2, 3]}
                      reinforcement_learning:
                        learning_rate: 0.01
                        discount_factor: 0.9
                        exploration_rate: 0.1
                        max_budget_change_percentage: 0.3
                        training_episodes: 1000
                        update_interval_seconds: 3600
                        seed: 7
                        reward: {utilization: 50, exhaustion_penalty: 100, completed_tasks: 10, stability_penalty: 0.1}
                """)
        #expect(config.policies.tick == .seconds(2))
        #expect(config.policies.maxChangePerStep == 2500)
        #expect(config.policies.coolDown == .seconds(300))
        #expect(config.policies.pools["research"]?.keys.sorted() == ["adaptive_sizing", "reinforcement_learning", "time_profiles"])
    }

    @Test func invalidYAMLIsRefused() {
        #expect(throws: ConfigError.self) { _ = try NodeConfig.parse(yaml: "api: [unclosed") }
    }

    @Test func environmentOverridesTheFileToken() throws {
        let path = NSTemporaryDirectory() + "/config-\(UUID().uuidString).yaml"
        try "api:\n  token: from-the-file-0123456789\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(try NodeConfig.load(path: path, environment: [:]).api.token == "from-the-file-0123456789")
        let overridden = try NodeConfig.load(path: path, environment: ["SAFEGUARDS_API_TOKEN": "from-the-environment-42"])
        #expect(overridden.api.token == "from-the-environment-42")
        #expect(NodeConfig.defaults(environment: ["SAFEGUARDS_API_TOKEN": "env-token-0123456789"]).api.token
            == "env-token-0123456789")
    }

    @Test func durationsNeedAUnit() {
        #expect(DurationText.parse("250ms") == .milliseconds(250))
        #expect(DurationText.parse("2s") == .seconds(2))
        #expect(DurationText.parse("5m") == .seconds(300))
        #expect(DurationText.parse("1h") == .seconds(3600))
        #expect(DurationText.parse("1d") == .seconds(86_400))
        for bad in ["", "5", "s", "1.5s", "-1s", "1 s", "１s", "99999999999999999999d"] {
            #expect(DurationText.parse(bad) == nil, "\(bad)")
        }
    }
}

@Suite("Generated API token")
struct APITokenTests {
    @Test func aNodeWithoutATokenGeneratesOnePrivateToItsOwner() async throws {
        let directory = NSTemporaryDirectory() + "/token-\(UUID().uuidString)"
        try await TestNode.with(dataDirectory: directory, configure: { $0.api.token = nil }) { client, node in
            let stored = APIToken.read(dataDirectory: directory)
            #expect(stored == node.token)
            #expect((stored?.count ?? 0) >= 32)
            let attributes = try FileManager.default.attributesOfItem(atPath: directory + "/api-token")
            #expect((attributes[.posixPermissions] as? Int) == 0o600)
        }
        // A restart keeps the same token.
        try await TestNode.with(dataDirectory: directory, configure: { $0.api.token = nil }) { _, node in
            #expect(APIToken.read(dataDirectory: directory) == node.token)
        }
    }

    @Test func aDataFolderBelongsToOneSystem() async throws {
        let directory = NSTemporaryDirectory() + "/owner-\(UUID().uuidString)"
        try await TestNode.with(dataDirectory: directory) { _, _ in }
        await #expect(throws: NodeStartupError.self) {
            try await TestNode.with(dataDirectory: directory, configure: { $0.systemID = "someone_else" }) { _, _ in }
        }
    }
}

@Suite("Federation config")
struct FederationConfigTests {
    static let complete = """
        federation:
          listen: 127.0.0.1:9081
          ca: Certs/ca.pem
          certificate: Certs/system_a.pem
          private_key: Certs/system_a.key
          signing_key: Certs/system_a.signing.key
          max_frame_bytes: 65536
          idle_timeout: 30s
          handshake_timeout: 3s
          max_connections: 32
          max_frames_in_flight: 8
          request_timeout: 2s
          replay_window: 1m
          trust_recovery_half_life: 30m
          peers:
            - system_id: system_b
              address: 127.0.0.1:9082
              trust_level: 0.8
              public_key: 5kbXRxoMGH5VJobVV0wFGknAlvid/8xc7+P9v4YCwDY=
        """

    @Test func everyFederationKeyIsRead() throws {
        let federation = try #require(try NodeConfig.parse(yaml: Self.complete).federation)
        #expect(federation.listen == HostPort(host: "127.0.0.1", port: 9081))
        #expect(federation.caPath == "Certs/ca.pem")
        #expect(federation.certificatePath == "Certs/system_a.pem")
        #expect(federation.privateKeyPath == "Certs/system_a.key")
        #expect(federation.signingKeyPath == "Certs/system_a.signing.key")
        #expect(federation.maxFrameBytes == 65536)
        #expect(federation.idleTimeout == .seconds(30))
        #expect(federation.handshakeTimeout == .seconds(3))
        #expect(federation.maxConnections == 32)
        #expect(federation.maxFramesInFlight == 8)
        #expect(federation.requestTimeout == .seconds(2))
        #expect(federation.replayWindow == .seconds(60))
        #expect(federation.trustRecoveryHalfLife == .seconds(1800))
        #expect(federation.peers.map(\.systemID.rawValue) == ["system_b"])
        #expect(federation.peers.first?.trustLevel.basisPoints == 8000)
        #expect(try NodeConfig.parse(yaml: "").federation == nil)
    }

    @Test func metadataAndRefusalLimitsAreReadWithDefaults() throws {
        let base = "federation:\n  listen: 127.0.0.1:1\n  ca: a\n  certificate: b\n  private_key: c\n  signing_key: d\n"
        let defaults = try #require(try NodeConfig.parse(yaml: base).federation)
        #expect(defaults.maxMetadataBytes == 4096 && defaults.settlement.refusalsKeptPerPeer == 1000)
        #expect(defaults.maxFramesInFlight == 64)
        let set = try #require(
            try NodeConfig.parse(
                yaml: base + "  max_metadata_bytes: 512\n  settlement:\n    refusals_kept_per_peer: 20\n"
            ).federation)
        #expect(set.maxMetadataBytes == 512 && set.settlement.refusalsKeptPerPeer == 20)
    }

    @Test(arguments: [
        ("federation:\n  listen: 127.0.0.1:1", "federation.ca"),
        ("listen: 127.0.0.1:9081\n  ca: a\n  certificate: b\n  private_key: c\n  signing_key: d\n  tls: yes", "federation.tls"),
        ("listen: 127.0.0.1:1\n  ca: a\n  certificate: b\n  private_key: c\n  signing_key: d\n  max_connections: -1", "federation.max_connections"),
        ("listen: 127.0.0.1:1\n  ca: a\n  certificate: b\n  private_key: c\n  signing_key: d\n  max_frames_in_flight: 0", "federation.max_frames_in_flight"),
        ("listen: 127.0.0.1:1\n  ca: a\n  certificate: b\n  private_key: c\n  signing_key: d\n  handshake_timeout: 10", "federation.handshake_timeout"),
        ("listen: nowhere\n  ca: a\n  certificate: b\n  private_key: c\n  signing_key: d", "federation.listen"),
        ("listen: 127.0.0.1:1\n  ca: a\n  certificate: b\n  private_key: c\n  signing_key: d\n  peers: 5", "federation.peers"),
        ("listen: 127.0.0.1:1\n  ca: a\n  certificate: b\n  private_key: c\n  signing_key: d\n  peers:\n    - system_id: x\n      address: h:1\n      trust_level: 2\n      public_key: k", "federation.peers[0].trust_level"),
        ("listen: 127.0.0.1:1\n  ca: a\n  certificate: b\n  private_key: c\n  signing_key: d\n  peers:\n    - system_id: x\n      address: h:1\n      trust_level: 0.5\n      public_key: k\n      colour: red", "federation.peers[0].colour"),
        ("listen: 127.0.0.1:1\n  ca: a\n  certificate: b\n  private_key: c\n  signing_key: d\n  peers:\n    - system_id: bad id\n      address: h:1\n      trust_level: 0.5\n      public_key: k", "federation.peers[0].system_id"),
        ("listen: 127.0.0.1:1\n  ca: a\n  certificate: b\n  private_key: c\n  signing_key: d\n  max_metadata_bytes: 0", "federation.max_metadata_bytes"),
        ("listen: 127.0.0.1:1\n  ca: a\n  certificate: b\n  private_key: c\n  signing_key: d\n  settlement:\n    refusals_kept_per_peer: 0", "federation.settlement.refusals_kept_per_peer"),
    ])
    func badFederationKeysAreRefusedWithTheKeyNamed(_ body: String, _ key: String) {
        let yaml = body.hasPrefix("federation:") ? body : "federation:\n  " + body
        #expect {
            _ = try NodeConfig.parse(yaml: yaml)
        } throws: { error in
            (error as? ConfigError)?.key == key
        }
    }
}

@Suite("Committed node configs")
struct CommittedConfigTests {
    static let certs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Certs").path

    @Test(arguments: ["system_a", "system_b", "system_c"])
    func theDevelopmentAndComposeConfigsParse(_ system: String) throws {
        for path in ["\(Self.certs)/\(system).yaml", "\(Self.certs)/compose/\(system).yaml"] {
            let config = try NodeConfig.load(path: path, environment: [:])
            #expect(config.systemID == system, "\(path)")
            let federation = try #require(config.federation, "\(path)")
            #expect(federation.peers.count == 2, "\(path)")
            #expect(!federation.peers.contains { $0.systemID.rawValue == system }, "\(path)")
        }
    }
}
