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
/// ``RequestProgressHandler`` sits right after the HTTP/1 decoder and tells the clock, which both
/// hold (``RequestClock``), when a request has been read and when a response starts and ends.
///
/// The clock does not schedule and cancel a timer per request: a request's start is only noted,
/// and one timer at a time checks, when it fires, whether the request then in progress has had
/// its time; if not, it is set again for that request's deadline. Keep-alive traffic thus costs a
/// clock read per request, and a connection with no request in progress has no timer.
final class RequestClock {
    private let timeout: TimeAmount
    /// When the request being read started; `nil` while no request is being read.
    private var requestStarted: NIODeadline?
    private var timer: Scheduled<Void>?
    private var isResponding = false
    private var context: ChannelHandlerContext?

    init(timeout: TimeAmount) {
        self.timeout = timeout
    }

    /// Bytes arrived (`context` is the first handler's): starts the clock if no request is being read.
    func bytesRead(context: ChannelHandlerContext) {
        guard requestStarted == nil else { return }
        let now = NIODeadline.now()
        requestStarted = now
        self.context = context
        if timer == nil { schedule(at: now + timeout) }
    }

    /// The request's end has been decoded: stops the clock.
    func requestRead() {
        requestStarted = nil
    }

    func responseStarted() { isResponding = true }
    func responseEnded() { isResponding = false }

    /// The connection is gone: no more checks.
    func stop() {
        timer?.cancel()
        timer = nil
        requestStarted = nil
        context = nil
    }

    private func schedule(at deadline: NIODeadline) {
        guard let context else { return }
        timer = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { self.check() }
    }

    private func check() {
        timer = nil
        guard let started = requestStarted, let context else { return }
        let deadline = started + timeout
        guard NIODeadline.now() >= deadline else {
            schedule(at: deadline)
            return
        }
        requestStarted = nil
        expire(context)
    }

    private static let requestTimeout = ByteBuffer(
        string: "HTTP/1.1 408 Request Timeout\r\nconnection: close\r\ncontent-length: 0\r\n\r\n")

    private func expire(_ context: ChannelHandlerContext) {
        guard !isResponding else {
            context.close(promise: nil)
            return
        }
        let written = context.eventLoop.makePromise(of: Void.self)
        written.futureResult.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
        context.writeAndFlush(NIOAny(IOData.byteBuffer(Self.requestTimeout)), promise: written)
    }
}

/// Starts the ``RequestClock`` on bytes; the first handler of an API connection.
final class RequestDeadlineHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let clock: RequestClock

    init(clock: RequestClock) {
        self.clock = clock
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if unwrapInboundIn(data).readableBytes > 0 { clock.bytesRead(context: context) }
        context.fireChannelRead(data)
    }

    func channelInactive(context: ChannelHandlerContext) {
        clock.stop()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        clock.stop()
    }
}

/// Tells the ``RequestClock`` when a request has been read and when a response starts and ends;
/// sits right after the HTTP/1 decoder.
final class RequestProgressHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private let clock: RequestClock

    init(clock: RequestClock) {
        self.clock = clock
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .end = unwrapInboundIn(data) { clock.requestRead() }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head:
            clock.responseStarted()
            context.write(data, promise: promise)
        case .body:
            context.write(data, promise: promise)
        case .end:
            context.write(data, promise: promise)
            clock.responseEnded()
        }
    }
}
