import ArgumentParser
import Foundation
import NIOHTTP1
import SafeguardsAPI
import SafeguardsCore
import SafeguardsNode

/// `safeguards policy set|show|apply|freeze|unfreeze|decisions`: dynamic allocation per pool.
struct PolicyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "policy", abstract: "Configure and oversee the pools' dynamic allocation policies.",
        subcommands: [Set.self, Remove.self, Show.self, Apply.self, Freeze.self, Unfreeze.self, Decisions.self])

    /// Runs a call on the pool named by id or name and prints the pool's policies it answers.
    static func show(
        _ api: APIOptions, _ pool: String, _ call: @escaping (SafeguardsClient, String) async throws -> PoolPoliciesBody
    ) async throws {
        let body = try await api.withClient { client in
            try await call(client, try await PoolLookup.id(for: pool, client: client))
        }
        try api.output(body) { PolicyTables.policies(body) }
    }

    struct PoolOption: ParsableArguments {
        @Option(help: "The pool, by id or name.") var pool: String
    }

    /// `safeguards policy set --pool P --kind adaptive_sizing --params '{"min_pool_budget": "100", ...}'`
    struct Set: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Set a pool's policy: adaptive_sizing, priority_reallocation, time_profiles, usage_prediction or reinforcement_learning.",
            discussion: "--params takes the policy's JSON (as in PUT /v1/pools/{id}/policies/{kind}), or @FILE.")
        @OptionGroup var api: APIOptions
        @OptionGroup var target: PoolOption
        @Option(
            help: "adaptive_sizing, priority_reallocation, time_profiles, usage_prediction or reinforcement_learning.")
        var kind: String
        @Option(help: "The parameters as JSON, or @PATH of a JSON file.") var params: String

        func run() async throws {
            var json = params
            if json.hasPrefix("@") {
                let path = String(json.dropFirst())
                guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                    throw CLIError("--params: cannot read \(path)")
                }
                json = text
            }
            try await PolicyCommand.show(api, target.pool) { client, id in
                try await client.setPolicy(pool: id, kind: kind, json: Array(json.utf8))
            }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove a pool's policy of one kind; budgets stay as they are.")
        @OptionGroup var api: APIOptions
        @OptionGroup var target: PoolOption
        @Option(help: "The kind of policy to remove.") var kind: String

        func run() async throws {
            try await PolicyCommand.show(api, target.pool) { client, id in
                try await client.removePolicy(pool: id, kind: kind)
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a pool's policies and whether it is frozen.")
        @OptionGroup var api: APIOptions
        @OptionGroup var target: PoolOption

        func run() async throws {
            try await PolicyCommand.show(api, target.pool) { client, id in try await client.policies(pool: id) }
        }
    }

    struct Apply: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run a pool's policies now (a time profile applies at once).")
        @OptionGroup var api: APIOptions
        @OptionGroup var target: PoolOption

        func run() async throws {
            try await PolicyCommand.show(api, target.pool) { client, id in try await client.applyPolicies(pool: id) }
        }
    }

    struct Freeze: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Stop every automatic change to a pool (human override).")
        @OptionGroup var api: APIOptions
        @OptionGroup var target: PoolOption

        func run() async throws {
            try await PolicyCommand.show(api, target.pool) { client, id in try await client.freeze(pool: id) }
        }
    }

    struct Unfreeze: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Let the policies change a pool again.")
        @OptionGroup var api: APIOptions
        @OptionGroup var target: PoolOption

        func run() async throws {
            try await PolicyCommand.show(api, target.pool) { client, id in try await client.unfreeze(pool: id) }
        }
    }

    struct Decisions: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The decision log: every automatic change and why.")
        @OptionGroup var api: APIOptions
        @Option(help: "Only this pool's, by id or name.") var pool: String?

        func run() async throws {
            let list = try await api.withClient { client in
                var id: String?
                if let pool { id = try await PoolLookup.id(for: pool, client: client) }
                return try await client.decisions(pool: id)
            }
            try api.output(list) {
                var table = TextTable([
                    .left("AT"), .left("POLICY"), .left("TARGET"), .right("OLD"), .right("NEW"), .left("ACTOR"),
                    .left("REASON"),
                ])
                for decision in list.decisions {
                    table.append([
                        decision.at, decision.policy,
                        decision.agentID.map { "agent \($0)" } ?? "pool \(decision.poolID ?? "?")",
                        decision.oldValue.description, decision.newValue.description, decision.actor ?? "-",
                        decision.reason,
                    ])
                }
                return table.isEmpty ? "no decisions" : table.render()
            }
        }
    }
}

