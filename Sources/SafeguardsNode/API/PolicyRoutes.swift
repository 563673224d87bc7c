import Foundation
import Hummingbird
import SafeguardsAPI
import SafeguardsCore
import SafeguardsPolicies
import SafeguardsStore

/// Dynamic allocation: pool policies, freezes, agent rate limits and the decision log.
struct PolicyRoutes: Sendable {
    let policies: PolicyService
    let rateLimits: AgentRateLimits
    let operations: BudgetOperations
    let maxBodyBytes: Int

    func add(to v1: RouterGroup<BasicRequestContext>) {
        v1.put("pools/:id/policies/:kind") { request, context in
            let pool = try await poolID(context)
            let kind: String = try context.parameters.require("kind")
            var request = request
            let buffer = try await request.collectBody(upTo: maxBodyBytes)
            guard buffer.readableBytes > 0 else { throw SafeguardsError.invalidRequest("the request needs a JSON body") }
            return JSONBody.response(try await policies.setPolicy(kind: kind, json: Data(buffer.readableBytesView), pool: pool))
        }
        v1.get("pools/:id/policies") { _, context in
            JSONBody.response(try await policies.policiesBody(try await poolID(context)))
        }
        v1.post("pools/:id/policies/apply") { _, context in
            JSONBody.response(try await policies.apply(try await poolID(context)))
        }
        v1.post("pools/:id/freeze") { _, context in
            JSONBody.response(try await policies.setFrozen(try await poolID(context), true))
        }
        v1.post("pools/:id/unfreeze") { _, context in
            JSONBody.response(try await policies.setFrozen(try await poolID(context), false))
        }
        v1.post("agents/:id/rate-limit") { request, context in
            let body = try await JSONBody.decode(RateLimitBody.self, from: request, limit: maxBodyBytes)
            let agent = try BudgetOperations.agentID(try context.parameters.require("id"))
            _ = try await operations.agent(agent.rawValue)
            guard body.maxBudget.isPositive else { throw SafeguardsError.invalidAmount("max_budget must be positive") }
            guard (1...31_536_000).contains(body.timeWindowSeconds) else {
                throw SafeguardsError.invalidRequest("time_window_seconds must be between 1 and 31536000 (a year)")
            }
            try await rateLimits.set(agent, RateLimit(maxBudget: body.maxBudget, window: .seconds(body.timeWindowSeconds)))
            return JSONBody.response(body)
        }
        v1.post("agents/:id/resources") { request, context in
            let body = try await JSONBody.decode(ResourceBudgetsRequest.self, from: request, limit: maxBodyBytes)
            let agent = try BudgetOperations.agentID(try context.parameters.require("id"))
            let transferID = try BudgetOperations.transferID(prefix: "resb", key: body.idempotencyKey)
            _ = try await operations.writer.submit(.setResourceBudgets(agent, budgets: body.budgets, transferID: transferID))
            return JSONBody.response(await resources(agent))
        }
        v1.get("agents/:id/resources") { _, context in
            let agent = try BudgetOperations.agentID(try context.parameters.require("id"))
            _ = try await operations.agent(agent.rawValue)
            return JSONBody.response(await resources(agent))
        }
        v1.post("agents/:id/resources/reserve") { request, context in
            let body = try await JSONBody.decode(ResourceReserveRequest.self, from: request, limit: maxBodyBytes)
            let agent = try BudgetOperations.agentID(try context.parameters.require("id"))
            let reservationID = try BudgetOperations.transferID(prefix: "rres", key: body.idempotencyKey)
            var timeout: Duration? = operations.defaultReservationTimeout
            if let seconds = body.timeoutSeconds {
                guard (1...2_592_000).contains(seconds) else {
                    throw SafeguardsError.invalidRequest("timeout_seconds must be between 1 and 2592000 (30 days)")
                }
                timeout = .seconds(seconds)
            }
            let result = try await operations.writer.submit(
                .reserveResources(agent, amounts: body.amounts, reservationID: reservationID, timeout: timeout))
            guard case .resources(let transfers, let replayed) = result else { throw BudgetOperations.unexpected(result) }
            return APIRoutes.created(Self.reservation(reservationID, agent: agent, transfers), replayed: replayed)
        }
        v1.post("resource-reservations/:id/settle") { request, context in
            let body = try await JSONBody.decode(ResourceSettleRequest.self, from: request, limit: maxBodyBytes)
            return try await resolve(context, used: body.used)
        }
        v1.post("resource-reservations/:id/release") { _, context in
            try await resolve(context, used: nil)
        }
        v1.get("decisions") { request, _ in
            let pool = request.uri.queryParameters["pool_id"].map { PoolID(unchecked: String($0)) }
            let decisions: [DecisionRecord]
            do { decisions = try operations.store.decisions(pool: pool) } catch {
                throw SafeguardsError(.unavailable, "cannot read the decision log: \(error)")
            }
            return JSONBody.response(
                DecisionListBody(
                    decisions: decisions.map { decision in
                        DecisionBody(
                            policy: decision.policy, poolID: decision.poolID?.rawValue, agentID: decision.agentID?.rawValue,
                            oldValue: decision.oldValue, newValue: decision.newValue, reason: decision.reason,
                            inputs: decision.inputs, transferID: decision.transferID?.rawValue, at: decision.at.description)
                    }))
        }
    }

    private func resolve(_ context: BasicRequestContext, used: [String: Amount]?) async throws -> Response {
        let id = try BudgetOperations.identifier(
            TransferID.self, try context.parameters.require("id"), field: "reservation id", notFound: true)
        let result = try await operations.writer.submit(.resolveResources(reservationID: id, used: used))
        guard case .resources(let transfers, _) = result, let first = transfers.first,
            let agent = first.metadata[TransferMetadataKey.agent]
        else { throw BudgetOperations.unexpected(result) }
        return JSONBody.response(Self.reservation(id, agent: AgentID(unchecked: agent), transfers))
    }

    private func resources(_ agent: AgentID) async -> ResourcesBody {
        let budgets = await operations.writer.read { $0.resourceBudgets(of: agent) }
        return ResourcesBody(
            agentID: agent.rawValue,
            budgets: budgets.mapValues { ResourcesBody.Budget(total: $0.total, available: $0.available, reserved: $0.reserved) })
    }

    static func reservation(_ id: TransferID, agent: AgentID, _ transfers: [Transfer]) -> ResourceReservationBody {
        var amounts: [String: Amount] = [:]
        var states: [String: String] = [:]
        for transfer in transfers {
            guard let type = transfer.metadata[TransferMetadataKey.resource] else { continue }
            amounts[type] = transfer.amount
            states[type] = transfer.state.rawValue
        }
        return ResourceReservationBody(reservationID: id.rawValue, agentID: agent.rawValue, amounts: amounts, states: states)
    }

    private func poolID(_ context: BasicRequestContext) async throws -> PoolID {
        try await operations.pool(try context.parameters.require("id")).pool.id
    }
}
