import Logging
import NIOCore
import NIOPosix
import NIOSSL
import SafeguardsFederation

/// A frame that arrived on an authenticated federation channel.
public struct IncomingFrame: Sendable {
    /// Who sent it, as named by the TLS peer certificate (verified against the federation CA).
    public let peer: SystemID
    public let payload: [UInt8]
    /// The connection it arrived on.
    public let connection: ConnectionID
}

/// What to do after a frame was handled.
public enum FrameReply: Sendable {
    case reply([UInt8])
    /// Answer (typically an error frame), then close the connection.
    case replyAndClose([UInt8])
    case close
    case none
}

/// What the node does with frames; the transport only carries them.
public protocol FrameResponder: Sendable {
    func respond(to frame: IncomingFrame) async -> FrameReply
    /// A connection broke the channel's rules (bad handshake, certificate of no known system,
    /// oversize frame, garbage). `peer` is known when the handshake got that far.
    func connectionFailed(peer: SystemID?, reason: String) async
}

/// Accepts federation connections: mutual TLS 1.3, then length-prefixed frames, one answer per frame.
///
/// A connection is served only once ``HandshakeIdentityHandler`` has named its system; every
/// connection that is refused or ends is closed through its `NIOAsyncChannel`'s
/// `executeThenClose`, never by dropping the wrapper. At most `maxConnections` are open at once
/// (``ConnectionLimit``). The frames of one connection are handled concurrently, at most
/// `maxFramesInFlight` at a time, and answered in the order they arrived (``FramePipeline``).
public struct PeerListener: Sendable {
    public var host: String
    public var port: Int
    public var identity: TLSIdentity
    public var maximumFrameLength: Int
    /// A connection with nothing to read for this long is closed (idle or half-open).
    public var idleTimeout: Duration
    /// The TLS handshake and the certificate check must be done this long after accept, however
    /// the bytes trickle; otherwise the connection is closed.
    public var handshakeTimeout: Duration
    /// The most connections open at once; at the cap new ones wait in the backlog.
    public var maxConnections: Int
    /// The most frames of one connection handled at once (read and not yet answered); at the cap
    /// the connection is not read until the oldest answer is written.
    public var maxFramesInFlight: Int
    public var identify: CertificateIdentifier
    public var logger: Logger

    public init(
        host: String, port: Int, identity: TLSIdentity, maximumFrameLength: Int = 1 << 20,
        idleTimeout: Duration = .seconds(60), handshakeTimeout: Duration = .seconds(10), maxConnections: Int = 256,
        maxFramesInFlight: Int = 64, identify: @escaping CertificateIdentifier, logger: Logger
    ) {
        self.host = host
        self.port = port
        self.identity = identity
        self.maximumFrameLength = maximumFrameLength
        self.idleTimeout = idleTimeout
        self.handshakeTimeout = handshakeTimeout
        self.maxConnections = maxConnections
        self.maxFramesInFlight = maxFramesInFlight
        self.identify = identify
        self.logger = logger
    }

    /// Serves until the task is cancelled. `onBound` receives the port actually bound (for port 0).
    public func run(responder: some FrameResponder, onBound: @Sendable (Int) async -> Void = { _ in }) async throws {
        let context = try identity.makeServerContext()
        let maximum = maximumFrameLength
        let idle = TimeAmount(idleTimeout)
        let handshake = TimeAmount(handshakeTimeout)
        let identify = identify
        let limit = ConnectionLimit(maximum: maxConnections, listener: "federation", logger: logger)
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            // One accept per read, so the connection limit holds exactly.
            .serverChannelOption(.maxMessagesPerRead, value: 1)
            .serverChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ConnectionLimitHandler(limit))
                }
            }
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .bind(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    let identity = channel.eventLoop.makePromise(of: SystemID.self)
                    let pipeline = channel.pipeline.syncOperations
                    try pipeline.addHandler(IdleStateHandler(readTimeout: idle))
                    try pipeline.addHandler(IdleCloseHandler())
                    try pipeline.addHandler(NIOSSLServerHandler(context: context))
                    try pipeline.addHandler(
                        HandshakeIdentityHandler(identify: identify, deadline: handshake, identity: identity))
                    try pipeline.addHandler(
                        ByteToMessageHandler(FrameDecoder(maximumFrameLength: maximum), maximumBufferSize: maximum + 4))
                    try pipeline.addHandler(MessageToByteHandler(FrameEncoder()))
                    let connection = try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                    return (connection, identity.futureResult)
                }
            }
        await onBound(server.channel.localAddress?.port ?? port)
        logger.info("federation listening", metadata: ["federation.address": "\(host):\(server.channel.localAddress?.port ?? port)"])
        try await withTaskCancellationHandler {
            try await server.executeThenClose { connections in
                try await withThrowingDiscardingTaskGroup { group in
                    for try await (connection, identity) in connections {
                        group.addTask { await serve(connection, identity: identity, responder: responder) }
                    }
                }
            }
        } onCancel: {
            server.channel.close(promise: nil)
        }
    }

    private func serve(
        _ connection: NIOAsyncChannel<ByteBuffer, ByteBuffer>, identity: EventLoopFuture<SystemID>,
        responder: some FrameResponder
    ) async {
        let remote = connection.channel.remoteAddress.map { "\($0)" } ?? "unknown"
        let peer: SystemID
        do {
            peer = try await identity.get()
        } catch {
            // The handler has closed the channel already; the wrapper must still be closed in its
            // own scope (dropping an unfinished NIOAsyncChannel writer stops the process).
            try? await connection.executeThenClose { _, _ in }
            logger.warning("federation connection refused", metadata: ["peer.address": "\(remote)", "reason": "\(error)"])
            await responder.connectionFailed(peer: nil, reason: "\(error)")
            return
        }
        let connectionID = ConnectionID.next()
        let frames = FramePipeline(limit: maxFramesInFlight)
        do {
            try await withTaskCancellationHandler {
                try await connection.executeThenClose { inbound, outbound in
                    try await frames.serve(connection.channel, inbound: inbound, outbound: outbound) { payload in
                        await responder.respond(to: IncomingFrame(peer: peer, payload: payload, connection: connectionID))
                    }
                }
            } onCancel: {
                connection.channel.close(promise: nil)
            }
        } catch where isProtocolViolation(error) {
            logger.warning(
                "federation connection closed: protocol violation",
                metadata: ["peer.system_id": "\(peer)", "peer.address": "\(remote)", "reason": "\(error)"])
            await responder.connectionFailed(peer: peer, reason: "\(error)")
        } catch {
            logger.debug(
                "federation connection ended", metadata: ["peer.system_id": "\(peer)", "reason": "\(error)"])
        }
    }
}
