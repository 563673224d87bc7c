import ArgumentParser
import Foundation
import SafeguardsAPI
import SafeguardsCore

/// The learner's settings, as options shared by `usage patterns` and `usage predict`.
struct LearnerOptions: ParsableArguments {
    @Option(help: "Days of history to learn from (7-365).") var periodDays: Int?
    @Option(help: "Bucket width in minutes; must divide a day.") var bucketMinutes: Int?
    @Option(help: "Fewest uses to predict from.") var minDataPoints: Int?
    @Option(help: "Least confidence to predict with, 0..1.") var confidence: String?

    var query: [String: String] {
        var query: [String: String] = [:]
        if let periodDays { query["learning_period_days"] = String(periodDays) }
        if let bucketMinutes { query["time_bucket_minutes"] = String(bucketMinutes) }
        if let minDataPoints { query["min_data_points"] = String(minDataPoints) }
        if let confidence { query["prediction_confidence"] = confidence }
        return query
    }
}

/// `safeguards usage patterns|predict`: what the node learned of an agent's use.
struct UsageCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "usage", abstract: "Learned usage patterns and predictions of an agent.",
        subcommands: [Patterns.self, Predict.self])

    struct Patterns: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "An agent's weekly usage: the mean per bucket and day, and its daily profile as a chart.")
        @OptionGroup var api: APIOptions
        @Option(help: "The agent.") var agent: String
        @OptionGroup var learner: LearnerOptions

        func run() async throws {
            let body = try await api.withClient { client in try await client.patterns(agent: agent, settings: learner.query) }
            try api.output(body) { LearningTables.patterns(body) }
        }
    }

    struct Predict: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The budget an agent is predicted to need over the coming hours, with its confidence.",
            discussion: "The node declines (422 insufficient_data) with too little history or too irregular a pattern.")
        @OptionGroup var api: APIOptions
        @Option(help: "The agent.") var agent: String
        @Option(help: "Hours ahead (1-744).") var hours: Int = 24
        @Option(help: "The window's start, RFC 3339 (default: now; at most 31 days ahead).") var from: String?
        @OptionGroup var learner: LearnerOptions

        func run() async throws {
            let start = try from.map { text in
                guard let time = ISO8601.parse(text) else {
                    throw ValidationError("--from '\(text)' is not an RFC 3339 time such as 2026-12-02T18:30:00Z")
                }
                return time
            }
            let body = try await api.withClient { client in
                try await client.prediction(agent: agent, hours: hours, from: start, settings: learner.query)
            }
            try api.output(body) { LearningTables.prediction(body) }
        }
    }
}

/// `safeguards optimizer policy`: what the reinforcement-learning optimizer learned.
struct OptimizerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "optimizer", abstract: "The reinforcement-learning optimizer of the pools.", subcommands: [Policy.self])

    struct Policy: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The learned policy: per state, the allowance change it makes and the value of each change.")
        @OptionGroup var api: APIOptions
        @Option(help: "Only this pool, by id or name.") var pool: String?

        func run() async throws {
            let body = try await api.withClient { client in
                let id: String? = if let pool { try await PoolLookup.id(for: pool, client: client) } else { nil }
                return try await client.optimizerPolicy(pool: id)
            }
            try api.output(body) { LearningTables.optimizer(body) }
        }
    }
}