/// `safeguards resources set|show|reserve|settle|release`: budgets of several resource types per agent.
struct ResourcesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resources", abstract: "Multi-resource budgets: api_calls, compute_seconds, storage_gb, ...",
        subcommands: [SetBudgets.self, Show.self, Reserve.self, Settle.self, Release.self])

    struct SetBudgets: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set", abstract: "Set an agent's budget of each named type.")
        @OptionGroup var api: APIOptions
        @Option(help: "The agent.") var agent: String
        @Option(help: ArgumentHelp("TYPE=AMOUNT; repeat for each type.", valueName: "type=amount")) var budget: [String]

        func run() async throws {
            let request = ResourceBudgetsRequest(
                budgets: try ValueParsing.amounts(budget, option: "--budget", rule: .notNegative))
            let body = try await api.withClient { client in try await client.setResources(agent: agent, request) }
            try api.output(body) { PolicyTables.resources(body) }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show an agent's resource budgets.")
        @OptionGroup var api: APIOptions
        @Option(help: "The agent.") var agent: String

        func run() async throws {
            let body = try await api.withClient { client in try await client.resources(agent: agent) }
            try api.output(body) { PolicyTables.resources(body) }
        }
    }

    struct Reserve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Reserve several resources at once: all or none. Prints the reservation id.")
        @OptionGroup var api: APIOptions
        @Option(help: "The agent.") var agent: String
        @Option(help: ArgumentHelp("TYPE=AMOUNT; repeat for each type.", valueName: "type=amount")) var amount: [String]
        @Option(help: "Idempotency key.") var idempotencyKey: String?

        func run() async throws {
            let request = ResourceReserveRequest(
                amounts: try ValueParsing.amounts(amount, option: "--amount", rule: .positive),
                idempotencyKey: idempotencyKey)
            let body = try await api.withClient { client in try await client.reserveResources(agent: agent, request) }
            try api.output(body) { body.reservationID }
        }
    }

    struct Settle: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Settle a resource reservation with what was used; the rest is released.")
        @OptionGroup var api: APIOptions
        @Argument(help: "The reservation id.") var reservation: String
        @Option(help: ArgumentHelp("TYPE=AMOUNT used; types not named are released.", valueName: "type=amount"))
        var used: [String] = []

        func run() async throws {
            let request = ResourceSettleRequest(
                used: try ValueParsing.amounts(used, option: "--used", rule: .notNegative))
            let body = try await api.withClient { client in
                try await client.settleResources(reservation: reservation, request)
            }
            try api.output(body) { PolicyTables.states(body) }
        }
    }

    struct Release: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Release a whole resource reservation.")
        @OptionGroup var api: APIOptions
        @Argument(help: "The reservation id.") var reservation: String

        func run() async throws {
            let body = try await api.withClient { client in try await client.releaseResources(reservation: reservation)
            }
            try api.output(body) { PolicyTables.states(body) }
        }
    }
}

enum PolicyTables {
    /// Each resource type of a reservation and its transfer's state, a line each.
    static func states(_ body: ResourceReservationBody) -> String {
        body.states.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: "\n")
    }

    static func policies(_ body: PoolPoliciesBody) -> String {
        var pairs: [(String, String)] = [
            ("pool", body.poolID), ("frozen", body.frozen ? "yes (no automatic changes)" : "no"),
        ]
        if let sizing = body.adaptiveSizing {
            pairs.append(
                (
                    "adaptive sizing",
                    "every \(sizing.adjustmentIntervalSeconds) s, \(sizing.minPoolBudget)..\(sizing.maxPoolBudget), target \(sizing.utilizationTarget.text), +\(sizing.growthRate.text)/-\(sizing.shrinkRate.text), dead band \(sizing.deadBand?.text ?? "0.05"), min \(sizing.minAgentsForAdjustment) agents"
                ))
        }
        if let reallocation = body.priorityReallocation {
            pairs.append(
                (
                    "priority reallocation",
                    "every \(reallocation.reallocationIntervalSeconds) s, emergency below \(reallocation.emergencyThreshold), min \(reallocation.minBudgetPercentage.text), reserve \(reallocation.reservePercentage.text)"
                ))
        }
        if let profiles = body.timeProfiles {
            pairs.append(
                (
                    "time profiles",
                    "\(profiles.timeZone): "
                        + profiles.profiles.sorted { $0.key < $1.key }
                        .map { "\($0.key) \($0.value.startTime)-\($0.value.endTime) \($0.value.budget.description)" }
                        .joined(separator: ", ")
                ))
            pairs.append(("active profile", body.activeProfile ?? "none"))
        }
        if let prediction = body.usagePrediction {
            pairs.append(
                (
                    "usage prediction",
                    "every \(prediction.updateIntervalSeconds) s, next \(prediction.predictionWindowHours) h × \(prediction.safetyMargin.text), confidence at least \(prediction.predictionConfidence?.text ?? "0.7")"
                ))
        }
        if let learning = body.reinforcementLearning {
            pairs.append(
                (
                    "reinforcement learning",
                    "a step every \(learning.updateIntervalSeconds) s, at most \(learning.maxBudgetChangePercentage.text) change, \(learning.trainingEpisodes) episodes (safeguards optimizer policy)"
                ))
        }
        return TextTable.details(pairs).render()
    }

    static func resources(_ body: ResourcesBody) -> String {
        var table = TextTable([.left("RESOURCE"), .right("TOTAL"), .right("AVAILABLE"), .right("RESERVED")])
        for (type, budget) in body.budgets.sorted(by: { $0.key < $1.key }) {
            table.append([type, budget.total.description, budget.available.description, budget.reserved.description])
        }
        return table.isEmpty ? "no resource budgets" : table.render()
    }
}

