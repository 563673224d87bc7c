import Logging
import NIOCore
import NIOPosix
import NIOSSL
import SafeguardsFederation
import Synchronization

/// Opens and reuses federation connections to peers: one mutual-TLS connection per peer,
/// checked to belong to the system it was dialled for, carrying one answer per request frame.
/// A failed dial is retried with exponential backoff; a connection that fails is dropped and
/// dialled anew on the next request. A request may carry a deadline: it then never waits past
/// it, not for a backoff, a dial or an answer.
///
/// A request whose task is cancelled gives up at once (``TransportError/cancelled``), wherever
/// it waits: for a backoff, a dial or an answer. An answer it gave up on is matched to its slot
/// and dropped, as after a deadline, so the connection stays usable. ``shutdown()`` closes every
/// connection at once and fails the requests waiting on them, so a node's shutdown never waits
/// for a peer that does not answer.
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
    private var connections: [SystemID: (channel: any Channel, id: ConnectionID)] = [:]
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

    /// Sends one frame to `peer` at `host:port` and returns its answer (see
    /// ``send(_:to:host:port:deadline:)``).
    public func request(
        _ payload: [UInt8], to peer: SystemID, host: String, port: Int, deadline: ContinuousClock.Instant? = nil
    ) async throws(TransportError) -> [UInt8] {
        try await send(payload, to: peer, host: host, port: port, deadline: deadline).payload
    }

    /// An answer, and the connection it came on.
    public struct Answer: Sendable {
        public let payload: [UInt8]
        public let connection: ConnectionID
    }

    /// Sends one frame to `peer` at `host:port` and returns its answer. The answer is awaited
    /// for the request timeout or until `deadline`, whichever ends first; a dial backoff that
    /// lasts past `deadline` fails at once, and a dial this request starts gives up at it.
    /// Throws ``TransportError/timedOut`` when the time runs out.
    public func send(
        _ payload: [UInt8], to peer: SystemID, host: String, port: Int, deadline: ContinuousClock.Instant? = nil
    ) async throws(TransportError) -> Answer {
        guard !Task.isCancelled else { throw .cancelled }
        let (channel, id) = try await connection(to: peer, host: host, port: port, deadline: deadline)
        let wait = deadline.map { min(requestTimeout, $0 - .now) } ?? requestTimeout
        guard wait > .zero else { throw .timedOut }
        // The answer's slot on the connection: filled by the peer's answer, or failed at the request
        // timeout, which also closes the connection (a peer that does not answer within it is gone).
        let answer = channel.eventLoop.makePromise(of: ByteBuffer.self)
        let timeout = channel.eventLoop.scheduleTask(in: TimeAmount(requestTimeout)) {
            answer.fail(TransportError.timedOut)
            channel.close(promise: nil)
        }
        answer.futureResult.whenComplete { _ in timeout.cancel() }
        // What this caller waits for: the answer, or a deadline before the request timeout. Giving
        // up early leaves the slot in place, so a late answer is matched to it and dropped, and
        // other requests on the connection are not disturbed.
        let result = channel.eventLoop.makePromise(of: ByteBuffer.self)
        answer.futureResult.cascade(to: result)
        let early = wait < requestTimeout
            ? channel.eventLoop.scheduleTask(in: TimeAmount(wait)) { result.fail(DeadlinePassed()) } : nil
        result.futureResult.whenComplete { _ in early?.cancel() }
        channel.writeAndFlush(PendingRequest(frame: ByteBuffer(bytes: payload), answer: answer), promise: nil)
        do {
            // Cancelled, the caller stops waiting as at its deadline; the slot stays for the answer.
            let buffer = try await withTaskCancellationHandler {
                try await result.futureResult.get()
            } onCancel: {
                result.fail(RequestCancelled())
            }
            return Answer(payload: Array(buffer: buffer), connection: id)
        } catch is DeadlinePassed {
            throw .timedOut
        } catch is RequestCancelled {
            throw .cancelled
        } catch {
            drop(peer, channel)
            throw (error as? TransportError) ?? .connectionClosed("\(error)")
        }
    }

    /// Closes every connection, all at once, and stops every dial; the requests waiting on them
    /// fail, and later requests fail with ``TransportError/shutDown``. Returns once every
    /// connection is closed: each sends its TLS `close_notify` and waits at most
    /// ``TLSIdentity/closeNotifyWait`` for the peer's.
    public func shutdown() async {
        isShutDown = true
        for task in dialing.values { task.cancel() }
        let open = connections.values.map(\.channel)
        connections.removeAll()
        await withTaskGroup(of: Void.self) { group in
            for channel in open { group.addTask { try? await channel.close() } }
        }
    }

    /// Whether a connection to `peer` is open now (for tests and status).
    public func isConnected(to peer: SystemID) -> Bool { connections[peer]?.channel.isActive ?? false }

    private func connection(
        to peer: SystemID, host: String, port: Int, deadline: ContinuousClock.Instant?
    ) async throws(TransportError) -> (any Channel, ConnectionID) {
        guard !isShutDown else { throw .shutDown }
        if let open = connections[peer], open.channel.isActive { return open }
        connections[peer] = nil
        if let state = backoff[peer], state.notBefore > .now {
            if let deadline, state.notBefore > deadline { throw .timedOut }
            try? await Task.sleep(until: state.notBefore, clock: .continuous)
            guard !Task.isCancelled else { throw .cancelled }
            guard !isShutDown else { throw .shutDown }
        }
        let task: Task<any Channel, any Error>
        if let existing = dialing[peer] {
            task = existing
        } else {
            let limit = deadline.map { min(connectTimeout, $0 - .now) } ?? connectTimeout
            task = Task { try await self.dial(peer, host: host, port: port, within: limit) }
            dialing[peer] = task
        }
        do {
            // A cancelled caller stops the dial (which closes its channel at once); others waiting
            // for the same dial fail with it and dial again on their next request.
            let channel = try await withTaskCancellationHandler {
                try await task.value
            } onCancel: {
                task.cancel()
            }
            dialing[peer] = nil
            guard !isShutDown else {
                // Shut down while this dial ran: the connection must not outlive the dialer.
                try? await channel.close()
                throw TransportError.shutDown
            }
            backoff[peer] = nil
            let open = (channel: channel, id: ConnectionID.next())
            connections[peer] = open
            return open
        } catch TransportError.shutDown {
            throw .shutDown
        } catch where task.isCancelled {
            // Given up by a caller or by shutdown: no fault of the peer's, so no backoff.
            if dialing[peer] == task { dialing[peer] = nil }
            throw isShutDown ? .shutDown : .cancelled
        } catch {
            dialing[peer] = nil
            let failures = (backoff[peer]?.failures ?? 0) + 1
            backoff[peer] = (failures, .now + Self.backoffDelay(afterFailures: failures))
            logger.info(
                "dial failed", metadata: ["peer.system_id": "\(peer)", "failures": "\(failures)", "reason": "\(error)"])
            throw (error as? TransportError) ?? .handshakeFailed("\(error)")
        }
    }

    /// Connects, completes the TLS handshake and checks the certificate names `peer`, all within
    /// `limit` (the connect timeout, or less when a request's deadline is nearer). Cancelled, it
    /// closes its channel and fails at once, whether it is connecting or in the handshake.
    private func dial(_ peer: SystemID, host: String, port: Int, within limit: Duration) async throws -> any Channel {
        guard limit > .zero else { throw TransportError.timedOut }
        let start = ContinuousClock.now
        let context = context
        let maximum = maximumFrameLength
        let idle = TimeAmount(idleTimeout)
        let handshake = TimeAmount(handshakeTimeout)
        let identify = identify
        let dialled = DialledChannel()
        return try await withTaskCancellationHandler {
            let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(TimeAmount(limit))
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
                .channelInitializer { channel in
                    guard dialled.attach(channel) else {
                        return channel.eventLoop.makeFailedFuture(CancellationError())
                    }
                    return channel.eventLoop.makeCompletedFuture {
                        let identity = channel.eventLoop.makePromise(of: SystemID.self)
                        let pipeline = channel.pipeline.syncOperations
                        try pipeline.addHandler(IdleStateHandler(readTimeout: idle))
                        try pipeline.addHandler(IdleCloseHandler())
                        try pipeline.addHandler(try NIOSSLClientHandler(context: context, serverHostname: nil))
                        try pipeline.addHandler(
                            HandshakeIdentityHandler(identify: identify, deadline: handshake, identity: identity))
                        try pipeline.addHandler(
                            ByteToMessageHandler(
                                FrameDecoder(maximumFrameLength: maximum), maximumBufferSize: maximum + 4))
                        try pipeline.addHandler(MessageToByteHandler(FrameEncoder()))
                        try pipeline.addHandler(ResponseMatcher())
                    }
                }
                .connect(host: host, port: port).get()
            // A listener that accepts but never answers the handshake would otherwise hold the dial
            // until the idle timeout.
            let giveUp = channel.eventLoop.scheduleTask(in: TimeAmount(max(limit - (.now - start), .zero))) {
                channel.close(promise: nil)
            }
            defer { giveUp.cancel() }
            do {
                let identity = try await channel.eventLoop.submit {
                    try channel.pipeline.syncOperations.handler(type: HandshakeIdentityHandler.self).identity
                        .futureResult
                }.get()
                let actual = try await identity.get()
                guard actual == peer else {
                    throw TransportError.identityMismatch(expected: peer, actual: actual.rawValue)
                }
                return channel
            } catch {
                try? await channel.close()
                throw error
            }
        } onCancel: {
            dialled.cancel()
        }
    }

    private func drop(_ peer: SystemID, _ channel: any Channel) {
        channel.close(promise: nil)
        if let current = connections[peer], current.channel === channel { connections[peer] = nil }
    }

}

