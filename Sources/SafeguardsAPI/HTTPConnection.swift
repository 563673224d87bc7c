import NIOCore
import NIOHTTP1
import NIOPosix

/// A complete HTTP response.
public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: [(String, String)]
    public var body: [UInt8]

    /// The first value of header `name` (case-insensitive).
    public func header(_ name: String) -> String? {
        headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }
}

/// Why an HTTP exchange failed below the level of the API.
public struct HTTPTransportError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// One keep-alive HTTP/1.1 connection that carries one request at a time.
final class HTTPConnection: Sendable {
    let channel: any Channel

    private init(channel: any Channel) {
        self.channel = channel
    }

    static func connect(host: String, port: Int, group: any EventLoopGroup) async throws -> HTTPConnection {
        let channel = try await ClientBootstrap(group: group)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connectTimeout(.seconds(5))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(ExchangeHandler())
                }
            }
            .connect(host: host, port: port).get()
        return HTTPConnection(channel: channel)
    }

    var isActive: Bool { channel.isActive }

    func send(
        method: HTTPMethod, path: String, host: String, headers: [(String, String)], body: [UInt8]?
    ) async throws -> HTTPResponse {
        let promise = channel.eventLoop.makePromise(of: HTTPResponse.self)
        var head = HTTPRequestHead(version: .http1_1, method: method, uri: path)
        head.headers.add(name: "Host", value: host)
        for (name, value) in headers { head.headers.add(name: name, value: value) }
        if let body {
            head.headers.add(name: "Content-Length", value: String(body.count))
        } else if method != .GET && method != .HEAD {
            head.headers.add(name: "Content-Length", value: "0")
        }
        let exchange = Exchange(head: head, body: body, promise: promise)
        // A write to a connection that closed meanwhile never reaches the exchange handler;
        // its failure must still end the wait for a response.
        let written = channel.eventLoop.makePromise(of: Void.self)
        written.futureResult.whenFailure { error in
            promise.fail(HTTPTransportError("cannot send the request: \(error)"))
        }
        channel.writeAndFlush(exchange, promise: written)
        return try await promise.futureResult.get()
    }

    func close() {
        channel.close(promise: nil)
    }
}

/// A request to write and the promise its response completes.
struct Exchange: Sendable {
    var head: HTTPRequestHead
    var body: [UInt8]?
    var promise: EventLoopPromise<HTTPResponse>
}

/// Writes one request and collects its response into an ``HTTPResponse``.
private final class ExchangeHandler: ChannelDuplexHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundIn = Exchange
    typealias OutboundOut = HTTPClientRequestPart

    private var pending: EventLoopPromise<HTTPResponse>?
    private var head: HTTPResponseHead?
    private var body: [UInt8] = []

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let exchange = unwrapOutboundIn(data)
        guard pending == nil else {
            let error = HTTPTransportError("a request is already in flight on this connection")
            exchange.promise.fail(error)
            promise?.fail(error)
            return
        }
        pending = exchange.promise
        context.write(wrapOutboundOut(.head(exchange.head)), promise: nil)
        if let bytes = exchange.body {
            context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: bytes)))), promise: nil)
        }
        context.write(wrapOutboundOut(.end(nil)), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let responseHead):
            head = responseHead
            body.removeAll(keepingCapacity: true)
        case .body(var buffer):
            body.append(contentsOf: buffer.readBytes(length: buffer.readableBytes) ?? [])
        case .end:
            guard let responseHead = head, let promise = pending else { return }
            pending = nil
            head = nil
            let response = HTTPResponse(
                status: Int(responseHead.status.code),
                headers: responseHead.headers.map { ($0.name, $0.value) }, body: body)
            promise.succeed(response)
            if !responseHead.isKeepAlive { context.close(promise: nil) }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(HTTPTransportError("connection failed: \(error)"))
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        fail(HTTPTransportError("connection closed before the response was complete"))
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        fail(HTTPTransportError("connection closed before the response was complete"))
    }

    private func fail(_ error: HTTPTransportError) {
        pending?.fail(error)
        pending = nil
    }
}
