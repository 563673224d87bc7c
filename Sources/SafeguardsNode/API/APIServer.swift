import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import NIOSSL
import SafeguardsTransport
import ServiceLifecycle

/// The node's HTTP API server: Hummingbird's HTTP/1.1 server with the `api` section's limits.
///
/// - `max_connections`: at most that many connections are open at once; at the cap the server
///   stops accepting and new connections wait in the listen backlog (``ConnectionLimit``).
/// - `idle_timeout`: a keep-alive connection with no request in progress is closed after it
///   (Hummingbird's own idle timer).
/// - `header_timeout`: a request's head and body must arrive within it from its first byte
///   (``RequestDeadlineHandler``).
/// - `tls`: every connection speaks TLS first, its handshake done within `handshake_timeout`
///   (``APIServerTLS``); the limits above then apply to the requests inside it.
enum APIServer {
    /// The Hummingbird application serving `router` with the limits of `api`, over `tls` when given.
    static func application(
        router: Router<NodeRequestContext>, api: NodeConfig.APIConfig, tls: APIServerTLS?, serverName: String,
        logger: Logger, onServerRunning: @escaping @Sendable (any Channel) async -> Void
    ) -> some Service {
        let http1 = HTTP1Channel.Configuration(idleTimeout: TimeAmount(api.idleTimeout))
        let headerTimeout = TimeAmount(api.headerTimeout)
        let limit = APIConnectionLimit(
            limit: ConnectionLimit(maximum: api.maxConnections, listener: "API", logger: logger))
        var requestLogger = logger
        requestLogger.handler = RequestLogHandler(base: logger.handler)
        return Application(
            router: router,
            server: HTTPServerBuilder { responder in
                DeadlineHTTP1Channel(
                    base: HTTP1Channel(responder: responder, configuration: http1), headerTimeout: headerTimeout,
                    tls: tls)
            },
            configuration: .init(
                address: .hostname(api.listen.host, port: api.listen.port), serverName: serverName, backlog: 1024,
                availableConnectionsDelegate: limit),
            onServerRunning: onServerRunning, logger: requestLogger)
    }
}

/// Hummingbird's HTTP/1 channel with the request deadline handlers added around its decoder, and
/// TLS with its handshake deadline in front of everything when the API serves HTTPS.
struct DeadlineHTTP1Channel: ServerChildChannel {
    typealias Value = HTTP1Channel.Value
    let base: HTTP1Channel
    let headerTimeout: TimeAmount
    let tls: APIServerTLS?

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        // Made and used on the channel's event loop only, by the two handlers that share it.
        let clock = RequestClock(timeout: headerTimeout)
        do {
            let pipeline = channel.pipeline.syncOperations
            try pipeline.addHandler(RequestDeadlineHandler(clock: clock), position: .first)
            if let tls {
                // Each goes first: TLS, then its deadline, then the request clock on plain bytes.
                try pipeline.addHandler(TLSHandshakeDeadlineHandler(timeout: tls.handshakeTimeout), position: .first)
                try pipeline.addHandler(NIOSSLServerHandler(context: tls.context), position: .first)
            }
        } catch {
            return channel.eventLoop.makeFailedFuture(error)
        }
        return base.setup(channel: channel, logger: logger).assumeIsolated().flatMapThrowing { value in
            let pipeline = channel.pipeline.syncOperations
            let decoder = try pipeline.handler(type: ByteToMessageHandler<HTTPRequestDecoder>.self)
            try pipeline.addHandler(RequestProgressHandler(clock: clock), position: .after(decoder))
            return value
        }.nonisolated()
    }

    func handle(value: Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }
}

/// ``ConnectionLimit`` in the shape Hummingbird's server asks for.
struct APIConnectionLimit: AvailableConnectionsDelegate {
    var limit: ConnectionLimit

    mutating func connectionOpened() { limit.connectionOpened() }
    mutating func connectionClosed() { limit.connectionClosed() }
    func isAcceptingNewConnections() -> Bool { limit.isAcceptingNewConnections() }
}
