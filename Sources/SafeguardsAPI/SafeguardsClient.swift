import Foundation
import NIOHTTP1
import NIOSSL
import SafeguardsCore

/// What went wrong calling the node's API.
public enum APIClientError: Error, Sendable, CustomStringConvertible {
    /// The node answered with a problem (`application/problem+json`).
    case problem(ProblemBody)
    /// The node could not be reached, the TLS handshake failed, or the connection broke. The
    /// message names the URL.
    case transport(String)
    /// The node answered something that is not the documented body.
    case unexpectedResponse(status: Int, detail: String)
    /// The client's own TLS files are unusable (``APIClientTLS``); nothing was sent.
    case configuration(String)

    public var description: String {
        switch self {
        case .problem(let problem): return "\(problem.status) \(problem.code): \(problem.detail)"
        case .transport(let message): return "cannot reach the node: \(message)"
        case .unexpectedResponse(let status, let detail): return "unexpected response \(status): \(detail)"
        case .configuration(let message): return "client TLS configuration: \(message)"
        }
    }

    /// The problem's stable code, when the node answered one.
    public var code: String? {
        if case .problem(let problem) = self { return problem.code }
        return nil
    }
}

/// A typed client for the node's HTTP API, over keep-alive connections (AsyncHTTPClient), plain
/// or over TLS. Call ``shutdown()`` when done with it.
public struct SafeguardsClient: Sendable {
    let connection: APIConnection
    public let token: String?

    /// Where the client sends its requests.
    public var endpoint: APIEndpoint { connection.endpoint }

    /// A client of the node at `http://host:port`.
    ///
    /// - Parameters:
    ///   - host, port: where the node's API listens.
    ///   - token: the bearer token (`SAFEGUARDS_API_TOKEN`, or the node's `api-token` file).
    ///   - maximumConnections: concurrent requests beyond this wait for a connection.
    public init(host: String, port: Int, token: String?, maximumConnections: Int = 16) {
        self.connection = APIConnection(
            endpoint: APIEndpoint(host: host, port: port), tls: nil, maximumConnections: maximumConnections)
        self.token = token
    }

    /// A client of the node at `endpoint`, `http` or `https`.
    ///
    /// - Parameters:
    ///   - tls: the CA to verify the node's certificate with and the client's own certificate
    ///     (used for `https` only; the files are read now).
    ///   - maximumConnections: concurrent requests beyond this wait for a connection.
    /// - Throws: ``APIClientError/configuration(_:)`` when a TLS file cannot be used.
    public init(
        endpoint: APIEndpoint, token: String?, tls: APIClientTLS = APIClientTLS(), maximumConnections: Int = 16
    ) throws(APIClientError) {
        var configuration: TLSConfiguration?
        if endpoint.isSecure || !tls.isEmpty { configuration = try tls.configuration() }
        self.connection = APIConnection(
            endpoint: endpoint, tls: configuration, maximumConnections: maximumConnections)
        self.token = token
    }

    /// Closes the client's connections; a request made after it fails.
    public func shutdown() async {
        await connection.shutdown()
    }

    // MARK: Endpoints

    public func health() async throws(APIClientError) -> HealthBody {
        try await call(.GET, "/healthz", authorized: false)
    }

    public func createPool(_ request: CreatePoolRequest) async throws(APIClientError) -> PoolBody {
        try await call(.POST, "/v1/pools", body: request)
    }

    /// Every pool, in name order, following `next` page after page.
    public func pools() async throws(APIClientError) -> PoolListBody {
        try await allPages { page throws(APIClientError) in try await pools(page: page) }
    }

    /// One page of `GET /v1/pools`, in name order.
    public func pools(page: PageQuery) async throws(APIClientError) -> PoolListBody {
        try await call(.GET, Self.path("/v1/pools", query: page.parameters))
    }

    public func pool(_ id: String) async throws(APIClientError) -> PoolBody {
        try await call(.GET, "/v1/pools/\(Self.escape(id))")
    }

    public func registerAgent(_ request: RegisterAgentRequest) async throws(APIClientError) -> AgentBody {
        try await call(.POST, "/v1/agents", body: request)
    }

    /// Every agent (of `pool`), in id order, following `next` page after page.
    public func agents(pool: String? = nil) async throws(APIClientError) -> AgentListBody {
        try await allPages { page throws(APIClientError) in try await agents(pool: pool, page: page) }
    }

