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

    private func poolID(_ context: BasicRequestContext) async throws -> PoolID {
        try await operations.pool(try context.parameters.require("id")).pool.id
    }
}
