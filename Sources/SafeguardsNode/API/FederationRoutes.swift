import Foundation
import Hummingbird
import SafeguardsAPI
import SafeguardsCore
import SafeguardsFederation
import SafeguardsStore

/// `/v1/federated-pools` and `/v1/federation/...`: federated pools, remote requests and returns,
/// this side's transaction records, and the offline check of stored receipts.
struct FederationRoutes: Sendable {
    let settlement: SettlementService?
    let gossip: GossipService?
    let operations: BudgetOperations
    let maxBodyBytes: Int
    let metadataLimit: MetadataLimit

    func add(to v1: RouterGroup<NodeRequestContext>) {
        v1.post("federated-pools") { request, _ in
            let body = try await JSONBody.decode(CreateFederatedPoolRequest.self, from: request, limit: maxBodyBytes)
            try metadataLimit.check(body.metadata)
            let pool = try await service().createFederatedPool(body, operations: operations)
            return JSONBody.response(pool, status: .created)
        }
        v1.get("federated-pools/:id") { _, context in
            let id: String = try context.parameters.require("id")
            let snapshot = try await operations.pool(id)
            let grants = try await service().grantBodies(snapshot.pool.id)
            return JSONBody.response(FederatedPoolBody(poolID: id, pool: PoolBody(snapshot), grants: grants))
        }
        v1.post("federation/requests") { request, _ in
            let body = try await JSONBody.decode(RemoteBudgetRequest.self, from: request, limit: maxBodyBytes)
            try metadataLimit.check(body.metadata)
            let agent = try BudgetOperations.identifier(AgentID.self, body.agentID, field: "agent_id")
            let peer = try PeerRoutes.systemID(body.remoteSystemID, field: "remote_system_id")
            let key = try BudgetOperations.key(body.idempotencyKey)
            // A closed agent takes no budget, from here or from a peer.
            if let closedAt = operations.writer.view({ $0.agents[agent]?.closedAt }) {
                throw SafeguardsError(.closed, "agent \(agent) was closed at \(closedAt)")
            }
            let started = try await service().start(
                .transfer, agent: agent, peer: peer, amount: body.amount, metadata: body.metadata ?? [:], key: key)
            return Self.response(started)
        }
        v1.post("federation/returns") { request, _ in
            let body = try await JSONBody.decode(RemoteReturnRequest.self, from: request, limit: maxBodyBytes)
            let agent = try BudgetOperations.identifier(AgentID.self, body.agentID, field: "agent_id")
            let peer = try PeerRoutes.systemID(body.remoteSystemID, field: "remote_system_id")
            let key = try BudgetOperations.key(body.idempotencyKey)
            let started = try await service().start(
                .return, agent: agent, peer: peer, amount: body.amount, metadata: [:], key: key)
            return Self.response(started)
        }
        v1.get("federation/transactions") { request, _ in
            let peer = try request.uri.queryParameters["peer"].map { text throws(SafeguardsError) in
                try PeerRoutes.systemID(String(text), field: "peer")
            }
            let page = try PageRequest(request, list: "transactions")
            return JSONBody.response(try await service().transactions(peer: peer, page: page))
        }
        v1.get("federation/transactions/:id") { _, context in
            let text: String = try context.parameters.require("id")
            let id = try BudgetOperations.identifier(TransferID.self, text, field: "transaction id", notFound: true)
            guard let transaction = try await service().transaction(id) else {
                throw SafeguardsError.notFound("transaction \(id) does not exist")
            }
            return JSONBody.response(transaction)
        }
        v1.get("sync/status") { _, _ in
            guard let gossip else { throw PeerRoutes.disabled }
            return JSONBody.response(await gossip.status())
        }
        v1.post("sync") { _, _ in
            guard let gossip else { throw PeerRoutes.disabled }
            return JSONBody.response(await gossip.synchronize())
        }
        v1.post("federation/verify") { _, _ in
            JSONBody.response(try EvidenceCheck.run(store: operations.store))
        }
    }

    /// 202 while the giver has not answered, else 200; a replay of an earlier request (same
    /// idempotency key) says so in `Idempotent-Replayed`, as every other replay does.
    private static func response(_ started: (body: FederationTransactionBody, replayed: Bool)) -> Response {
        let status: HTTPResponse.Status = started.body.status == "pending" ? .accepted : .ok
        var headers = JSONBody.jsonHeaders
        if started.replayed { headers[.idempotentReplayed] = "true" }
        return JSONBody.response(started.body, status: status, headers: headers)
    }

    private func service() throws(SafeguardsError) -> SettlementService {
        guard let settlement else { throw PeerRoutes.disabled }
        return settlement
    }
}