    /// One page of `GET /v1/agents`, in id order.
    public func agents(pool: String? = nil, page: PageQuery) async throws(APIClientError) -> AgentListBody {
        try await call(.GET, Self.path("/v1/agents", query: [("pool_id", pool)] + page.parameters))
    }

    public func agent(_ id: String) async throws(APIClientError) -> AgentBody {
        try await call(.GET, "/v1/agents/\(Self.escape(id))")
    }

    public func updateBudget(agent: String, _ request: UpdateBudgetRequest) async throws(APIClientError) -> AgentBody {
        try await call(.PUT, "/v1/agents/\(Self.escape(agent))/budget", body: request)
    }

    public func reserve(agent: String, _ request: ReserveRequest) async throws(APIClientError) -> ReservationBody {
        try await call(.POST, "/v1/agents/\(Self.escape(agent))/reservations", body: request)
    }

    public func settle(reservation: String, amount: Amount) async throws(APIClientError) -> ReservationBody {
        try await call(.POST, "/v1/reservations/\(Self.escape(reservation))/settle", body: SettleRequest(amount: amount))
    }

    public func release(reservation: String) async throws(APIClientError) -> ReservationBody {
        try await call(.POST, "/v1/reservations/\(Self.escape(reservation))/release")
    }

    public func reservation(_ id: String) async throws(APIClientError) -> ReservationBody {
        try await call(.GET, "/v1/reservations/\(Self.escape(id))")
    }

    public func spend(agent: String, _ request: SpendRequest) async throws(APIClientError) -> TransferBody {
        try await call(.POST, "/v1/agents/\(Self.escape(agent))/spend", body: request)
    }

    public func transfer(_ id: String) async throws(APIClientError) -> TransferBody {
        try await call(.GET, "/v1/transfers/\(Self.escape(id))")
    }

    /// Every alert (of `agent`), newest first, following `next` page after page.
    public func alerts(agent: String? = nil) async throws(APIClientError) -> AlertListBody {
        try await allPages { page throws(APIClientError) in try await alerts(agent: agent, page: page) }
    }

    /// One page of `GET /v1/alerts`, newest first.
    public func alerts(agent: String? = nil, page: PageQuery) async throws(APIClientError) -> AlertListBody {
        try await call(.GET, Self.path("/v1/alerts", query: [("agent_id", agent)] + page.parameters))
    }

    /// `GET /v1/ledger/check`; `full` recomputes every balance from the journal (slow on a big one).
    public func ledgerCheck(full: Bool = false) async throws(APIClientError) -> LedgerCheckBody {
        try await call(.GET, full ? "/v1/ledger/check?full=true" : "/v1/ledger/check")
    }

    /// Fetches the Prometheus text of `/metrics`: with the token (`authorized`), the agents' and
    /// pools' budget gauges too.
    public func metrics(authorized: Bool = true) async throws(APIClientError) -> String {
        let response = try await raw(.GET, "/metrics", authorized: authorized)
        return String(decoding: response.body, as: UTF8.self)
    }

    // MARK: Plumbing

    /// Sends a request with an optional JSON body and returns the raw response, whatever its status.
    public func raw(
        _ method: HTTPMethod, _ path: String, body: [UInt8]? = nil, authorized: Bool = true,
        headers extra: [(String, String)] = []
    ) async throws(APIClientError) -> HTTPResponse {
        var headers: [(String, String)] = [("Accept", "application/json")]
        if body != nil { headers.append(("Content-Type", "application/json")) }
        if authorized, let token { headers.append(("Authorization", "Bearer \(token)")) }
        headers.append(contentsOf: extra)
        return try await connection.execute(method: method, path: path, headers: headers, body: body)
    }

    func call<Response: Decodable>(
        _ method: HTTPMethod, _ path: String, authorized: Bool = true
    ) async throws(APIClientError) -> Response {
        try decode(await raw(method, path, authorized: authorized))
    }

    func call<Request: Encodable, Response: Decodable>(
        _ method: HTTPMethod, _ path: String, body: Request
    ) async throws(APIClientError) -> Response {
        let bytes: [UInt8]
        do { bytes = Array(try APICoding.encode(body)) } catch {
            throw .unexpectedResponse(status: 0, detail: "cannot encode the request: \(error)")
        }
        return try decode(await raw(method, path, body: bytes))
    }

