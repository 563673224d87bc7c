import Foundation
import Logging
import SafeguardsAPI
import SafeguardsCore
import SafeguardsNode
import SafeguardsTestKit
import ServiceLifecycle

/// Runs an in-process node on a free loopback port with a fresh data folder for the length of `body`.
enum TestNode {
    static let token = "test-token-0123456789abcdef"

    static func config(dataDirectory: String) -> NodeConfig {
        var config = NodeConfig()
        config.systemID = "test"
        config.dataDirectory = dataDirectory
        config.api.listen = HostPort(host: "127.0.0.1", port: 0)
        config.api.token = token
        return config
    }

    static func with<T: Sendable>(
        dataDirectory: String? = nil, configure: (inout NodeConfig) -> Void = { _ in },
        _ body: @Sendable (SafeguardsClient, BudgetNode) async throws -> T
    ) async throws -> T {
        try await run(dataDirectory: dataDirectory, configure: configure) { client, node, _ in try await body(client, node) }
    }

    /// A node of `system` in the development federation (Certs/), listening for peers on a free
    /// port, which `body` receives.
    static func withFederated<T: Sendable>(
        _ system: String, dataDirectory: String? = nil, configure: (inout NodeConfig) -> Void = { _ in },
        _ body: @Sendable (SafeguardsClient, BudgetNode, Int) async throws -> T
    ) async throws -> T {
        try await run(
            dataDirectory: dataDirectory,
            configure: { config in
                config.systemID = system
                config.federation = DevelopmentFederation.config(for: system)
                configure(&config)
            }, body)
    }

    private static func run<T: Sendable>(
        dataDirectory: String?, configure: (inout NodeConfig) -> Void,
        _ body: @Sendable (SafeguardsClient, BudgetNode, Int) async throws -> T
    ) async throws -> T {
        var config = config(dataDirectory: try dataDirectory ?? makeTemporaryDirectory())
        configure(&config)
        // SAFEGUARDS_TEST_LOG=1 shows the nodes' logs, for a failing test.
        let verbose = ProcessInfo.processInfo.environment["SAFEGUARDS_TEST_LOG"] != nil
        var logger = Logger(
            label: "test-node.\(config.systemID)",
            factory: { label -> any LogHandler in
                verbose ? StreamLogHandler.standardError(label: label) : SwiftLogNoOpLogHandler()
            })
        logger.logLevel = .debug
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let (federationPorts, federationContinuation) = AsyncStream.makeStream(of: Int.self)
        let node = try BudgetNode.open(
            config: config, logger: logger, onListening: { continuation.yield($0.port) },
            onFederationListening: { federationContinuation.yield($0) }, developmentCertificatesExpected: true)
        let group = ServiceGroup(services: node.services, logger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask {
                // A node that stops (or fails to start) ends the waits for its ports below.
                defer {
                    continuation.finish()
                    federationContinuation.finish()
                }
                try await group.run()
            }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else { throw NodeProcessError.notListening }
            var federationPort = 0
            if config.federation != nil {
                var federationIterator = federationPorts.makeAsyncIterator()
                federationPort = await federationIterator.next() ?? 0
            }
            let client = SafeguardsClient(host: "127.0.0.1", port: port, token: token, maximumConnections: 64)
            let outcome: Result<T, any Error>
            do { outcome = .success(try await body(client, node, federationPort)) } catch { outcome = .failure(error) }
            await client.shutdown()
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
            return try outcome.get()
        }
    }
}

/// The committed development federation in Certs/.
enum DevelopmentFederation {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Certs").path

    /// A request waits for its answer up to ``answerWait``, not the default 5 s: on a machine
    /// running other work a first request (a new connection, three commits) can take longer, and
    /// would answer `pending` where the test expects the outcome. Tests of the wait set their own.
    static func config(for system: String) -> FederationConfig {
        var config = FederationConfig(
            listen: HostPort(host: "127.0.0.1", port: 0), caPath: "\(directory)/ca.pem",
            certificatePath: "\(directory)/\(system).pem", privateKeyPath: "\(directory)/\(system).key",
            signingKeyPath: "\(directory)/\(system).signing.key")
        config.settlement.answerWait = answerWait
        return config
    }

    static let answerWait: Duration = .seconds(60)

    static func publicKey(of system: String) throws -> String {
        try String(contentsOfFile: "\(directory)/\(system).signing.pub", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The `federation` section of a `safeguards node run` process of `system`: it listens on
    /// `ports[system]` and lists every other system in `ports` as a peer (trust 0.8). `more` is
    /// YAML inside the section (two spaces in), after the peers.
    static func processSection(for system: String, ports: [String: Int], more: String = "") throws -> String {
        let peers = try ports.keys.sorted().filter { $0 != system }.map { peer in
            """
                - system_id: \(peer)
                  address: 127.0.0.1:\(ports[peer] ?? 0)
                  trust_level: 0.8
                  public_key: \(try publicKey(of: peer))
            """
        }.joined(separator: "\n")
        return """
            federation:
              listen: 127.0.0.1:\(ports[system] ?? 0)
              ca: \(directory)/ca.pem
              certificate: \(directory)/\(system).pem
              private_key: \(directory)/\(system).key
              signing_key: \(directory)/\(system).signing.key
              peers:
            \(peers)
            """ + (more.isEmpty ? "" : "\n" + more)
    }

    /// Registers `system` (listening on `port`) as a peer of the node behind `client`.
    @discardableResult
    static func register(_ system: String, port: Int, trust: String = "0.8", with client: SafeguardsClient)
        async throws -> PeerBody
    {
        try await client.addPeer(
            PeerRequest(systemID: system, address: "127.0.0.1:\(port)", trustLevel: trust, publicKey: publicKey(of: system)))
    }
}

extension NodeProcessError {
    static let notListening = NodeProcessError("the node never started listening")
}

/// A pool with agents, made through the API.
struct Fixture {
    let pool: PoolBody

    static func make(
        _ client: SafeguardsClient, poolBudget: String = "1000", agents: [(String, String)] = [("a1", "100")]
    ) async throws -> Fixture {
        let pool = try await client.createPool(
            CreatePoolRequest(name: "pool-\(UUID().uuidString.prefix(8))", initialBudget: Amount(parsing: poolBudget), priority: 5))
        for (id, budget) in agents {
            _ = try await client.registerAgent(
                RegisterAgentRequest(agentID: id, poolID: pool.id, priority: "HIGH", initialBudget: Amount(parsing: budget)))
        }
        return Fixture(pool: pool)
    }
}

/// Polls `condition` every 50 ms, at most `attempts` times; returns whether it held.
func eventually(_ attempts: Int = 400, _ condition: () async throws -> Bool) async throws -> Bool {
    for _ in 0..<attempts {
        if try await condition() { return true }
        try await Task.sleep(for: .milliseconds(50))
    }
    return false
}
