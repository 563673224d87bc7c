import Foundation
import NIOHTTP1
import SafeguardsAPI
import SafeguardsCore
import SafeguardsNode
import SafeguardsTestKit
import Testing

@Suite("Dynamic allocation through the API", .timeLimit(.minutes(5)))
struct PolicyAPITests {
    /// A node whose policies tick only when asked (`apply`), with no cool-down.
    static func with(_ body: @Sendable (SafeguardsClient) async throws -> Void) async throws {
        try await TestNode.with(configure: { config in
            config.policies.tick = .seconds(3600)
            config.policies.coolDown = .zero
        }) { client, _ in try await body(client) }
    }

    static func code(_ error: any Error) -> String? { (error as? APIClientError)?.code }

    @Test func overTheRateLimitReserveAndSpendAnswer429WithRetryAfter() async throws {
        try await Self.with { client in
            _ = try await Fixture.make(client, agents: [("a1", "500")])
            _ = try await client.setRateLimit(agent: "a1", RateLimitBody(maxBudget: 100, timeWindowSeconds: 3600))
            _ = try await client.spend(agent: "a1", SpendRequest(amount: 60, idempotencyKey: "first"))
            // A replay of the same key is not counted twice.
            _ = try await client.spend(agent: "a1", SpendRequest(amount: 60, idempotencyKey: "first"))
            _ = try await client.reserve(agent: "a1", ReserveRequest(amount: 40))
            let body = try APICoding.encoder().encode(SpendRequest(amount: 1))
            let response = try await client.raw(.POST, "/v1/agents/a1/spend", body: Array(body))
            #expect(response.status == 429)
            let retryAfter = try #require(response.header("Retry-After").flatMap(Int.init))
            #expect(retryAfter > 3500 && retryAfter <= 3600)
            let problem = try APICoding.decoder().decode(ProblemBody.self, from: Data(response.body))
            #expect(problem.code == "rate_limited")
            #expect(problem.retryAfterSeconds == retryAfter)
            do {
                _ = try await client.reserve(agent: "a1", ReserveRequest(amount: 1))
                Issue.record("a reservation over the rate limit was accepted")
            } catch {
                #expect(Self.code(error) == "rate_limited")
            }
            #expect(try await client.agent("a1").budget.spent == 60)
        }
    }

