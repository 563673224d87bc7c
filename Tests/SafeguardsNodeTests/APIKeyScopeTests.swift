import Foundation
import Hummingbird
import NIOHTTP1
import SafeguardsAPI
import SafeguardsCore
import SafeguardsTestKit
import Testing

@testable import SafeguardsNode

/// What an agent key may do, walked over every route of the router: 403 `forbidden` on every
/// route outside its scope and for every agent outside it, never 403 inside.
@Suite("Scope of an agent key", .timeLimit(.minutes(5)))
struct APIKeyScopeTests {
    typealias Fixture = APIKeyTests.Fixture

    /// Every `/v1` route of the router, as `(method, path)` with its parameters written `{name}`.
    static func routes(_ node: BudgetNode) -> [(method: String, path: String)] {
        node.apiRoutes.makeRouter().routes.map { ($0.method.rawValue, $0.path.description) }
            .filter { $0.path.hasPrefix("/v1/") }
    }

    /// The request that route makes for `agent`, whose reservation is `reservation`.
    static func request(
        _ method: String, _ path: String, agent: String, reservation: String
    ) -> (path: String, body: [UInt8]?) {
        let access = RouteAccess.agentRoutes["\(method) \(path)"] ?? .admin
        var concrete = path.replacingOccurrences(of: "{kind}", with: "adaptive_pool_sizing")
        switch access {
        case .transferInPath: concrete = concrete.replacingOccurrences(of: "{id}", with: reservation)
        default: concrete = concrete.replacingOccurrences(of: "{id}", with: agent)
        }
        if access == .agentInQuery { concrete += "?agent_id=\(agent)" }
        let body = #"{"agent_id": "\#(agent)", "remote_system_id": "peer", "amount": "1", "#
            + #""metadata": {"model": "m"}}"#
        return (concrete, method == "GET" || method == "DELETE" ? nil : Array(body.utf8))
    }

    @Test func anAgentKeyIsRefusedEverywhereOutsideItsScopeAndAdmittedInside() async throws {
        try await TestNode.with { (client, node) async throws in
            _ = try await Fixture.make(client)
            let mine = try await client.reserve(agent: "coder", ReserveRequest(amount: 1, idempotencyKey: "mine"))
            let theirs = try await client.reserve(
                agent: "stranger", ReserveRequest(amount: 1, idempotencyKey: "theirs"))
            let created = try await APIKeyTests.agentKey(client)
            let agent = APIKeyTests.client(client, key: try #require(created.key))
            let routes = Self.routes(node)
            #expect(routes.count > 40, "the router lists its routes")
            var admitted = 0
            for (method, path) in routes {
                let inScope = RouteAccess.agentRoutes["\(method) \(path)"] != nil
                let methodValue = HTTPMethod(rawValue: method)
                // Outside the key's agents: always refused.
                let foreign = Self.request(method, path, agent: "stranger", reservation: theirs.reservationID)
                let refused = try await agent.raw(methodValue, foreign.path, body: foreign.body)
                let text = String(decoding: refused.body, as: UTF8.self)
                #expect(refused.status == 403, "\(method) \(foreign.path): \(refused.status) \(text)")
                #expect(text.contains("\"forbidden\"") && text.contains(created.id) && text.contains("agent: coder"))
                // Its own agent: admitted exactly on the routes the table opens to agent keys.
                let own = Self.request(method, path, agent: "coder", reservation: mine.reservationID)
                let answer = try await agent.raw(methodValue, own.path, body: own.body)
                let answerText = String(decoding: answer.body, as: UTF8.self)
                if inScope {
                    admitted += 1
                    #expect(answer.status != 403 && answer.status != 401, "\(method) \(own.path): \(answerText)")
                } else {
                    #expect(answer.status == 403, "\(method) \(own.path): \(answer.status) \(answerText)")
                }
            }
            #expect(admitted == RouteAccess.agentRoutes.count, "every route the table opens exists in the router")
            await agent.shutdown()
        }
    }

    @Test func aPoolKeyCoversAgentsRegisteredLaterAndChecksTheReservationsAgent() async throws {
        try await TestNode.with { (client, _) async throws in
            let fixture = try await Fixture.make(client)
            let created = try await APIKeyTests.agentKey(client, agents: nil, pools: [fixture.research])
            let agent = APIKeyTests.client(client, key: try #require(created.key))
            _ = try await client.registerAgent(
                RegisterAgentRequest(agentID: "late", poolID: fixture.research, priority: "LOW", initialBudget: 10))
            let reservation = try await agent.reserve(agent: "late", ReserveRequest(amount: 2))
            #expect(try await agent.settle(reservation: reservation.reservationID, amount: 1).state == "posted")

            let foreign = try await client.reserve(agent: "stranger", ReserveRequest(amount: 2))
            await #expect {
                try await agent.settle(reservation: foreign.reservationID, amount: 1)
            } throws: { ($0 as? APIClientError)?.code == "forbidden" }
            await #expect { try await agent.release(reservation: foreign.reservationID) } throws: {
                ($0 as? APIClientError)?.code == "forbidden"
            }
            #expect(try await client.reservation(foreign.reservationID).state == "pending", "a refusal changes nothing")
            await #expect { try await agent.transfers(TransferQuery()) } throws: {
                ($0 as? APIClientError)?.code == "forbidden"
            }
            #expect(try await agent.transfers(TransferQuery(agentID: "late")).transfers.count >= 2)
            await agent.shutdown()
        }
    }

    @Test func everyOpenRouteIsARealRouteAndAnAdminKeyMayDoEverything() async throws {
        try await TestNode.with { (client, node) async throws in
            _ = try await Fixture.make(client)
            let routed = Set(Self.routes(node).map { "\($0.method) \($0.path)" })
            let unknown = Set(RouteAccess.agentRoutes.keys).subtracting(routed)
            #expect(unknown.isEmpty, "the access table names routes the router does not serve: \(unknown)")
            let created = try await client.createAPIKey(CreateAPIKeyRequest(name: "ops", role: "admin"))
            let admin = APIKeyTests.client(client, key: try #require(created.key))
            let pool = try await admin.createPool(
                CreatePoolRequest(name: "by-admin-key", initialBudget: 5, priority: 3))
            #expect(pool.name == "by-admin-key")
            #expect(try await admin.apiKeys().apiKeys.count == 1)
            await admin.shutdown()
        }
    }
}
