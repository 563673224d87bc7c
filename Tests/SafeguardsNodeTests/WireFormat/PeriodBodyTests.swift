import Foundation
import SafeguardsAPI
import SafeguardsCore
import Testing

@testable import SafeguardsNode

/// The period fields sit flat in agent and pool bodies, are absent without a period, and read
/// back as written; `budget_period: null` is told apart from an absent one.
@Suite struct PeriodBodyTests {
    static let period = PeriodFields(
        budgetPeriod: "monthly", periodTimezone: "Europe/Berlin", periodStartedAt: "2026-11-30T23:00:00.000Z",
        periodResetsAt: "2026-12-31T23:00:00.000Z")

    static func object(_ body: some Encodable) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: try JSONEncoder().encode(body)) as? [String: Any])
    }

    @Test func poolBodyShowsThePeriodFlatAndReadsItBack() throws {
        let pool = PoolBody(
            id: "pool_1", name: "main", priority: 5, total: 100, available: 40, allocated: 50, spent: 70,
            metadata: [:], createdAt: "2026-12-01T00:00:00.000Z", spentThisPeriod: 10, period: Self.period)
        let json = try Self.object(pool)
        #expect(json["budget_period"] as? String == "monthly")
        #expect(json["period_timezone"] as? String == "Europe/Berlin")
        #expect(json["period_resets_at"] as? String == "2026-12-31T23:00:00.000Z")
        #expect(json["spent_this_period"] as? String == "10.000000")
        #expect(try JSONDecoder().decode(PoolBody.self, from: try JSONEncoder().encode(pool)) == pool)

        var plain = pool
        plain.period = nil
        plain.spentThisPeriod = nil
        let plainJSON = try Self.object(plain)
        #expect(plainJSON["budget_period"] == nil)
        #expect(plainJSON["spent_this_period"] == nil)
        #expect(try JSONDecoder().decode(PoolBody.self, from: try JSONEncoder().encode(plain)) == plain)
    }

    @Test func agentBodyReadsBackWithAndWithoutAPeriod() throws {
        for period in [Self.period, nil] {
            let agent = AgentBody(
                agentID: "a1", poolID: "pool_1", priority: "HIGH",
                budget: AgentBudgetBody(
                    initial: 100, total: 100, available: 70, reserved: 30, spent: 60,
                    spentThisPeriod: period == nil ? nil : 0),
                alertLevel: "normal", createdAt: "2026-12-01T00:00:00.000Z", period: period)
            #expect(try JSONDecoder().decode(AgentBody.self, from: try JSONEncoder().encode(agent)) == agent)
        }
    }

    @Test func nullRemovesAndAbsentKeepsThePeriod() throws {
        func decode(_ text: String) throws -> UpdateBudgetRequest {
            try JSONDecoder().decode(UpdateBudgetRequest.self, from: Data(text.utf8))
        }
        #expect(try decode(#"{"budget":"1","reason":"r"}"#).budgetPeriod == nil)
        #expect(try decode(#"{"budget":"1","reason":"r","budget_period":null}"#).budgetPeriod == "none")
        #expect(try decode(#"{"budget":"1","reason":"r","budget_period":"1d"}"#).budgetPeriod == "1d")
        #expect(
            try JSONDecoder().decode(PeriodRequest.self, from: Data(#"{"budget_period":null}"#.utf8)).budgetPeriod
                == "none")
        #expect(throws: (any Error).self) {
            _ = try JSONDecoder().decode(PeriodRequest.self, from: Data(#"{"period_timezone":"UTC"}"#.utf8))
        }
    }
}