/// `safeguards cost-benefit operation|optimize|benefit|effectiveness`.
struct CostBenefitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cost-benefit", abstract: "Allocate budget by risk-adjusted expected benefit.",
        subcommands: [Operation.self, Optimize.self, Benefit.self, Effectiveness.self])

    struct Operation: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Register an agent's operation profile.")
        @OptionGroup var api: APIOptions
        @Option(help: "The agent.") var agent: String
        @Option(help: "The kind of operation.") var type: String
        @Option(parsing: .unconditional, help: "Average cost per operation.") var cost: String
        @Option(parsing: .unconditional, help: "Average benefit per operation.") var benefit: String
        @Option(help: "Variability of the benefit as a fraction of it (0.2 for 20%).") var variability: String?
        @Option(parsing: .unconditional, help: "Standard deviation of the benefit, absolute (instead of --variability).")
        var stddev: String?

        func run() async throws {
            let body = OperationProfileBody(
                agentID: agent, operationType: type,
                averageCost: try ValueParsing.amount(cost, option: "--cost", rule: .positive),
                averageBenefit: try ValueParsing.amount(benefit, option: "--benefit", rule: .notNegative),
                benefitVariability: variability.map { RatioText($0) },
                benefitStddev: try stddev.map { try ValueParsing.amount($0, option: "--stddev", rule: .notNegative) })
            let stored = try await api.withClient { client in try await client.registerOperation(body) }
            try api.output(stored) { "registered \(stored.operationType) for \(stored.agentID)" }
        }
    }

    struct Optimize: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Split a total budget; --apply sets the agents' budgets.")
        @OptionGroup var api: APIOptions
        @Option(parsing: .unconditional, help: "The total budget.") var total: String
        @Option(help: "Each agent's minimum share, 0..1.") var minimum: String = "0.1"
        @Option(help: "Risk tolerance, 0 (avoid variance) to 1 (expected benefit only).") var riskTolerance: String =
            "0.5"
        @Flag(help: "Apply the allocation through the ledger (all agents or none, within the step limit).") var apply = false
        @Flag(help: "With --apply: a person's override, past the step limit (logged as override.cost_benefit).")
        var operatorOverride = false

        func run() async throws {
            let request = OptimizeRequest(
                totalBudget: try ValueParsing.amount(total, option: "--total", rule: .positive),
                minAllocationPercentage: RatioText(minimum),
                riskTolerance: RatioText(riskTolerance), apply: apply, operatorOverride: operatorOverride ? true : nil)
            let result = try await api.withClient { client in try await client.optimize(request) }
            try api.output(result) {
                var table = TextTable([.left("AGENT"), .right("ALLOCATION")] + (result.appliedBudgets == nil ? [] : [.right("BUDGET NOW")]))
                for (agent, amount) in result.allocations.sorted(by: { $0.key < $1.key }) {
                    table.append([agent, amount.description] + (result.appliedBudgets.map { [$0[agent]?.description ?? "-"] } ?? []))
                }
                return table.render() + "\nobjective \(result.objective)" + (result.applied ? " (applied)" : "")
            }
        }
    }

    struct Benefit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Report the benefit an agent's work brought.")
        @OptionGroup var api: APIOptions
        @Option(help: "The agent.") var agent: String
        @Option(parsing: .unconditional, help: "The benefit.") var amount: String

        func run() async throws {
            let report = BenefitReport(
                agentID: agent, benefit: try ValueParsing.amount(amount, option: "--amount", rule: .notNegative))
            let stored = try await api.withClient { client in try await client.reportBenefit(report) }
            try api.output(stored) { "recorded \(stored.benefit) for \(stored.agentID)" }
        }
    }

    struct Effectiveness: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Spent against reported benefit per agent (ROI).")
        @OptionGroup var api: APIOptions
        @Option(help: "Days to look back.") var lookbackDays: Int = 7

        func run() async throws {
            let body = try await api.withClient { client in try await client.effectiveness(lookbackDays: lookbackDays) }
            try api.output(body) {
                var table = TextTable([.left("AGENT"), .right("SPENT"), .right("BENEFIT"), .right("ROI")])
                for (agent, entry) in body.agents.sorted(by: { $0.key < $1.key }) {
                    table.append([agent, entry.spent.description, entry.benefit.description, entry.roi ?? "-"])
                }
                return table.isEmpty ? "nothing spent or reported" : table.render()
            }
        }
    }
}