    @Test func adaptiveSizingGrowsABusyPoolAndLogsTheDecision() async throws {
        try await Self.with { client in
            let fixture = try await Fixture.make(client, poolBudget: "1000", agents: [("a1", "300"), ("a2", "300"), ("a3", "300")])
            for agent in ["a1", "a2", "a3"] { _ = try await client.spend(agent: agent, SpendRequest(amount: 280)) }
            let policies = try await client.setAdaptiveSizing(
                pool: fixture.pool.id,
                AdaptiveSizingBody(
                    adjustmentIntervalSeconds: 3600, minPoolBudget: 100, maxPoolBudget: 10_000, utilizationTarget: "0.7",
                    growthRate: "0.2", shrinkRate: "0.1", minAgentsForAdjustment: 3))
            #expect(policies.adaptiveSizing?.growthRate == "0.2")
            _ = try await client.applyPolicies(pool: fixture.pool.id)
            #expect(try await client.pool(fixture.pool.id).total == 1200)
            let decision = try #require(try await client.decisions(pool: fixture.pool.id).decisions.first)
            #expect(decision.policy == "adaptive_sizing")
            #expect(decision.oldValue == 1000)
            #expect(decision.newValue == 1200)
            #expect(decision.reason.contains("above target"))
            #expect(decision.inputs["utilization"] == "0.84")
            let transfer = try await client.transfer(try #require(decision.transferID))
            #expect(transfer.reason.contains("adaptive_sizing"))
            #expect(try await client.ledgerCheck().balanced)
        }
    }

    /// The original documentation's four profiles, sent as a user writes them, are accepted; the
    /// pool takes the budget of whichever applies now.
    @Test func theDocumentsFourProfileScheduleIsAcceptedThroughTheAPI() async throws {
        try await Self.with { client in
            let fixture = try await Fixture.make(client, poolBudget: "1000", agents: [("a1", "100")])
            let documented = #"""
                {"time_zone": "America/Los_Angeles", "profiles": {
                  "business_hours": {"budget": "5000.0", "start_time": "09:00", "end_time": "17:00", "days": [0, 1, 2, 3, 4]},
                  "evening_hours": {"budget": "2000.0", "start_time": "17:00", "end_time": "22:00", "days": [0, 1, 2, 3, 4]},
                  "night_hours": {"budget": "500.0", "start_time": "22:00", "end_time": "09:00", "days": [0, 1, 2, 3, 4]},
                  "weekend": {"budget": "1000.0", "start_time": "00:00", "end_time": "23:59", "days": [5, 6]}}}
                """#
            let response = try await client.raw(
                .PUT, "/v1/pools/\(fixture.pool.id)/policies/time_profiles", body: Array(documented.utf8))
            #expect(response.status == 200, "\(String(decoding: response.body, as: UTF8.self))")
            let policies = try await client.policies(pool: fixture.pool.id)
            #expect(policies.timeProfiles?.profiles.keys.sorted() == ["business_hours", "evening_hours", "night_hours", "weekend"])
            // The four profiles cover the whole week: one is always in force.
            let before = try #require(policies.activeProfile)
            _ = try await client.applyPolicies(pool: fixture.pool.id)
            let after = try #require(try await client.policies(pool: fixture.pool.id).activeProfile)
            // Read before and after the apply, so a switch in between cannot fail the test.
            let budgets = [before, after].compactMap { policies.timeProfiles?.profiles[$0]?.budget }
            #expect(budgets.contains(try await client.pool(fixture.pool.id).total))
            #expect(try await client.ledgerCheck().balanced)
        }
    }

    @Test func aFrozenPoolIsNotChangedByAnyPolicy() async throws {
        try await Self.with { client in
            let fixture = try await Fixture.make(client, poolBudget: "1000", agents: [("a1", "100")])
            _ = try await client.setTimeProfiles(
                pool: fixture.pool.id,
                TimeProfilesBody(
                    timeZone: "UTC", profiles: ["always": .init(budget: 2500, startTime: "00:00", endTime: "24:00", days: Array(0...6))]))
            let frozen = try await client.freeze(pool: fixture.pool.id)
            #expect(frozen.frozen)
            #expect(frozen.activeProfile == "always")
            _ = try await client.applyPolicies(pool: fixture.pool.id)
            #expect(try await client.pool(fixture.pool.id).total == 1000)
            // The freeze itself is the only decision: no policy changed the pool.
            #expect(try await client.decisions(pool: fixture.pool.id).decisions.map(\.policy) == ["override.freeze"])
            // A person unfreezes it: the profile in force applies.
            _ = try await client.unfreeze(pool: fixture.pool.id)
            _ = try await client.applyPolicies(pool: fixture.pool.id)
            #expect(try await client.pool(fixture.pool.id).total == 2500)
            #expect(try await client.decisions(pool: fixture.pool.id).decisions.first?.policy == "time_profiles")
        }
    }

    @Test func anEmergencyTopUpAndARefusedChangeThatFallsBack() async throws {
        try await Self.with { client in
            let fixture = try await Fixture.make(client, poolBudget: "1000", agents: [("a1", "100"), ("a2", "100")])
            _ = try await client.spend(agent: "a1", SpendRequest(amount: 98))
            _ = try await client.setPriorityReallocation(
                pool: fixture.pool.id,
                PriorityReallocationBody(
                    reallocationIntervalSeconds: 3600, emergencyThreshold: 5, minBudgetPercentage: "0.1",
                    reservePercentage: "0.2", priorityWeights: ["HIGH": "2"]))
            _ = try await client.applyPolicies(pool: fixture.pool.id)
            #expect(try await client.agent("a1").budget.available >= 5)
            let decisions = try await client.decisions(pool: fixture.pool.id).decisions
            #expect(decisions.contains { $0.policy == "priority_reallocation.emergency" && $0.agentID == "a1" })
            #expect(try await client.ledgerCheck().balanced)

            // A profile asking for less than the agents hold cannot be met: the pool keeps its
            // budget and the fallback is logged.
            let other = try await Fixture.make(client, poolBudget: "500", agents: [("b1", "400")])
            _ = try await client.spend(agent: "b1", SpendRequest(amount: 10))
            _ = try await client.setTimeProfiles(
                pool: other.pool.id,
                TimeProfilesBody(timeZone: "UTC", profiles: ["tiny": .init(budget: 50, startTime: "00:00", endTime: "24:00", days: Array(0...6))]))
            _ = try await client.applyPolicies(pool: other.pool.id)
            #expect(try await client.pool(other.pool.id).total == 500)
            let fallback = try #require(try await client.decisions(pool: other.pool.id).decisions.first)
            #expect(fallback.reason.hasPrefix("fallback to the static budget"))
            #expect(fallback.newValue == fallback.oldValue)
        }
    }

    @Test func aRepeatedRefusalIsLoggedOnceAndCountedUntilSomethingChanges() async throws {
        try await Self.with { client in
            let fixture = try await Fixture.make(client, poolBudget: "500", agents: [("b1", "400")])
            _ = try await client.spend(agent: "b1", SpendRequest(amount: 10))
            func profile(_ budget: Amount) -> TimeProfilesBody {
                TimeProfilesBody(
                    timeZone: "UTC",
                    profiles: ["tiny": .init(budget: budget, startTime: "00:00", endTime: "24:00", days: Array(0...6))])
            }
            _ = try await client.setTimeProfiles(pool: fixture.pool.id, profile(50))
            for _ in 0..<6 { _ = try await client.applyPolicies(pool: fixture.pool.id) }
            let refused = try await client.decisions(pool: fixture.pool.id).decisions
            #expect(refused.count == 1, "six refusals of the same change, one row: \(refused.map(\.reason))")
            #expect(refused.first?.reason.hasPrefix("fallback to the static budget") == true)

            // The profile changes to one that can be met: the change goes through, and one row
            // says how often the refusal was repeated before.
            _ = try await client.setTimeProfiles(pool: fixture.pool.id, profile(450))
            _ = try await client.applyPolicies(pool: fixture.pool.id)
            #expect(try await client.pool(fixture.pool.id).total == 450)
            let log = try await client.decisions(pool: fixture.pool.id).decisions
            #expect(log.count == 3)
            let summary = try #require(log.first { $0.inputs["repeats"] != nil })
            #expect(summary.inputs["repeats"] == "5")
            #expect(summary.reason.hasPrefix("the same refusal repeated 5 more times"))
            #expect(log.contains { $0.policy == "time_profiles" && $0.newValue == 450 && $0.inputs["repeats"] == nil })
            #expect(try await client.ledgerCheck().balanced)
        }
    }

    @Test func badPoliciesAreRefusedWithTheReason() async throws {
        try await Self.with { client in
            let fixture = try await Fixture.make(client)
            let overlapping = TimeProfilesBody(
                timeZone: "UTC",
                profiles: [
                    "a": .init(budget: 1, startTime: "08:00", endTime: "12:00", days: [0]),
                    "b": .init(budget: 2, startTime: "11:00", endTime: "13:00", days: [0]),
                ])
            for call in [
                { () async throws -> Void in _ = try await client.setTimeProfiles(pool: fixture.pool.id, overlapping) },
                {
                    _ = try await client.setAdaptiveSizing(
                        pool: fixture.pool.id,
                        AdaptiveSizingBody(
                            adjustmentIntervalSeconds: 60, minPoolBudget: 500, maxPoolBudget: 100, utilizationTarget: "0.7",
                            growthRate: "0.2", shrinkRate: "0.1", minAgentsForAdjustment: 1))
                },
                { _ = try await client.setRateLimit(agent: "a1", RateLimitBody(maxBudget: 0, timeWindowSeconds: 60)) },
            ] {
                do {
                    try await call()
                    Issue.record("a bad policy was accepted")
                } catch {
                    #expect(["invalid_request", "invalid_amount"].contains(Self.code(error) ?? ""))
                }
            }
            let response = try await client.raw(.PUT, "/v1/pools/\(fixture.pool.id)/policies/teleport", body: Array("{}".utf8))
            #expect(response.status == 404)
            #expect(try await client.policies(pool: fixture.pool.id).timeProfiles == nil)
        }
    }
}

@Suite("Multi-resource budgets", .timeLimit(.minutes(5)))
struct ResourceBudgetTests {
    @Test func concurrentMultiResourceReservationsAreAllOrNothing() async throws {
        try await TestNode.with { client, _ in
            _ = try await Fixture.make(client, agents: [("a1", "10")])
            let set = try await client.setResources(
                agent: "a1", ResourceBudgetsRequest(budgets: ["api_calls": 100, "compute_seconds": 50, "storage_gb": 10]))
            #expect(set.budgets["api_calls"] == .init(total: 100, available: 100, reserved: 0))
            // 40 requests of 5 api_calls and 3 compute_seconds: compute runs out after 16.
            let outcomes = try await withThrowingTaskGroup(of: String.self) { group in
                for index in 0..<40 {
                    group.addTask {
                        do {
                            let reservation = try await client.reserveResources(
                                agent: "a1",
                                ResourceReserveRequest(amounts: ["api_calls": 5, "compute_seconds": 3], idempotencyKey: "r\(index)"))
                            return reservation.states.values.allSatisfy { $0 == "pending" } ? reservation.reservationID : "partial"
                        } catch {
                            return (error as? APIClientError)?.code ?? "\(error)"
                        }
                    }
                }
                var all: [String] = []
                for try await outcome in group { all.append(outcome) }
                return all
            }
            let reserved = outcomes.filter { $0.hasPrefix("rres:") }.sorted()
            #expect(reserved.count == 16)
            #expect(outcomes.filter { $0 == "insufficient_budget" }.count == 24)
            let after = try await client.resources(agent: "a1")
            #expect(after.budgets["api_calls"] == .init(total: 100, available: 20, reserved: 80))
            #expect(after.budgets["compute_seconds"] == .init(total: 50, available: 2, reserved: 48))
            #expect(after.budgets["storage_gb"]?.available == 10)

            // Settling uses what was used of each type and releases the rest; releasing frees all.
            let settled = try await client.settleResources(reservation: reserved[0], ResourceSettleRequest(used: ["api_calls": 2]))
            #expect(settled.states == ["api_calls": "posted", "compute_seconds": "voided"])
            _ = try await client.releaseResources(reservation: reserved[1])
            let final = try await client.resources(agent: "a1")
            #expect(final.budgets["api_calls"] == .init(total: 100, available: 28, reserved: 70))
            #expect(final.budgets["compute_seconds"] == .init(total: 50, available: 8, reserved: 42))
            // A type the agent has no budget of, or a zero amount, reserves nothing.
            for amounts: [String: Amount] in [["api_calls": 1, "gpu_hours": 1], ["api_calls": 0]] {
                do {
                    _ = try await client.reserveResources(agent: "a1", ResourceReserveRequest(amounts: amounts))
                    Issue.record("\(amounts) was reserved")
                } catch {
                    #expect(["not_found", "invalid_amount"].contains((error as? APIClientError)?.code ?? ""))
                }
            }
            #expect(try await client.resources(agent: "a1").budgets["api_calls"]?.available == 28)
            #expect(try await client.ledgerCheck().balanced)
        }
    }
}

extension ResourceBudgetTests {
    /// Reservation `rres:k` is not `rres:k:x`, and a reservation made before a restart settles after it.
    @Test func aReservationIsFoundByItsOwnIdAlsoAfterARestart() async throws {
        let directory = try makeTemporaryDirectory()
        let ids = try await TestNode.with(dataDirectory: directory) { client, _ in
            _ = try await Fixture.make(client, agents: [("a1", "10")])
            _ = try await client.setResources(agent: "a1", ResourceBudgetsRequest(budgets: ["api_calls": 100, "compute_seconds": 50]))
            var ids: [String] = []
            for (key, type) in [("k:x", "compute_seconds"), ("k", "api_calls")] {
                ids.append(
                    try await client.reserveResources(agent: "a1", ResourceReserveRequest(amounts: [type: 10], idempotencyKey: key))
                        .reservationID)
            }
            return ids
        }
        #expect(ids == ["rres:k:x", "rres:k"])
        try await TestNode.with(dataDirectory: directory) { client, _ in
            let released = try await client.releaseResources(reservation: "rres:k")
            #expect(released.reservationID == "rres:k" && released.states == ["api_calls": "voided"])
            #expect(try await client.resources(agent: "a1").budgets["api_calls"] == .init(total: 100, available: 100, reserved: 0))
            let settled = try await client.settleResources(reservation: "rres:k:x", ResourceSettleRequest(used: ["compute_seconds": 4]))
            #expect(settled.states == ["compute_seconds": "posted"])
            #expect(try await client.resources(agent: "a1").budgets["compute_seconds"] == .init(total: 50, available: 46, reserved: 0))
            #expect(try await client.ledgerCheck().balanced)
        }
    }
}

@Suite("Policies from the node config", .timeLimit(.minutes(5)))
struct ConfiguredPolicyTests {
    @Test func aPoolNamedInTheConfigGetsItsPoliciesEvenWhenCreatedLater() async throws {
        let yaml = """
            policies:
              tick: 50ms
              pools:
                night_shift:
                  time_profiles:
                    time_zone: UTC
                    profiles:
                      always: {budget: "750", start_time: "00:00", end_time: "24:00", days: [0, 1, 2, 3, 4, 5, 6]}
            """
        let parsed = try NodeConfig.parse(yaml: yaml)
        try await TestNode.with(configure: { config in config.policies = parsed.policies }) { client, _ in
            let pool = try await client.createPool(CreatePoolRequest(name: "night_shift", initialBudget: 100, priority: 3))
            var total = Amount.zero
            for _ in 0..<200 {
                total = try await client.pool(pool.id).total
                if total == 750 { break }
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(total == 750)
            let policies = try await client.policies(pool: pool.id)
            #expect(policies.activeProfile == "always")
            #expect(try await client.decisions(pool: pool.id).decisions.first?.policy == "time_profiles")
        }
    }
}

@Suite("Cost-benefit allocation through the API", .timeLimit(.minutes(5)))
struct CostBenefitAPITests {
    @Test func optimizeAppliesThroughTheLedgerAndEffectivenessReportsROI() async throws {
        try await TestNode.with { client, _ in
            _ = try await Fixture.make(client, poolBudget: "2000", agents: [("steady", "100"), ("risky", "100")])
            _ = try await client.registerOperation(
                OperationProfileBody(agentID: "steady", operationType: "summaries", averageCost: 1, averageBenefit: 2, benefitVariability: "0.1"))
            _ = try await client.registerOperation(
                OperationProfileBody(agentID: "risky", operationType: "research", averageCost: 1, averageBenefit: 3, benefitStddev: 4))
            let cautious = try await client.optimize(OptimizeRequest(totalBudget: 1000, minAllocationPercentage: "0.1", riskTolerance: "0"))
            let bold = try await client.optimize(OptimizeRequest(totalBudget: 1000, minAllocationPercentage: "0.1", riskTolerance: "1"))
            #expect(cautious.allocations["steady"]! > bold.allocations["steady"]!)
            #expect(bold.allocations["risky"] == 900)
            #expect(cautious.applied == false)
            #expect(try await client.agent("steady").budget.total == 100)

            let applied = try await client.optimize(
                OptimizeRequest(
                    totalBudget: 1000, minAllocationPercentage: "0.1", riskTolerance: "0", apply: true, operatorOverride: true))
            #expect(applied.applied)
            #expect(try await client.agent("steady").budget.total == applied.allocations["steady"])
            #expect(try await client.agent("risky").budget.total == applied.allocations["risky"])
            let decisions = try await client.decisions().decisions.filter { $0.policy == "override.cost_benefit" }
            // One decision per agent whose budget changed (from its 100).
            #expect(decisions.count == applied.allocations.values.filter { $0 != 100 }.count)
            #expect(!decisions.isEmpty)
            #expect(try await client.ledgerCheck().balanced)

            _ = try await client.spend(agent: "steady", SpendRequest(amount: 50))
            _ = try await client.reportBenefit(BenefitReport(agentID: "steady", benefit: 80))
            let effectiveness = try await client.effectiveness(lookbackDays: 7)
            #expect(effectiveness.agents["steady"] == .init(spent: 50, benefit: 80, roi: "0.6000"))
            #expect(effectiveness.agents["risky"] == nil)
        }
    }

    @Test func theDocumentsVariabilityIsAFractionAndRiskToleranceMovesTheSplit() async throws {
        try await TestNode.with { client, _ in
            _ = try await Fixture.make(client, poolBudget: "2000", agents: [("agent_0", "100"), ("agent_1", "100")])
            // The original's three operations, its variabilities as JSON numbers as it writes them.
            let operations: [(String, String, String, String, String, Amount)] = [
                ("agent_0", "data_processing", "5.0", "15.0", "0.2", 3), ("agent_0", "content_generation", "10.0", "25.0", "0.4", 10),
                ("agent_1", "data_analysis", "20.0", "50.0", "0.3", 15),
            ]
            for (agent, type, cost, benefit, variability, deviation) in operations {
                let json = #"{"agent_id":"\#(agent)","operation_type":"\#(type)","average_cost":"\#(cost)","average_benefit":"\#(benefit)","benefit_variability":\#(variability)}"#
                let response = try await client.raw(.POST, "/v1/cost-benefit/operations", body: Array(json.utf8))
                #expect(response.status == 201)
                let stored = try APICoding.decoder().decode(OperationProfileBody.self, from: Data(response.body))
                #expect(stored.benefitVariability?.text == variability)
                #expect(stored.benefitStddev == deviation)
            }
            var shares: [Amount] = []
            for tolerance in ["1", "0.5", "0.25", "0"] {
                let result = try await client.optimize(
                    OptimizeRequest(totalBudget: 1000, minAllocationPercentage: "0.1", riskTolerance: RatioText(tolerance)))
                shares.append(result.allocations["agent_0"]!)
                #expect(try result.allocations["agent_0"]!.adding(result.allocations["agent_1"]!) == 1000)
                #expect(result.expectedBenefit != nil && result.benefitStddev != nil)
            }
            #expect(shares.first == 900)
            #expect(shares == shares.sorted(by: >), "\(shares)")
            #expect(shares.last! < 800, "\(shares)")

            // Both forms at once is refused, and so is a fraction out of range; nothing is stored.
            let both = #"{"agent_id":"agent_1","operation_type":"x","average_cost":"1","average_benefit":"2","benefit_variability":0.1,"benefit_stddev":"1"}"#
            var (status, problem) = try await BadInputTests.send(client, .POST, "/v1/cost-benefit/operations", json: both)
            #expect(status == 400)
            #expect(problem?.detail.contains("not both") == true)
            let huge = #"{"agent_id":"agent_1","operation_type":"x","average_cost":"1","average_benefit":"2","benefit_variability":"11"}"#
            (status, problem) = try await BadInputTests.send(client, .POST, "/v1/cost-benefit/operations", json: huge)
            #expect(status == 400)
            let after = try await client.optimize(OptimizeRequest(totalBudget: 1000, minAllocationPercentage: "0.1", riskTolerance: "0"))
            #expect(after.allocations["agent_0"] == shares.last)
        }
    }
}

@Suite("Usage patterns through the API", .timeLimit(.minutes(5)))
struct UsagePatternAPITests {
    @Test func aPredictionIsDeclinedWithTooLittleHistoryAndGivenWithEnough() async throws {
        try await TestNode.with { client, _ in
            _ = try await Fixture.make(client, agents: [("a1", "500")])
            for _ in 0..<5 { _ = try await client.spend(agent: "a1", SpendRequest(amount: 1)) }
            do {
                _ = try await client.prediction(agent: "a1", hours: 24)
                Issue.record("a prediction was made from 5 uses")
            } catch {
                #expect((error as? APIClientError)?.code == "insufficient_data")
            }
            // Enough points (as asked), but a single week of history: confidence is discounted.
            let response = try await client.raw(.GET, "/v1/agents/a1/prediction?hours=24&min_data_points=5&prediction_confidence=0")
            #expect(response.status == 200)
            let prediction = try APICoding.decoder().decode(PredictionBody.self, from: Data(response.body))
            #expect(prediction.dataPoints == 5)
            // `from` starts the window later; it must be RFC 3339 and at most 31 days ahead.
            let tomorrow = Timestamp.now().advanced(by: .seconds(86_400))
            let later = try await client.prediction(
                agent: "a1", hours: 24, from: tomorrow, settings: ["min_data_points": "5", "prediction_confidence": "0"])
            #expect(later.from == ISO8601.format(tomorrow))
            #expect(later.low != nil && later.high != nil && later.windows != nil)
            for from in ["tomorrow", ISO8601.format(Timestamp.now().advanced(by: .seconds(40 * 86_400)))] {
                let (status, problem) = try await BadInputTests.send(
                    client, .GET, "/v1/agents/a1/prediction?hours=24&min_data_points=5&from=\(from)")
                #expect(status == 400)
                #expect(problem?.detail.contains("from") == true)
            }
            let patterns = try await client.patterns(agent: "a1")
            #expect(patterns.dataPoints == 5)
            #expect(patterns.buckets.count >= 1)
            #expect(patterns.buckets.reduce(Amount.zero) { (try? $0.adding($1.mean)) ?? $0 } > .zero)
        }
    }
}

@Suite("Reinforcement-learning state features through the API", .timeLimit(.minutes(5)))
struct StateFeaturesAPITests {
    @Test func knownFeaturesAreKeptAndAnUnknownOneIsRefusedWithTheKnownNames() async throws {
        try await TestNode.with { client, _ in
            let fixture = try await Fixture.make(client, poolBudget: "1000", agents: [("a1", "100")])
            let body = ReinforcementLearningBody(trainingEpisodes: 10, stateFeatures: ["time_of_day", "recent_usage"])
            let policies = try await client.setReinforcementLearning(pool: fixture.pool.id, body)
            #expect(policies.reinforcementLearning?.stateFeatures == ["time_of_day", "recent_usage"])
            let json = #"{"learning_rate":0.01,"discount_factor":0.9,"exploration_rate":0.1,"max_budget_change_percentage":0.3,"training_episodes":10,"update_interval_seconds":3600,"state_features":["time_of_day","moon_phase"]}"#
            let (status, problem) = try await BadInputTests.send(
                client, .PUT, "/v1/pools/\(fixture.pool.id)/policies/reinforcement_learning", json: json)
            #expect(status == 400)
            #expect(problem?.detail.contains("moon_phase") == true)
            #expect(problem?.detail.contains("remaining_budget_percentage") == true)
            #expect(try await client.policies(pool: fixture.pool.id).reinforcementLearning?.stateFeatures == ["time_of_day", "recent_usage"])
        }
    }
}
