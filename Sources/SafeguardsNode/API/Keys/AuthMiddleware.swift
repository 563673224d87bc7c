import Foundation
import Hummingbird
import NIOCore
import SafeguardsCore
import SafeguardsStore

/// Who made the request being served: the id of its API key, or `admin-token` for the configured
/// token; nil outside a request (a policy's tick, the sweeper, a peer's message). Set by
/// ``AccessMiddleware`` around the route's handler, read where a change records its actor.
enum APICaller {
    @TaskLocal static var current: String?

    /// The actor a change made while serving a request records.
    static var actor: String { current ?? APIKeyRing.adminTokenActor }
}

extension BudgetWriter {
    /// Submits `command` on behalf of the API caller being served, so the transfers it creates
    /// and the decision it logs name the caller (``BudgetCommand/acting(_:actor:)``); outside a
    /// request, `command` as it is.
    func submitAsCaller(_ command: BudgetCommand) async throws(SafeguardsError) -> BudgetResult {
        guard let actor = APICaller.current else { return try await submit(command) }
        return try await submit(.acting(command, actor: actor))
    }
}

/// Requires `Authorization: Bearer <token or key>` on every request it guards, and lets an agent
/// key through only to the routes ``RouteAccess`` lists, for its own agents (403 `forbidden`
/// otherwise, naming the key's scope).
///
/// The configured token is compared first, as bytes, in constant time: the admin's requests cost
/// what they cost before keys existed. A value that starts with `sgk_` is hashed and looked up.
struct AccessMiddleware<Context: RequestContext>: RouterMiddleware {
    /// The whole header value the configured token gives, `Bearer <token>`, as bytes: compared as
    /// it arrives, with no copy of the header or the token per request.
    private let expected: [UInt8]
    let keys: APIKeyRing
    let operations: BudgetOperations
    let maxBodyBytes: Int

    init(token: String, keys: APIKeyRing, operations: BudgetOperations, maxBodyBytes: Int) {
        expected = Array("Bearer \(token)".utf8)
        self.keys = keys
        self.operations = operations
        self.maxBodyBytes = maxBodyBytes
    }

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        guard let header = request.headers[.authorization] else { throw Self.unauthorized }
        if Self.constantTimeEquals(header, expected) {
            return try await APICaller.$current.withValue(APIKeyRing.adminTokenActor) { try await next(request, context) }
        }
        guard header.hasPrefix("Bearer " + APIKeyRing.prefix),
            let key = try keys.authenticate(header.dropFirst(7), now: Timestamp.now)
        else { throw Self.unauthorized }
        var request = request
        if key.role == .agent {
            try await authorize(key, &request, context: context)
        }
        return try await APICaller.$current.withValue(key.id) { [request] in try await next(request, context) }
    }

    /// Whether `header` carries the configured token or an unexpired, unrevoked admin key.
    func isAdmin(_ header: String?) -> Bool {
        guard let header, case .admin = credential(header) else { return false }
        return true
    }

    /// What a bearer value proves, checked as ``handle(_:context:next:)`` checks it.
    enum Credential: Equatable {
        /// The configured token (actor `admin-token`) or an admin key (its id).
        case admin(actor: String)
        /// An unexpired, unrevoked agent key, by id.
        case agentKey(String)
        /// Neither: wrong, revoked or expired.
        case invalid
    }

    /// What `header` (`Bearer <token or key>`) proves.
    func credential(_ header: String) -> Credential {
        if Self.constantTimeEquals(header, expected) { return .admin(actor: APIKeyRing.adminTokenActor) }
        guard header.hasPrefix("Bearer " + APIKeyRing.prefix),
            let key = try? keys.authenticate(header.dropFirst(7), now: Timestamp.now)
        else { return .invalid }
        return key.role == .admin ? .admin(actor: key.id) : .agentKey(key.id)
    }

    static var unauthorized: SafeguardsError {
        SafeguardsError(.unauthorized, "a valid bearer token is required (Authorization: Bearer <token>)")
    }

    /// Throws `forbidden` unless the route is open to agent keys and names one of `key`'s agents.
    func authorize(_ key: APIKeyRecord, _ request: inout Request, context: Context) async throws {
        let agent: AgentID?
        switch RouteAccess.of(method: request.method, endpoint: context.endpointPath) {
        case .admin:
            agent = nil
        case .agentInPath:
            agent = context.parameters.get("id").flatMap { try? AgentID($0) }
        case .agentInQuery:
            agent = request.uri.queryParameters["agent_id"].flatMap { try? AgentID(String($0)) }
        case .agentInBody:
            let body = try await request.collectBody(upTo: maxBodyBytes)
            agent = (try? JSONDecoder().decode(AgentField.self, from: Data(body.readableBytesView)))?.agentID
                .flatMap { try? AgentID($0) }
        case .transferInPath:
            guard let id = context.parameters.get("id").flatMap({ try? TransferID($0) }) else { return }
            guard let transfer = await transfer(id) else { return }  // answered 404 by the route
            agent = transfer.metadataValue(TransferMetadataKey.agent).flatMap { try? AgentID($0) }
        }
        guard let agent, covers(key, agent: agent) else {
            throw SafeguardsError(
                .forbidden,
                "api key \(key.id) (\(key.scopeDescription)) may not \(request.method.rawValue) \(request.uri.path)")
        }
    }

    /// Whether an agent key acts for `agent`: named, or in one of its pools (as the agent is now).
    func covers(_ key: APIKeyRecord, agent: AgentID) -> Bool {
        if key.agentIDs.contains(agent) { return true }
        guard !key.poolIDs.isEmpty, let pool = operations.writer.view({ $0.agents[agent]?.poolID }) else {
            return false
        }
        return key.poolIDs.contains(pool)
    }

    private func transfer(_ id: TransferID) async -> Transfer? {
        if let live = await operations.writer.read({ $0.ledger.transfer(id) }) { return live }
        return (try? operations.store.transfer(id)) ?? nil
    }

    private struct AgentField: Decodable {
        var agentID: String?
        enum CodingKeys: String, CodingKey { case agentID = "agent_id" }
    }

    /// Whether `header`'s UTF-8 bytes are `expected`, compared without an early exit, so timing
    /// does not reveal how much of a guess was right.
    static func constantTimeEquals(_ header: String, _ expected: [UInt8]) -> Bool {
        var header = header
        return header.withUTF8 { given in
            expected.withUnsafeBufferPointer { expected in
                var difference = UInt(bitPattern: given.count ^ expected.count)
                for index in 0..<max(given.count, expected.count) {
                    let left = index < given.count ? given[index] : 0
                    let right = index < expected.count ? expected[index] : 0
                    difference |= UInt(left ^ right)
                }
                return difference == 0
            }
        }
    }
}
