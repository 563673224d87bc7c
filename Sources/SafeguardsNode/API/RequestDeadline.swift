import NIOCore
import NIOHTTP1

/// A deadline on each HTTP request's arrival: its head and its body must have arrived within
/// `api.header_timeout` of its first byte, or the connection is closed.
///
/// Rules:
/// - The clock starts at the first byte read while no request is being read, and stops once the
///   request's end has been decoded. Bytes that trickle in do not extend it: a slow-loris request
///   is closed however it paces itself.
/// - Bytes of a pipelined next request that arrive in the same read as the previous request's
///   end start no clock; the next read does.
/// - At the deadline the node answers `408 Request Timeout` with `connection: close` when no
///   response is being written on the connection, then closes it; while a response is being
///   written it only closes (a second response inside the first would corrupt both).
/// - Time the node spends answering (a database write, a wait for a peer) does not count, and a
///   connection with no request begun is the keep-alive idle timeout's business, not this one's.
///
/// Two handlers share the work, because no single place in the pipeline sees both raw bytes and
/// decoded requests: ``RequestDeadlineHandler`` sits first (bytes) and keeps the clock;
/// ``RequestProgressHandler`` sits right after the HTTP/1 decoder and reports, as outbound user
/// events travelling back to the first, when a request has been read and when a response starts
/// and ends.
enum HTTPRequestProgress: Sendable {
    case requestRead
    case responseStarted
    case responseEnded
}

/// Keeps the clock of ``HTTPRequestProgress``'s rules; the first handler of an API connection.
final class RequestDeadlineHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = IOData
    typealias OutboundOut = IOData

    private static let requestTimeout = ByteBuffer(
        string: "HTTP/1.1 408 Request Timeout\r\nconnection: close\r\ncontent-length: 0\r\n\r\n")

    private let timeout: TimeAmount
    private var deadline: Scheduled<Void>?
    private var isResponding = false

    init(timeout: TimeAmount) {
        self.timeout = timeout
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if deadline == nil, unwrapInboundIn(data).readableBytes > 0 {
            deadline = context.eventLoop.assumeIsolated().scheduleTask(in: timeout) { self.expire(context) }
        }
        context.fireChannelRead(data)
    }

    func triggerUserOutboundEvent(context: ChannelHandlerContext, event: Any, promise: EventLoopPromise<Void>?) {
        guard let progress = event as? HTTPRequestProgress else {
            context.triggerUserOutboundEvent(event, promise: promise)
            return
        }
        switch progress {
        case .requestRead:
            stopClock()
        case .responseStarted:
            isResponding = true
        case .responseEnded:
            isResponding = false
        }
        promise?.succeed(())
    }

    func channelInactive(context: ChannelHandlerContext) {
        stopClock()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        stopClock()
    }

    private func stopClock() {
        deadline?.cancel()
        deadline = nil
    }

    private func expire(_ context: ChannelHandlerContext) {
        deadline = nil
        guard !isResponding else {
            context.close(promise: nil)
            return
        }
        let written = context.eventLoop.makePromise(of: Void.self)
        written.futureResult.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
        context.writeAndFlush(wrapOutboundOut(.byteBuffer(Self.requestTimeout)), promise: written)
    }
}

/// Reports ``HTTPRequestProgress`` to ``RequestDeadlineHandler``; sits right after the HTTP/1 decoder.
final class RequestProgressHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .end = unwrapInboundIn(data) {
            context.triggerUserOutboundEvent(HTTPRequestProgress.requestRead, promise: nil)
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head:
            context.triggerUserOutboundEvent(HTTPRequestProgress.responseStarted, promise: nil)
            context.write(data, promise: promise)
        case .body:
            context.write(data, promise: promise)
        case .end:
            context.write(data, promise: promise)
            context.triggerUserOutboundEvent(HTTPRequestProgress.responseEnded, promise: nil)
        }
    }
}
