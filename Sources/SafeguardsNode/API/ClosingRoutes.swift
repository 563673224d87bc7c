import Hummingbird
import SafeguardsAPI
import SafeguardsCore

/// `POST /v1/pools/{id}/top-up|withdraw|close` and `POST /v1/agents/{id}/close`: an operator's
/// changes to a pool's funding, and closing (admin only: none is in ``RouteAccess/agentRoutes``).
extension APIRoutes {
    func addFundingAndClosing(_ v1: RouterGroup<NodeRequestContext>) {
        v1.post("pools/:id/top-up") { request, context in
            let body = try await JSONBody.decode(PoolFundsRequest.self, from: request, limit: maxBodyBytes)
            let (pool, transfer, replayed) = try await operations.topUpPool(try context.parameters.require("id"), body)
            return Self.ok(PoolFundsBody(pool: PoolBody(pool), transfer: TransferBody(transfer)), replayed: replayed)
        }
        v1.post("pools/:id/withdraw") { request, context in
            let body = try await JSONBody.decode(PoolFundsRequest.self, from: request, limit: maxBodyBytes)
            let (pool, transfer, replayed) = try await operations.withdrawFromPool(
                try context.parameters.require("id"), body)
            return Self.ok(PoolFundsBody(pool: PoolBody(pool), transfer: TransferBody(transfer)), replayed: replayed)
        }
        v1.post("pools/:id/close") { request, context in
            let body = try await JSONBody.decode(CloseRequest.self, from: request, limit: maxBodyBytes)
            let (pool, agentsClosed, transfer, replayed) = try await operations.closePool(
                try context.parameters.require("id"), body)
            return Self.ok(
                PoolClosedBody(
                    pool: PoolBody(pool), agentsClosed: agentsClosed, transfer: transfer.map(TransferBody.init)),
                replayed: replayed)
        }
        v1.post("agents/:id/close") { request, context in
            let body = try await JSONBody.decode(CloseRequest.self, from: request, limit: maxBodyBytes)
            let (agent, transfers, replayed) = try await operations.closeAgent(
                try context.parameters.require("id"), body)
            return Self.ok(
                AgentClosedBody(agent: AgentBody(agent), transfers: transfers.map(TransferBody.init)),
                replayed: replayed)
        }
    }

    /// 200 with the body; a replay of an earlier request says so in `Idempotent-Replayed`.
    static func ok<T: Encodable>(_ body: T, replayed: Bool) -> Response {
        var response = created(body, replayed: replayed)
        response.status = .ok
        return response
    }
}
