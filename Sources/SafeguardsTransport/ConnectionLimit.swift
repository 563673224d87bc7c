import Logging
import NIOCore

/// How many connections a listener holds open at once, and what it does at the cap.
///
/// Rules:
/// - A listener holds at most `maximum` accepted connections. At the cap it stops accepting: new
///   connections wait in the kernel's listen backlog (and past it are refused by the kernel) while
///   the open ones are served as before. When one closes, accepting resumes and the waiting ones
///   are taken in order.
/// - Not accepting, rather than accepting and closing at once, is deliberate: a connection the
///   node never accepted costs it no file descriptor, and descriptors are what a flood exhausts.
/// - The cap is checked before each accept batch; NIO may accept a few more in the batch that
///   reaches it (`maxMessagesPerRead`), so a cap must leave that much room below a hard budget.
/// - Reaching the cap is logged once, at warning, until the listener is below it again (info):
///   a flood writes two lines, not one per connection.
/// - The count is owned by the listener's channel handler and touched only on its event loop.
public struct ConnectionLimit: Sendable {
    /// The most connections held open at once (at least 1).
    public let maximum: Int
    /// The listener's name in log lines (`API`, `federation`).
    public let listener: String
    private let logger: Logger
    /// Connections open now.
    public private(set) var open = 0
    private var isAtCap = false

    public init(maximum: Int, listener: String, logger: Logger) {
        self.maximum = max(1, maximum)
        self.listener = listener
        self.logger = logger
    }

    /// Counts an accepted connection.
    public mutating func connectionOpened() {
        open += 1
        if open >= maximum, !isAtCap {
            isAtCap = true
            logger.warning(
                "\(listener) connection limit reached: new connections wait until one closes",
                metadata: ["connections.maximum": "\(maximum)"])
        }
    }

    /// Counts a connection that closed.
    public mutating func connectionClosed() {
        open -= 1
        if open < maximum, isAtCap {
            isAtCap = false
            logger.info(
                "\(listener) accepting connections again", metadata: ["connections.open": "\(open)"])
        }
    }

    /// Whether the listener may accept another connection now.
    public func isAcceptingNewConnections() -> Bool { open < maximum }
}

/// Enforces a ``ConnectionLimit`` on a server channel: counts each accepted child until it
/// closes, and holds back the server channel's reads (its accepts) while the limit is reached.
final class ConnectionLimitHandler: ChannelDuplexHandler {
    typealias InboundIn = any Channel
    typealias InboundOut = any Channel
    typealias OutboundIn = Never
    typealias OutboundOut = Never

    private var limit: ConnectionLimit
    private var isReadHeldBack = false

    init(_ limit: ConnectionLimit) {
        self.limit = limit
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let child = unwrapInboundIn(data)
        limit.connectionOpened()
        let loopBound = NIOLoopBound((handler: self, context: context), eventLoop: context.eventLoop)
        child.closeFuture.hop(to: context.eventLoop).whenComplete { _ in
            let (handler, context) = loopBound.value
            handler.limit.connectionClosed()
            if handler.isReadHeldBack, handler.limit.isAcceptingNewConnections() {
                handler.isReadHeldBack = false
                context.read()
            }
        }
        context.fireChannelRead(data)
    }

    func read(context: ChannelHandlerContext) {
        guard limit.isAcceptingNewConnections() else {
            isReadHeldBack = true
            return
        }
        context.read()
    }
}
