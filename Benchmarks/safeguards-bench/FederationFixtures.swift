import Foundation
import Logging
import SafeguardsCore
import ServiceLifecycle
import SafeguardsFederation
import SafeguardsNode
import SafeguardsTransport

/// The committed development federation (`Certs/`, see its README) that the federation figures
/// run on: `system_a` dials, `system_b` listens. Loopback only.
struct DevelopmentCertificates {
    let directory: String

    static let systemA = SystemID(unchecked: "system_a")
    static let systemB = SystemID(unchecked: "system_b")

    /// Names the system a peer certificate belongs to, as the node does.
    static let identify: CertificateIdentifier = { der in try CertificateIdentity.systemID(derEncoded: der) }

    /// `explicit` (`--certs`), else `Certs/` in the working folder, else the `Certs/` of the
    /// package this benchmark was built from.
    static func locate(_ explicit: String?) throws -> DevelopmentCertificates {
        let packageCerts = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Certs").path
        let candidates =
            explicit.map { [$0] } ?? [
                (FileManager.default.currentDirectoryPath as NSString).appendingPathComponent("Certs"), packageCerts,
            ]
        for candidate in candidates
        where FileManager.default.fileExists(atPath: (candidate as NSString).appendingPathComponent("ca.pem")) {
            return DevelopmentCertificates(directory: candidate)
        }
        throw BenchFailure(
            "no development certificates (ca.pem) in \(candidates.joined(separator: " or ")); "
                + "run from the package root or pass --certs PATH")
    }

    func path(_ name: String) -> String { (directory as NSString).appendingPathComponent(name) }

    /// The TLS identity of `system`: its certificate and key, trusting the development CA.
    func tlsIdentity(_ system: SystemID) throws -> TLSIdentity {
        try TLSIdentity.load(
            caPath: path("ca.pem"), certificatePath: path("\(system.rawValue).pem"),
            privateKeyPath: path("\(system.rawValue).key"))
    }

    /// Base64 of `system`'s Ed25519 public key, what peers pin (its `.signing.pub` file).
    func signingPublicKey(_ system: SystemID) throws -> String {
        let file = path("\(system.rawValue).signing.pub")
        return try String(contentsOfFile: file, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The `federation` section of `Certs/<system>.yaml`, with absolute paths, listening on
    /// 127.0.0.1 port 0 and no configured peers: the yaml files use fixed ports, so the figures
    /// register each peer's real port through the registry once both nodes listen.
    func federationConfig(_ system: SystemID) -> FederationConfig {
        FederationConfig(
            listen: HostPort(host: "127.0.0.1", port: 0), caPath: path("ca.pem"),
            certificatePath: path("\(system.rawValue).pem"), privateKeyPath: path("\(system.rawValue).key"),
            signingKeyPath: path("\(system.rawValue).signing.key"))
    }
}

/// `system_a` and `system_b` of the development federation as two in-process nodes on fresh data
/// folders, API and federation on 127.0.0.1 port 0, in one `ServiceGroup`. Once both listen, each
/// registers the other at its real federation port with trust 0.8; then the figure runs, and the
/// nodes are shut down whether it succeeded or not.
struct FederatedPair {
    static let trust = "0.8"

    let nodeA: BudgetNode
    let nodeB: BudgetNode
    let federationA: FederationNode
    let federationB: FederationNode
    /// Where `system_a`'s API listens.
    let apiA: HostPort

    static func run<Value: Sendable>(
        options: BenchOptions, logger: Logger, label: String,
        configure: (SystemID, inout NodeConfig) -> Void = { _, _ in },
        _ body: (FederatedPair) async throws -> Value
    ) async throws -> Value {
        let certificates = try DevelopmentCertificates.locate(options.certificatesDirectory)
        let directory = try ScratchDirectory.create(in: options.dataDirectory, label: label)
        defer { directory.remove() }
        func config(_ system: SystemID) -> NodeConfig {
            var config = NodeConfig()
            config.systemID = system.rawValue
            config.dataDirectory = directory.file(system.rawValue)
            config.api.listen = HostPort(host: "127.0.0.1", port: 0)
            config.api.token = "bench-token"
            config.logLevel = logger.logLevel
            config.federation = certificates.federationConfig(system)
            // Gossip would add messages and settlement work of its own to what the figures time.
            config.gossip.interval = .seconds(3600)
            configure(system, &config)
            return config
        }
        let (apiAddresses, apiListening) = AsyncStream.makeStream(of: HostPort.self)
        let (portsA, federationListeningA) = AsyncStream.makeStream(of: Int.self)
        let (portsB, federationListeningB) = AsyncStream.makeStream(of: Int.self)
        let nodeA = try BudgetNode.open(
            config: config(DevelopmentCertificates.systemA), logger: logger, onListening: { apiListening.yield($0) },
            onFederationListening: { federationListeningA.yield($0) }, developmentCertificatesExpected: true)
        let nodeB = try BudgetNode.open(
            config: config(DevelopmentCertificates.systemB), logger: logger,
            onFederationListening: { federationListeningB.yield($0) }, developmentCertificatesExpected: true)
        guard let federationA = nodeA.federation, let federationB = nodeB.federation else {
            throw BenchFailure("a node opened without its federation side")
        }
        let group = ServiceGroup(services: nodeA.services + nodeB.services, logger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask {
                defer {
                    apiListening.finish()
                    federationListeningA.finish()
                    federationListeningB.finish()
                }
                try await group.run()
            }
            var apiIterator = apiAddresses.makeAsyncIterator()
            var portIteratorA = portsA.makeAsyncIterator()
            var portIteratorB = portsB.makeAsyncIterator()
            guard let apiAddress = await apiIterator.next(), let portA = await portIteratorA.next(),
                let portB = await portIteratorB.next()
            else {
                try await tasks.waitForAll()
                throw BenchFailure("the nodes stopped before they listened")
            }
            let value: Value
            do {
                let level = try TrustLevel(parsing: trust)
                for (node, peer, port) in [
                    (federationA, DevelopmentCertificates.systemB, portB), (federationB, DevelopmentCertificates.systemA, portA),
                ] {
                    try await node.registry.upsert(
                        peer, address: HostPort(host: "127.0.0.1", port: port), trust: level,
                        publicKeyBase64: try certificates.signingPublicKey(peer), source: .config, now: .now())
                }
                value = try await body(
                    FederatedPair(nodeA: nodeA, nodeB: nodeB, federationA: federationA, federationB: federationB, apiA: apiAddress))
            } catch {
                await group.triggerGracefulShutdown()
                throw error
            }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
            return value
        }
    }
}
