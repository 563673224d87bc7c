import Foundation
import GRDB
import NIOHTTP1
import SafeguardsAPI
import SafeguardsCore
import SafeguardsNode
import Testing

/// Input at the edges of what the node can hold: totals past an amount's range, JSON with a key
/// twice, and a storage failure, each answered with a clear error that loses nothing.
@Suite("Input at the edges is refused or summed exactly", .timeLimit(.minutes(5)))
struct EdgeInputTests {
    @Test func twoMaximalBenefitsLeaveEffectivenessAnswering() async throws {
        try await TestNode.with { client, _ in
            _ = try await Fixture.make(client, agents: [("a1", "100")])
            let report = #"{"agent_id": "a1", "benefit": "9223372036854.775807"}"#
            var (status, problem) = try await BadInputTests.send(client, .POST, "/v1/cost-benefit/benefits", json: report)
            #expect(status == 201, "\(String(describing: problem))")
            // The second would make a total no amount can hold: refused at the door, nothing stored.
            (status, problem) = try await BadInputTests.send(client, .POST, "/v1/cost-benefit/benefits", json: report)
            #expect(status == 400 && problem?.code == "invalid_amount", "\(String(describing: problem))")
            let raw = try await client.raw(.GET, "/v1/cost-benefit/effectiveness")
            #expect(raw.status == 200, "\(String(decoding: raw.body, as: UTF8.self))")
            let effectiveness = try await client.effectiveness()
            #expect(effectiveness.agents["a1"]?.benefit == .max)
            // A smaller benefit for another agent is still taken.
            _ = try await client.registerAgent(
                RegisterAgentRequest(agentID: "a2", poolID: try await client.pools().pools[0].id, priority: "LOW", initialBudget: 1))
            (status, _) = try await BadInputTests.send(
                client, .POST, "/v1/cost-benefit/benefits", json: #"{"agent_id": "a2", "benefit": "5"}"#)
            #expect(status == 201)
            #expect(try await client.ledgerCheck().balanced)
        }
    }

    @Test func budgetsTheBooksCannotHoldAreRefusedAtTheDoor() async throws {
        try await TestNode.with { client, _ in
            let big = try await client.createPool(CreatePoolRequest(name: "big-1", initialBudget: .max, priority: 5))
            // The funding account would owe more than an amount can say.
            let (status, problem) = try await BadInputTests.send(
                client, .POST, "/v1/pools", json: #"{"name": "big-2", "initial_budget": "9223372036854.775807", "priority": 5}"#)
            #expect(status == 400 && problem?.code == "invalid_amount", "\(String(describing: problem))")
            _ = try await client.registerAgent(
                RegisterAgentRequest(agentID: "a1", poolID: big.id, priority: "HIGH", initialBudget: .max))
            let pools = try await client.pools().pools
            #expect(pools.map(\.name) == ["big-1"])
            #expect(pools.first?.total == .max && pools.first?.allocated == .max)
            #expect(try await client.ledgerCheck().balanced)
        }
    }

    @Test func aDuplicateKeyIsRefusedAndNamed() async throws {
        try await TestNode.with { client, _ in
            _ = try await Fixture.make(client, agents: [("a1", "100")])
            let before = try await BadInputTests.observe(client)
            let bodies: [(String, String)] = [
                ("/v1/agents/a1/spend", #"{"amount":"1","amount":"1000"}"#),
                ("/v1/agents/a1/spend", #"{"amount":"1","\u0061mount":"1000"}"#),
                ("/v1/agents/a1/reservations", #"{"amount":"1","metadata":{"k":"a","k":"b"}}"#),
                ("/v1/cost-benefit/benefits", #"{"agent_id":"a1","benefit":"1","benefit":"2"}"#),
            ]
            for (path, json) in bodies {
                let (status, problem) = try await BadInputTests.send(client, .POST, path, json: json)
                #expect(status == 400 && problem?.code == "invalid_request", "\(path) \(json): \(String(describing: problem))")
                #expect(problem?.detail.contains("duplicate key") == true, "\(String(describing: problem))")
            }
            let (status, problem) = try await BadInputTests.send(
                client, .PUT, "/v1/pools/\(before.pools.pools[0].id)/policies/adaptive_sizing",
                json: #"{"max_pool_budget":"1","max_pool_budget":"2"}"#)
            #expect(status == 400 && problem?.detail.contains("duplicate key 'max_pool_budget'") == true)
            #expect(try await BadInputTests.observe(client) == before)
            #expect(try await client.ledgerCheck().balanced)
        }
    }

    @Test func aStorageFailureAnswersWithoutSQL() async throws {
        try await TestNode.with { client, node in
            _ = try await Fixture.make(client, agents: [("a1", "100")])
            // Another connection takes the table away under the running node.
            let database = try DatabaseQueue(path: node.config.databasePath)
            try await database.write { db in try db.execute(sql: "DROP TABLE benefit_reports") }
            try database.close()
            for (method, path, json) in [
                (HTTPMethod.GET, "/v1/cost-benefit/effectiveness", nil as String?),
                (.POST, "/v1/cost-benefit/benefits", #"{"agent_id": "a1", "benefit": "1"}"#),
            ] {
                let response = try await client.raw(method, path, body: json.map { Array($0.utf8) })
                let text = String(decoding: response.body, as: UTF8.self)
                #expect(response.status == 503, "\(text)")
                for keyword in ["SELECT", "INSERT", "UPDATE", "benefit_reports", "FROM"] {
                    #expect(!text.localizedCaseInsensitiveContains(keyword), "\(text)")
                }
                #expect(text.contains("SQLite result code"), "\(text)")
            }
            #expect(try await client.ledgerCheck().balanced)
        }
    }
}