/// A request's deadline passed before its answer came (the connection stays open).
private struct DeadlinePassed: Error {}

/// A request's task was cancelled before its answer came (the connection stays open).
private struct RequestCancelled: Error {}

/// The channel of a dial in progress, so that cancelling the dial closes it at once: a connect
/// or a TLS handshake the peer never answers would otherwise run on to its timeout.
private final class DialledChannel: Sendable {
    private let state = Mutex<(channel: (any Channel)?, isCancelled: Bool)>((nil, false))

    /// Keeps `channel` to close on cancellation; `false` when the dial is cancelled already.
    func attach(_ channel: any Channel) -> Bool {
        state.withLock { state in
            state.channel = channel
            return !state.isCancelled
        }
    }

    func cancel() {
        let channel = state.withLock { state in
            state.isCancelled = true
            return state.channel
        }
        channel?.close(promise: nil)
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

    /// Closing this side fails the waiting requests at once, not after the TLS close completes
    /// (up to ``TLSIdentity/closeNotifyWait`` when the peer does not answer it).
    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        if mode == .all { failAll(TransportError.connectionClosed("closed by this node")) }
        context.close(mode: mode, promise: promise)
    }

    func channelInactive(context: ChannelHandlerContext) {
        failAll(TransportError.connectionClosed("the peer closed the connection"))
        context.fireChannelInactive()
    }

    private func failAll(_ error: TransportError) {
        while let answer = waiting.popFirst() { answer.fail(error) }
    }
}