    /// The body of a 2xx response decoded, or the problem the node answered, as an error.
    func decode<Response: Decodable>(_ response: HTTPResponse) throws(APIClientError) -> Response {
        let data = Data(response.body)
        guard (200..<300).contains(response.status) else {
            if let problem = try? APICoding.decodeChecked(ProblemBody.self, from: data) {
                throw .problem(problem)
            }
            throw .unexpectedResponse(status: response.status, detail: String(decoding: response.body.prefix(300), as: UTF8.self))
        }
        do {
            return try APICoding.decode(Response.self, from: data)
        } catch {
            throw .unexpectedResponse(status: response.status, detail: "cannot decode \(Response.self): \(error)")
        }
    }

    /// `path` with the query of the parameters that have a value, escaped, in the order given.
    static func path(_ path: String, query parameters: [(String, String?)]) -> String {
        let pairs = parameters.compactMap { name, value in value.map { "\(escape(name))=\(escape($0))" } }
        return pairs.isEmpty ? path : path + "?" + pairs.joined(separator: "&")
    }

    /// Percent-escapes a path segment.
    static func escape(_ segment: String) -> String {
        segment.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~:")))
            ?? segment
    }
}

extension SafeguardsClient {
    public func addPeer(_ request: PeerRequest) async throws(APIClientError) -> PeerBody {
        try await call(.POST, "/v1/peers", body: request)
    }

    /// Every peer, in system id order, following `next` page after page.
    public func peers() async throws(APIClientError) -> PeerListBody {
        try await allPages { page throws(APIClientError) in try await peers(page: page) }
    }

    /// One page of `GET /v1/peers`, in system id order.
    public func peers(page: PageQuery) async throws(APIClientError) -> PeerListBody {
        try await call(.GET, Self.path("/v1/peers", query: page.parameters))
    }

    public func peer(_ id: String) async throws(APIClientError) -> PeerBody {
        try await call(.GET, "/v1/peers/\(Self.escape(id))")
    }

    public func removePeer(_ id: String) async throws(APIClientError) {
        let response = try await raw(.DELETE, "/v1/peers/\(Self.escape(id))")
        guard response.status == 204 else {
            let _: PeerBody = try decode(response)
            return
        }
    }

    public func ping(peer id: String) async throws(APIClientError) -> PingResultBody {
        try await call(.POST, "/v1/peers/\(Self.escape(id))/ping")
    }
}

extension SafeguardsClient {
    public func createFederatedPool(_ request: CreateFederatedPoolRequest) async throws(APIClientError)
        -> FederatedPoolBody
    {
        try await call(.POST, "/v1/federated-pools", body: request)
    }

    public func federatedPool(_ id: String) async throws(APIClientError) -> FederatedPoolBody {
        try await call(.GET, "/v1/federated-pools/\(Self.escape(id))")
    }

    /// Asks a peer for budget; the answer is `accepted`, `rejected`, or `pending` when the giver
    /// did not answer in time (the node keeps asking in the background).
    public func requestRemoteBudget(_ request: RemoteBudgetRequest) async throws(APIClientError)
        -> FederationTransactionBody
    {
        try await call(.POST, "/v1/federation/requests", body: request)
    }

    public func returnRemoteBudget(_ request: RemoteReturnRequest) async throws(APIClientError)
        -> FederationTransactionBody
    {
        try await call(.POST, "/v1/federation/returns", body: request)
    }

    public func federationTransaction(_ id: String) async throws(APIClientError) -> FederationTransactionBody {
        try await call(.GET, "/v1/federation/transactions/\(Self.escape(id))")
    }

    /// Every federation transaction (with `peer`), oldest first, following `next` page after page.
    public func federationTransactions(peer: String? = nil) async throws(APIClientError) -> FederationTransactionList {
        try await allPages { page throws(APIClientError) in try await federationTransactions(peer: peer, page: page) }
    }

    /// One page of `GET /v1/federation/transactions`, oldest first.
    public func federationTransactions(peer: String? = nil, page: PageQuery) async throws(APIClientError)
        -> FederationTransactionList
    {
        try await call(.GET, Self.path("/v1/federation/transactions", query: [("peer", peer)] + page.parameters))
    }

    public func verifyEvidence() async throws(APIClientError) -> EvidenceReport {
        try await call(.POST, "/v1/federation/verify")
    }
}