enum LearningTables {
    static let days = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]

    /// Buckets as rows, days as columns; then the mean per bucket over the week as bars.
    static func patterns(_ body: PatternsBody) -> String {
        var header = "agent \(body.agentID): \(body.dataPoints) uses in \(body.learningPeriodDays) days, "
        header += "mean per \(body.timeBucketMinutes)-minute bucket over \(body.weeks) weeks"
        guard !body.buckets.isEmpty else { return header + "\nno uses in the learning period" }
        var cells: [String: [Int: Amount]] = [:]
        for bucket in body.buckets { cells[bucket.start, default: [:]][bucket.day] = bucket.mean }
        var table = TextTable([.left("TIME")] + days.map { .right($0.uppercased()) })
        var profile: [(String, Int64)] = []
        for start in cells.keys.sorted() {
            let row = cells[start] ?? [:]
            table.append([start] + (0..<7).map { row[$0]?.description ?? "-" })
            profile.append((start, Int64(clamping: Amount.exactSum(row.values) / 7)))
        }
        return header + "\n" + table.render() + "\n\ndaily profile (mean over the week)\n" + chart(profile)
    }

    /// One bar per row, scaled to the largest value, 40 characters at most.
    static func chart(_ rows: [(String, Int64)]) -> String {
        let largest = max(1, rows.map(\.1).max() ?? 1)
        let width = rows.map(\.0.count).max() ?? 0
        return rows.map { label, value in
            let bar = String(repeating: "█", count: Int((Double(value) / Double(largest) * 40).rounded()))
            return label.padding(toLength: width, withPad: " ", startingAt: 0) + " " + bar + " " + Amount(micros: value).description
        }.joined(separator: "\n")
    }

    static func prediction(_ body: PredictionBody) -> String {
        let confidence = Double(body.confidence) ?? 0
        let bar = String(repeating: "█", count: Int((confidence * 20).rounded()))
            + String(repeating: "░", count: 20 - Int((confidence * 20).rounded()))
        var pairs = [("agent", body.agentID), ("next", "\(body.hours) h" + (body.from.map { " from \($0)" } ?? ""))]
        pairs.append(("predicted budget", body.predictedBudget.description))
        if let low = body.low, let high = body.high { pairs.append(("range", "\(low.description) .. \(high.description)")) }
        pairs.append(("confidence", "\(body.confidence) \(bar)" + (body.low != nil ? " (of falling in the range)" : "")))
        if let windows = body.windows {
            pairs.append(("past windows", String(windows) + (body.regimeChange == true ? " (since usage changed)" : "")))
        }
        pairs.append(("data points", String(body.dataPoints)))
        return TextTable.details(pairs).render()
    }

    static func optimizer(_ body: OptimizerPolicyBody) -> String {
        guard !body.pools.isEmpty else { return "no pool has a reinforcement_learning policy" }
        return body.pools.map { pool in
            var text = "pool \(pool.poolID): "
            text += pool.trainedAt.map { "trained at \($0) over \(pool.trainingEpisodes) episodes" } ?? "not trained yet"
            text += ", a step every \(pool.updateIntervalSeconds) s, at most \(pool.maxBudgetChangePercentage) change per step"
            var agents = TextTable([.left("AGENT"), .left("PRIORITY"), .right("BASELINE"), .right("ALLOWANCE"), .right("STEPS")])
            for agent in pool.agents {
                agents.append([
                    agent.agentID, agent.priority, agent.baseline.description, agent.allowance?.description ?? "-", String(agent.stepsLearned),
                ])
            }
            let actions = pool.states.first.map { Array($0.values.keys).sorted { percent($0) < percent($1) } } ?? []
            var states = TextTable(
                [.left("TIME OF DAY"), .left("DAY"), .left("PRIORITY"), .left("RECENT USE"), .left("ALLOWANCE/BASELINE"), .right("ACTION")]
                    + actions.map { .right("Q(\($0))") })
            for state in pool.states {
                states.append(
                    [state.timeOfDay, state.day, state.priority, state.recentUsage, state.remainingBudget, state.action]
                        + actions.map { state.values[$0] ?? "-" })
            }
            if !agents.isEmpty { text += "\n\n" + agents.render() }
            if !states.isEmpty { text += "\n\n" + states.render() + "\n\nstates not listed were not visited in training: they keep the allowance" }
            return text
        }.joined(separator: "\n\n")
    }

    /// "+15%" → 15, for ordering the actions.
    static func percent(_ label: String) -> Double {
        Double(label.replacingOccurrences(of: "%", with: "").replacingOccurrences(of: "+", with: "")) ?? 0
    }
}
