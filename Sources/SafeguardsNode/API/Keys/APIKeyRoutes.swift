import Hummingbird
import SafeguardsAPI
import SafeguardsCore
import SafeguardsStore

/// `/v1/api-keys`: create, list, show and revoke scoped keys. Admin-only (``RouteAccess``).
struct APIKeyRoutes: Sendable {
    let keys: APIKeyRing
    let operations: BudgetOperations
    let maxBodyBytes: Int

    func add(to v1: RouterGroup<NodeRequestContext>) {
        v1.post("api-keys") { request, _ in
            let body = try await JSONBody.decode(CreateAPIKeyRequest.self, from: request, limit: maxBodyBytes)
            let now = Timestamp.now()
            let (record, key) = try keys.create(try draft(body, now: now), now: now)
            return JSONBody.response(record.body(key: key), status: .created)
        }
        v1.get("api-keys") { request, _ in
            let page = try PageRequest(request, list: "api-keys")
            let (items, next) = page.page(ascending: keys.all(), key: \.id)
            return JSONBody.response(APIKeyListBody(apiKeys: items.map { $0.body() }, next: next))
        }
        v1.get("api-keys/:id") { _, context in
            JSONBody.response(try keys.key(try context.parameters.require("id")).body())
        }
        v1.delete("api-keys/:id") { _, context in
            JSONBody.response(try keys.revoke(try context.parameters.require("id")).body())
        }
    }

    /// The request checked: a bounded name, a role, a scope of existing agents and pools that
    /// fits the role, and an expiry in the future.
    func draft(_ body: CreateAPIKeyRequest, now: Timestamp) throws(SafeguardsError) -> APIKeyRecord.Draft {
        guard !body.name.isEmpty, body.name.utf8.count <= APIKeyRing.maxNameBytes else {
            throw .invalidRequest("name must be 1 to \(APIKeyRing.maxNameBytes) bytes")
        }
        guard let role = APIKeyRecord.Role(rawValue: body.role) else {
            throw .invalidRequest("role must be admin or agent, not '\(body.role.prefix(32))'")
        }
        let agentTexts = body.agentIDs ?? []
        let poolTexts = body.poolIDs ?? []
        guard agentTexts.count <= APIKeyRing.maxScopeEntries, poolTexts.count <= APIKeyRing.maxScopeEntries else {
            throw .invalidRequest("agent_ids and pool_ids may list at most \(APIKeyRing.maxScopeEntries) ids each")
        }
        var agents: [AgentID] = []
        for text in Set(agentTexts).sorted() {
            agents.append(try BudgetOperations.identifier(AgentID.self, text, field: "agent_ids"))
        }
        var pools: [PoolID] = []
        for text in Set(poolTexts).sorted() {
            pools.append(try BudgetOperations.identifier(PoolID.self, text, field: "pool_ids"))
        }
        switch role {
        case .admin:
            guard agents.isEmpty, pools.isEmpty else {
                throw .invalidRequest("an admin key has no agent_ids or pool_ids: it may do everything")
            }
        case .agent:
            guard !agents.isEmpty || !pools.isEmpty else {
                throw .invalidRequest("an agent key needs agent_ids or pool_ids")
            }
        }
        let (unknownAgent, unknownPool) = operations.writer.view { view in
            (agents.first { view.agents[$0] == nil }, pools.first { view.pools[$0] == nil })
        }
        if let unknownAgent { throw .invalidRequest("agent_ids: agent \(unknownAgent) does not exist") }
        if let unknownPool { throw .invalidRequest("pool_ids: pool \(unknownPool) does not exist") }
        var expiresAt: Timestamp?
        if let text = body.expiresAt {
            guard let time = ISO8601.parse(text) else {
                throw .invalidRequest("expires_at must be an RFC 3339 time, not '\(text.prefix(40))'")
            }
            guard time > now else { throw .invalidRequest("expires_at \(text.prefix(40)) is not in the future") }
            expiresAt = time
        }
        let key = try BudgetOperations.key(body.idempotencyKey)
        return APIKeyRecord.Draft(
            name: body.name, role: role, agentIDs: agents, poolIDs: pools, expiresAt: expiresAt,
            creationKey: key?.rawValue)
    }
}
