import Logging
import NIOCore
import NIOPosix
import NIOSSL
import SafeguardsFederation

/// Opens and reuses federation connections to peers: one mutual-TLS connection per peer,
/// checked to belong to the system it was dialled for, carrying one answer per request frame.
/// A failed dial is retried with exponential backoff; a connection that fails is dropped and
/// dialled anew on the next request.
public actor PeerDialer {
    private let identity: TLSIdentity
    private let context: NIOSSLContext
    private let identify: CertificateIdentifier
    private let maximumFrameLength: Int
    private let connectTimeout: Duration
    private let requestTimeout: Duration
    private let idleTimeout: Duration
    private let handshakeTimeout: Duration
    private let logger: Logger
    private var connections: [SystemID: any Channel] = [:]
    private var dialing: [SystemID: Task<any Channel, any Error>] = [:]
    private var backoff: [SystemID: (failures: Int, notBefore: ContinuousClock.Instant)] = [:]
    private var isShutDown = false

    /// Backoff after the n-th consecutive failed dial: 100 ms x 2^(n-1), at most 30 s.
    public static func backoffDelay(afterFailures failures: Int) -> Duration {
        guard failures > 0 else { return .zero }
        return min(.milliseconds(100) * (1 << min(failures - 1, 16)), .seconds(30))
    }

    public init(
        identity: TLSIdentity, identify: @escaping CertificateIdentifier, maximumFrameLength: Int = 1 << 20,
        connectTimeout: Duration = .seconds(5), requestTimeout: Duration = .seconds(10),
        idleTimeout: Duration = .seconds(60), handshakeTimeout: Duration = .seconds(10), logger: Logger
    ) throws(TransportError) {
        self.identity = identity
        self.context = try identity.makeClientContext()
        self.identify = identify
        self.maximumFrameLength = maximumFrameLength
        self.connectTimeout = connectTimeout
        self.requestTimeout = requestTimeout
        self.idleTimeout = idleTimeout
        self.handshakeTimeout = handshakeTimeout
        self.logger = logger
    }

    /// Sends one frame to `peer` at `host:port` and returns its answer.
    public func request(_ payload: [UInt8], to peer: SystemID, host: String, port: Int) async throws(TransportError)
        -> [UInt8]
    {
        let channel = try await connection(to: peer, host: host, port: port)
        let answer = channel.eventLoop.makePromise(of: ByteBuffer.self)
        let timeout = channel.eventLoop.scheduleTask(in: TimeAmount(requestTimeout)) {
            answer.fail(TransportError.timedOut)
            channel.close(promise: nil)
        }
        answer.futureResult.whenComplete { _ in timeout.cancel() }
        channel.writeAndFlush(PendingRequest(frame: ByteBuffer(bytes: payload), answer: answer), promise: nil)
        do {
            return Array(buffer: try await answer.futureResult.get())
        } catch {
            drop(peer, channel)
            throw (error as? TransportError) ?? .connectionClosed("\(error)")
        }
    }

    /// Closes every connection; later requests fail with ``TransportError/shutDown``.
    public func shutdown() async {
        isShutDown = true
        for task in dialing.values { task.cancel() }
        let open = Array(connections.values)
        connections.removeAll()
        for channel in open { try? await channel.close() }
    }

    /// Whether a connection to `peer` is open now (for tests and status).
    public func isConnected(to peer: SystemID) -> Bool { connections[peer]?.isActive ?? false }

    private func connection(to peer: SystemID, host: String, port: Int) async throws(TransportError) -> any Channel {
        guard !isShutDown else { throw .shutDown }
        if let channel = connections[peer], channel.isActive { return channel }
        connections[peer] = nil
        if let state = backoff[peer], state.notBefore > .now {
            try? await Task.sleep(until: state.notBefore, clock: .continuous)
        }
        let task: Task<any Channel, any Error>
        if let existing = dialing[peer] {
            task = existing
        } else {
            task = Task { try await self.dial(peer, host: host, port: port) }
            dialing[peer] = task
        }
        do {
            let channel = try await task.value
            dialing[peer] = nil
            backoff[peer] = nil
            connections[peer] = channel
            return channel
        } catch {
            dialing[peer] = nil
            let failures = (backoff[peer]?.failures ?? 0) + 1
            backoff[peer] = (failures, .now + Self.backoffDelay(afterFailures: failures))
            logger.info(
                "dial failed", metadata: ["peer.system_id": "\(peer)", "failures": "\(failures)", "reason": "\(error)"])
            throw (error as? TransportError) ?? .handshakeFailed("\(error)")
        }
    }

    private func dial(_ peer: SystemID, host: String, port: Int) async throws -> any Channel {
        let context = context
        let maximum = maximumFrameLength
        let idle = TimeAmount(idleTimeout)
        let handshake = TimeAmount(handshakeTimeout)
        let identify = identify
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(TimeAmount(connectTimeout))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let identity = channel.eventLoop.makePromise(of: SystemID.self)
                    let pipeline = channel.pipeline.syncOperations
                    try pipeline.addHandler(IdleStateHandler(readTimeout: idle))
                    try pipeline.addHandler(IdleCloseHandler())
                    try pipeline.addHandler(try NIOSSLClientHandler(context: context, serverHostname: nil))
                    try pipeline.addHandler(
                        HandshakeIdentityHandler(identify: identify, deadline: handshake, identity: identity))
                    try pipeline.addHandler(
                        ByteToMessageHandler(FrameDecoder(maximumFrameLength: maximum), maximumBufferSize: maximum + 4))
                    try pipeline.addHandler(MessageToByteHandler(FrameEncoder()))
                    try pipeline.addHandler(ResponseMatcher())
                }
            }
            .connect(host: host, port: port).get()
        do {
            let identity = try await channel.eventLoop.submit {
                try channel.pipeline.syncOperations.handler(type: HandshakeIdentityHandler.self).identity.futureResult
            }.get()
            let actual = try await identity.get()
            guard actual == peer else { throw TransportError.identityMismatch(expected: peer, actual: actual.rawValue) }
            return channel
        } catch {
            try? await channel.close()
            throw error
        }
    }

    private func drop(_ peer: SystemID, _ channel: any Channel) {
        channel.close(promise: nil)
        if let current = connections[peer], current === channel { connections[peer] = nil }
    }

}

/// A frame to send and the promise its answer completes.
struct PendingRequest: Sendable {
    var frame: ByteBuffer
    var answer: EventLoopPromise<ByteBuffer>
}

/// Matches answers to requests in order; fails every waiting request when the connection ends.
final class ResponseMatcher: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = PendingRequest
    typealias OutboundOut = ByteBuffer

    private var waiting = CircularBuffer<EventLoopPromise<ByteBuffer>>()

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let request = unwrapOutboundIn(data)
        waiting.append(request.answer)
        context.write(wrapOutboundOut(request.frame), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        guard let answer = waiting.popFirst() else {
            // An answer nobody asked for: the peer is confused or hostile.
            context.close(promise: nil)
            return
        }
        answer.succeed(frame)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        failAll(TransportError.connectionClosed("\(error)"))
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        failAll(TransportError.connectionClosed("the peer closed the connection"))
        context.fireChannelInactive()
    }

    private func failAll(_ error: TransportError) {
        while let answer = waiting.popFirst() { answer.fail(error) }
    }
}
