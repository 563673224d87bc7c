import Foundation
import NIOHTTP1
import SafeguardsAPI
import SafeguardsCore
import SafeguardsNode
import Testing

/// Every malformed or unauthorised request gets its documented error and changes nothing.
@Suite("Bad input is refused and loses nothing", .timeLimit(.minutes(5)))
struct BadInputTests {
    /// Everything observable about state, to compare before and after a refused request.
    struct Observed: Equatable {
        var agent: AgentBody
        var pools: PoolListBody
        var ledger: LedgerCheckBody
        var alerts: AlertListBody
    }

    static func observe(_ client: SafeguardsClient) async throws -> Observed {
        Observed(
            agent: try await client.agent("a1"), pools: try await client.pools(), ledger: try await client.ledgerCheck(),
            alerts: try await client.alerts())
    }

    static func send(
        _ client: SafeguardsClient, _ method: HTTPMethod, _ path: String, json: String? = nil, authorized: Bool = true,
        headers: [(String, String)] = []
    ) async throws -> (Int, ProblemBody?) {
        let response = try await client.raw(
            method, path, body: json.map { Array($0.utf8) }, authorized: authorized, headers: headers)
        let problem = try? APICoding.decoder().decode(ProblemBody.self, from: Data(response.body))
        if problem != nil { #expect(response.header("Content-Type") == "application/problem+json") }
        return (response.status, problem)
    }

    static let malformedAmounts = [
        #""""#, #""NaN""#, #""nan""#, #""Infinity""#, #""-Infinity""#, #""inf""#, #""1e3""#, #""1E-2""#,
        #""0.0000001""#, #""12.3456789""#, #""1,000""#, #"" 5""#, #""5 ""#, #""0x10""#, #""--1""#, #""1.""#,
        #"".5""#, #""abc""#, #""99999999999999999999""#, #""9223372036855""#, "5", "0.5", "null", "true", "[]", "{}",
    ]

    @Test(arguments: malformedAmounts)
    func malformedAmountsAreRefusedOnEveryAmountField(_ amount: String) async throws {
        try await TestNode.with { client, _ in
            let fixture = try await Fixture.make(client, agents: [("a1", "100")])
            let reservation = try await client.reserve(agent: "a1", ReserveRequest(amount: 1))
            let before = try await Self.observe(client)
            let requests: [(HTTPMethod, String, String)] = [
                (.POST, "/v1/agents/a1/spend", #"{"amount": \#(amount)}"#),
                (.POST, "/v1/agents/a1/reservations", #"{"amount": \#(amount)}"#),
                (.POST, "/v1/reservations/\(reservation.reservationID)/settle", #"{"amount": \#(amount)}"#),
                (.PUT, "/v1/agents/a1/budget", #"{"budget": \#(amount), "reason": "x"}"#),
                (.POST, "/v1/pools", #"{"name": "p2", "initial_budget": \#(amount), "priority": 1}"#),
                (.POST, "/v1/agents",
                    #"{"agent_id": "a9", "pool_id": "\#(fixture.pool.id)", "priority": "LOW", "initial_budget": \#(amount)}"#),
            ]
            for (method, path, json) in requests {
                let (status, problem) = try await Self.send(client, method, path, json: json)
                #expect(status == 400, "\(path) with \(amount)")
                #expect(problem?.code == "invalid_amount" || (amount == "null" && problem?.code == "invalid_request"),
                    "\(path) with \(amount): \(String(describing: problem))")
            }
            #expect(try await Self.observe(client) == before)
        }
    }

    @Test func zeroAndNegativeAmountsAreRefused() async throws {
        try await TestNode.with { client, _ in
            _ = try await Fixture.make(client, agents: [("a1", "100")])
            let reservation = try await client.reserve(agent: "a1", ReserveRequest(amount: 1))
            let before = try await Self.observe(client)
            for amount in ["0", "0.000000", "-1", "-0.000001"] {
                for (method, path) in [
                    (HTTPMethod.POST, "/v1/agents/a1/spend"), (.POST, "/v1/agents/a1/reservations"),
                    (.POST, "/v1/reservations/\(reservation.reservationID)/settle"),
                ] {
                    let (status, problem) = try await Self.send(client, method, path, json: #"{"amount": "\#(amount)"}"#)
                    #expect(status == 400 && problem?.code == "invalid_amount", "\(path) \(amount)")
                }
            }
            for json in [#"{"budget": "-5", "reason": "x"}"#] {
                let (status, problem) = try await Self.send(client, .PUT, "/v1/agents/a1/budget", json: json)
                #expect(status == 400 && problem?.code == "invalid_amount")
            }
            let (status, problem) = try await Self.send(
                client, .POST, "/v1/pools", json: #"{"name": "neg", "initial_budget": "-1", "priority": 1}"#)
            #expect(status == 400 && problem?.code == "invalid_amount")
            #expect(try await Self.observe(client) == before)
        }
    }

    @Test func unknownIdsAreNotFound() async throws {
        try await TestNode.with { client, _ in
            _ = try await Fixture.make(client, agents: [("a1", "100")])
            let before = try await Self.observe(client)
            let requests: [(HTTPMethod, String, String?)] = [
                (.GET, "/v1/pools/pool_nope", nil), (.GET, "/v1/agents/nobody", nil),
                (.GET, "/v1/transfers/nothing", nil), (.GET, "/v1/reservations/nothing", nil),
                (.POST, "/v1/agents/nobody/spend", #"{"amount": "1"}"#),
                (.POST, "/v1/agents/nobody/reservations", #"{"amount": "1"}"#),
                (.PUT, "/v1/agents/nobody/budget", #"{"budget": "1", "reason": "x"}"#),
                (.POST, "/v1/reservations/rsv_nothing/settle", #"{"amount": "1"}"#),
                (.POST, "/v1/reservations/rsv_nothing/release", nil),
                (.GET, "/v1/agents/%2e%2e", nil), (.GET, "/v1/no/such/route", nil),
            ]
            for (method, path, json) in requests {
                let (status, problem) = try await Self.send(client, method, path, json: json)
                #expect(status == 404 && problem?.code == "not_found", "\(method) \(path)")
            }
            // A spend is not a reservation: it cannot be settled or released.
            let spend = try await client.spend(agent: "a1", SpendRequest(amount: 1))
            let (status, problem) = try await Self.send(client, .POST, "/v1/reservations/\(spend.id)/release")
            #expect(status == 404 && problem?.code == "not_found")
            var after = try await Self.observe(client)
            after.agent.budget.available = before.agent.budget.available
            after.agent.budget.spent = before.agent.budget.spent
            #expect(after.agent == before.agent)
        }
    }

    @Test func missingOrWrongTokenIsUnauthorized() async throws {
        try await TestNode.with { client, _ in
            _ = try await Fixture.make(client, agents: [("a1", "100")])
            let before = try await Self.observe(client)
            for headers in [[], [("Authorization", "Bearer wrong")], [("Authorization", "Basic dGVzdA==")],
                [("Authorization", "Bearer \(TestNode.token)x")], [("Authorization", "Bearer")]]
            {
                for (method, path, json) in [
                    (HTTPMethod.GET, "/v1/pools", nil), (.POST, "/v1/agents/a1/spend", #"{"amount": "1"}"#),
                    (.GET, "/v1/ledger/check", nil),
                ] {
                    let (status, problem) = try await Self.send(
                        client, method, path, json: json, authorized: false, headers: headers)
                    #expect(status == 401 && problem?.code == "unauthorized", "\(path) with \(headers)")
                }
            }
            #expect(try await Self.observe(client) == before)
        }
    }

    @Test func oversizedAndMalformedBodiesAreRefused() async throws {
        try await TestNode.with(configure: { $0.api.maxBodyBytes = 4096 }) { client, _ in
            let fixture = try await Fixture.make(client, agents: [("a1", "100")])
            let before = try await Self.observe(client)
            let huge = #"{"amount": "1", "pad": ""# + String(repeating: "x", count: 100_000) + #""}"#
            var (status, problem) = try await Self.send(client, .POST, "/v1/agents/a1/spend", json: huge)
            #expect(status == 413 && problem?.code == "payload_too_large")

            let malformed: [(String, String, String)] = [
                ("/v1/agents/a1/spend", "{", "invalid_request"),
                ("/v1/agents/a1/spend", "", "invalid_request"),
                ("/v1/agents/a1/spend", "[1,2]", "invalid_request"),
                ("/v1/agents/a1/spend", #"{"amt": "1"}"#, "invalid_request"),
                ("/v1/agents/a1/reservations", #"{"amount": "1", "timeout_seconds": 0}"#, "invalid_request"),
                ("/v1/agents/a1/spend", #"{"amount": "1", "idempotency_key": "has space"}"#, "invalid_request"),
                ("/v1/pools", #"{"name": "p", "initial_budget": "1", "priority": 11}"#, "invalid_request"),
                ("/v1/pools", #"{"name": "p", "initial_budget": "1", "priority": 0}"#, "invalid_request"),
                ("/v1/pools", #"{"name": "", "initial_budget": "1", "priority": 1}"#, "invalid_request"),
                ("/v1/agents", #"{"agent_id": "x", "pool_id": "\#(fixture.pool.id)", "priority": "URGENT", "initial_budget": "1"}"#,
                    "invalid_request"),
                ("/v1/agents", #"{"agent_id": "bad id", "pool_id": "\#(fixture.pool.id)", "priority": "LOW", "initial_budget": "1"}"#,
                    "invalid_request"),
            ]
            for (path, json, code) in malformed {
                (status, problem) = try await Self.send(client, .POST, path, json: json)
                #expect(status == 400 && problem?.code == code, "\(path) \(json): \(String(describing: problem))")
            }
            (status, problem) = try await Self.send(client, .PUT, "/v1/agents/a1/budget", json: #"{"budget": "5"}"#)
            #expect(status == 400 && problem?.code == "invalid_request")
            #expect(try await Self.observe(client) == before)
        }
    }

    @Test func reusedIdempotencyKeyWithAnotherBodyIsAConflict() async throws {
        try await TestNode.with { client, _ in
            _ = try await Fixture.make(client, agents: [("a1", "100"), ("a2", "100")])
            _ = try await client.reserve(agent: "a1", ReserveRequest(amount: 5, idempotencyKey: "k1"))
            _ = try await client.updateBudget(agent: "a1", UpdateBudgetRequest(budget: 90, reason: "r", idempotencyKey: "b1"))
            let before = try await Self.observe(client)
            let requests: [(HTTPMethod, String, String)] = [
                (.POST, "/v1/agents/a1/reservations", #"{"amount": "6", "idempotency_key": "k1"}"#),
                (.POST, "/v1/agents/a2/reservations", #"{"amount": "5", "idempotency_key": "k1"}"#),
                (.PUT, "/v1/agents/a1/budget", #"{"budget": "80", "reason": "r", "idempotency_key": "b1"}"#),
            ]
            for (method, path, json) in requests {
                let (status, problem) = try await Self.send(client, method, path, json: json)
                #expect(status == 409 && problem?.code == "conflict", "\(path) \(json)")
            }
            #expect(try await Self.observe(client) == before)
        }
    }
}
