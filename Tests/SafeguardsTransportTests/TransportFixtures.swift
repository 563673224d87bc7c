import Crypto
import Foundation
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import SafeguardsCore
import SafeguardsFederation
import SafeguardsTestKit
import SafeguardsTransport

/// Certificates for transport tests: the committed development federation, and a foreign CA.
enum TestCertificates {
    static let certs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Certs").path

    static func identity(_ system: String) throws -> TLSIdentity {
        try TLSIdentity.load(
            caPath: "\(certs)/ca.pem", certificatePath: "\(certs)/\(system).pem", privateKeyPath: "\(certs)/\(system).key")
    }

    /// A certificate for `system` from a CA of its own with the same name as the development CA,
    /// trusting only that foreign CA.
    static func foreignIdentity(_ system: String) throws -> TLSIdentity {
        var random = SeededRandom(seed: 7)
        let start = Date(timeIntervalSince1970: 1_735_689_600)
        let end = Date(timeIntervalSince1970: 2_082_758_400)
        let authority = try CertificateAuthority.create(
            key: IdentityKeyGeneration.certificateKey(using: &random), notBefore: start, notAfter: end,
            using: &random)
        let node = try authority.issueNodeCertificate(
            for: SystemID(system), key: IdentityKeyGeneration.certificateKey(using: &random), notBefore: start,
            notAfter: end, using: &random)
        return try TLSIdentity(
            caPEM: Array(try IdentityPEM.encode(authority.certificate).utf8),
            certificatePEM: Array(try node.certificatePEM().utf8), privateKeyPEM: Array(node.privateKeyPEM.utf8))
    }

    static let identify: CertificateIdentifier = { der in try CertificateIdentity.systemID(derEncoded: der) }
    static let logger = Logger(label: "transport-test", factory: { _ in SwiftLogNoOpLogHandler() })
}

/// Echoes every frame with the sender's name in front, and records what happened.
actor RecordingResponder: FrameResponder {
    private(set) var frames: [IncomingFrame] = []
    private(set) var failures: [(SystemID?, String)] = []

    func respond(to frame: IncomingFrame) async -> FrameReply {
        frames.append(frame)
        if frame.payload == Array("close".utf8) { return .replyAndClose(Array("bye".utf8)) }
        return .reply(Array("\(frame.peer):".utf8) + frame.payload)
    }

    func connectionFailed(peer: SystemID?, reason: String) async {
        failures.append((peer, reason))
    }

    var failureCount: Int { failures.count }
    var failedPeers: [SystemID?] { failures.map(\.0) }
}

/// Runs a listener for system_b on a free loopback port for the length of `body`.
func withListener<T: Sendable>(
    identity: TLSIdentity? = nil, idleTimeout: Duration = .seconds(30), handshakeTimeout: Duration = .seconds(10),
    maxConnections: Int = 64, maximumFrameLength: Int = 64 * 1024, logger: Logger = TestCertificates.logger,
    _ body: @Sendable (Int, RecordingResponder) async throws -> T
) async throws -> T {
    let responder = RecordingResponder()
    return try await withListener(
        responder: responder, identity: identity, idleTimeout: idleTimeout, handshakeTimeout: handshakeTimeout,
        maxConnections: maxConnections, maximumFrameLength: maximumFrameLength, logger: logger
    ) { port in try await body(port, responder) }
}

/// Runs a listener for system_b that answers with `responder`, on a free loopback port for the
/// length of `body`.
func withListener<T: Sendable>(
    responder: some FrameResponder, identity: TLSIdentity? = nil, idleTimeout: Duration = .seconds(30),
    handshakeTimeout: Duration = .seconds(10), maxConnections: Int = 64, maxFramesInFlight: Int = 64,
    maximumFrameLength: Int = 64 * 1024, logger: Logger = TestCertificates.logger,
    _ body: @Sendable (Int) async throws -> T
) async throws -> T {
    let listener = PeerListener(
        host: "127.0.0.1", port: 0, identity: try identity ?? TestCertificates.identity("system_b"),
        maximumFrameLength: maximumFrameLength, idleTimeout: idleTimeout, handshakeTimeout: handshakeTimeout,
        maxConnections: maxConnections, maxFramesInFlight: maxFramesInFlight, identify: TestCertificates.identify,
        logger: logger)
    let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
    return try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await listener.run(responder: responder, onBound: { continuation.yield($0) }) }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { throw TransportError.shutDown }
        let outcome: Result<T, any Error>
        do { outcome = .success(try await body(port)) } catch { outcome = .failure(error) }
        group.cancelAll()
        try? await group.waitForAll()
        return try outcome.get()
    }
}

func makeDialer(
    _ identity: TLSIdentity, requestTimeout: Duration = .seconds(5), dialTimeout: Duration = .seconds(5)
) throws -> PeerDialer {
    try PeerDialer(
        identity: identity, identify: TestCertificates.identify, connectTimeout: dialTimeout,
        requestTimeout: requestTimeout, handshakeTimeout: max(dialTimeout, .seconds(10)), logger: TestCertificates.logger)
}

/// A raw connection for sending bytes the dialer never would: TLS with the given identity (or
/// none), or plain TCP when `tls` is false. Returns the channel once connected.
func rawConnection(port: Int, tls: Bool, identity: TLSIdentity?) async throws -> any Channel {
    var configuration = TLSConfiguration.makeClientConfiguration()
    configuration.certificateVerification = .none
    configuration.minimumTLSVersion = .tlsv13
    if let identity {
        configuration.certificateChain = identity.certificateChain.map { .certificate($0) }
        configuration.privateKey = .privateKey(identity.privateKey)
    }
    let context = try NIOSSLContext(configuration: configuration)
    return try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .channelInitializer { channel in
            channel.eventLoop.makeCompletedFuture {
                if tls { try channel.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: context, serverHostname: nil)) }
            }
        }
        .connect(host: "127.0.0.1", port: port).get()
}

extension SystemID {
    static let systemA = SystemID(unchecked: "system_a")
    static let systemB = SystemID(unchecked: "system_b")
    static let systemC = SystemID(unchecked: "system_c")
}

extension RecordingResponder {
    /// Waits (a bounded number of short sleeps) until the listener has reported `count` failures:
    /// the client sees the close before the server's task has finished reporting it.
    func waitForFailures(_ count: Int) async {
        for _ in 0..<500 where failures.count < count {
            try? await Task.sleep(for: .milliseconds(10))
        }
    }
}
