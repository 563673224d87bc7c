import AsyncHTTPClient
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// The HTTP side of ``SafeguardsClient``: AsyncHTTPClient's pool of keep-alive HTTP/1.1
/// connections to one node, over TLS for an `https` endpoint.
///
/// - Requests are never retried here, nor are failed connection attempts (AsyncHTTPClient would
///   otherwise keep dialling a node that is down until the request's deadline): only the caller
///   knows whether a request is safe to repeat, and a CLI must fail at once when the node is not
///   there. Redirects are not followed; bodies are not decompressed.
/// - A failure names the URL contacted and, for TLS, what was wrong with the certificate.
/// - The client runs on the process's shared event loop group; ``shutdown()`` closes its
///   connections. One that is dropped without it shuts down on its way out, so a caller that
///   forgot (or threw past its shutdown) leaks nothing and does not trip AsyncHTTPClient's check.
final class APIConnection: Sendable {
    let endpoint: APIEndpoint
    private let client: HTTPClient
    private let baseURL: String
    /// Admits at most `maximumConnections` requests to the pool at once. AsyncHTTPClient counts a
    /// request's wait for a free connection against the connect timeout; the others wait here
    /// instead, for as long as it takes, so a burst larger than the pool queues rather than fails.
    private let admission: RequestAdmission

    /// The longest a request may take from the first attempt to connect to the response's end;
    /// generous, since a request may wait for a peer (`federation.request_timeout`).
    static let requestTimeout = TimeAmount.minutes(5)
    /// The largest response body read.
    static let maximumBodyBytes = 64 * 1024 * 1024

    init(endpoint: APIEndpoint, tls: TLSConfiguration?, maximumConnections: Int) {
        var configuration = HTTPClient.Configuration()
        configuration.tlsConfiguration = tls
        configuration.redirectConfiguration = .disallow
        configuration.decompression = .disabled
        configuration.httpVersion = .http1Only
        configuration.timeout = .init(connect: .seconds(5))
        configuration.connectionPool = .init(
            idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: max(1, maximumConnections))
        configuration.connectionPool.retryConnectionEstablishment = false
        self.client = HTTPClient(eventLoopGroup: MultiThreadedEventLoopGroup.singleton, configuration: configuration)
        self.admission = RequestAdmission(permits: max(1, maximumConnections))
        self.endpoint = endpoint
        self.baseURL = endpoint.description
    }

    deinit {
        client.shutdown { _ in }
    }

    /// Sends one request and returns the whole response, whatever its status.
    ///
    /// - Throws: ``APIClientError/transport(_:)`` naming the URL when the node cannot be reached,
    ///   the TLS handshake fails, or the connection breaks before the response is complete.
    func execute(
        method: HTTPMethod, path: String, headers: [(String, String)], body: [UInt8]?
    ) async throws(APIClientError) -> HTTPResponse {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        // AsyncHTTPClient writes Content-Length itself (0 for a POST without a body).
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        await admission.enter()
        let result: Result<HTTPResponse, any Error>
        do {
            let response = try await client.execute(request, timeout: Self.requestTimeout)
            var bytes = try await response.body.collect(upTo: Self.maximumBodyBytes)
            result = .success(
                HTTPResponse(
                    status: Int(response.status.code), headers: response.headers.map { ($0.name, $0.value) },
                    body: bytes.readBytes(length: bytes.readableBytes) ?? []))
        } catch {
            result = .failure(error)
        }
        await admission.leave()
        switch result {
        case .success(let response): return response
        case .failure(let error): throw .transport(Self.explain(error, url: baseURL))
        }
    }

    /// Closes every connection. Waits until they are closed.
    func shutdown() async {
        try? await client.shutdown()
    }

    /// A one-line account of `error` that names `url` and, for a refused certificate, says why.
    static func explain(_ error: any Error, url: String) -> String {
        switch error {
        case let error as NIOSSLExtraError where error == .failedToValidateHostname:
            return "\(url): the node's TLS certificate does not name this host (\(error))"
        case let error as NIOSSLError:
            if case .handshakeFailed(let cause) = error, "\(cause)".contains("CERTIFICATE_VERIFY_FAILED") {
                return "\(url): the node's TLS certificate is not trusted (give the CA that signed it): \(cause)"
            }
            return "\(url): TLS failed: \(error)"
        case let error as HTTPClientError where error == .remoteConnectionClosed:
            // What a node that serves TLS does with a plain HTTP request.
            let hint = url.hasPrefix("http://") ? "; if the node serves HTTPS (api.tls), use an https:// URL" : ""
            return "\(url): the node closed the connection before it answered (\(error))\(hint)"
        case let error as HTTPClientError where error == .connectTimeout:
            return "\(url): no connection within 5 s"
        default:
            return "\(url): \(error)"
        }
    }
}

/// A counting semaphore for async callers, first come first served.
actor RequestAdmission {
    private var available: Int
    private var waiting: [CheckedContinuation<Void, Never>] = []
    private var head = 0

    init(permits: Int) {
        available = permits
    }

    /// Takes a permit, waiting for one to be left when none is free.
    func enter() async {
        if available > 0 {
            available -= 1
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    /// Returns a permit: to the longest waiter, or to the pool.
    func leave() {
        guard head < waiting.count else {
            available += 1
            return
        }
        let next = waiting[head]
        head += 1
        if head == waiting.count {
            waiting.removeAll(keepingCapacity: true)
            head = 0
        }
        next.resume()
    }
}
