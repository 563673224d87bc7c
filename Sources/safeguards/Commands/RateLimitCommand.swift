import ArgumentParser
import SafeguardsAPI
import SafeguardsCore
import SafeguardsNode

/// `safeguards rate-limit [set] --agent A --max-budget 100 --window 1h`, and `show`, `check`,
/// `remove`: an agent's rate limit, after the original's `BudgetRateLimiter`.
struct RateLimitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rate-limit",
        abstract: "Limit what an agent may spend per time window (reserve and spend answer 429 past it).",
        subcommands: [SetLimit.self, Show.self, Check.self, Remove.self], defaultSubcommand: SetLimit.self)

    struct SetLimit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set", abstract: "Set (or change) an agent's rate limit; the default subcommand.")
        @OptionGroup var api: APIOptions
        @Option(help: "The agent.") var agent: String
        @Option(parsing: .unconditional, help: "The most it may spend per window, a decimal amount.") var maxBudget: String
        @Option(help: "The window: 30s, 15m, 1h, 1d.") var window: String

        func run() async throws {
            guard let duration = DurationText.parse(window), duration >= .seconds(1) else {
                throw ValidationError("--window: '\(window)' is not a duration of at least 1s (30s, 15m, 1h, 1d)")
            }
            let body = RateLimitBody(
                maxBudget: try ValueParsing.amount(maxBudget, option: "--max-budget", rule: .positive),
                timeWindowSeconds: Int(duration.components.seconds))
            let answer = try await api.withClient { client in try await client.setRateLimit(agent: agent, body) }
            try api.output(answer) {
                "agent \(agent) may spend \(answer.maxBudget.description) per \(answer.timeWindowSeconds) s"
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show an agent's rate limit and what its window holds now.")
        @OptionGroup var api: APIOptions
        @Option(help: "The agent.") var agent: String

        func run() async throws {
            let body = try await api.withClient { client in try await client.rateLimit(agent: agent) }
            try api.output(body) { RateLimitCommand.describe(body) }
        }
    }

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Whether an amount would pass an agent's rate limit now, and when it would if not (counts nothing).")
        @OptionGroup var api: APIOptions
        @Option(help: "The agent.") var agent: String
        @Option(parsing: .unconditional, help: "The amount to ask about (default: anything at all).") var amount: String?

        func run() async throws {
            let asked = try amount.map { try ValueParsing.amount($0, option: "--amount", rule: .positive) }
            let body = try await api.withClient { client in try await client.checkRateLimit(agent: agent, amount: asked) }
            try api.output(body) {
                guard body.limited else { return "agent \(agent) has no rate limit: \(body.amount.description) is allowed" }
                let window = "\(body.used?.description ?? "?") of \(body.maxBudget?.description ?? "?") per \(body.timeWindowSeconds ?? 0) s used"
                if body.allowed { return "allowed: \(body.amount.description) fits now (\(window))" }
                guard let seconds = body.retryAfterSeconds else {
                    return "never: \(body.amount.description) is more than the whole limit (\(window))"
                }
                return "not now: retry after \(seconds) s (\(window))"
            }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove an agent's rate limit (its reservations and spends stay in the journal).")
        @OptionGroup var api: APIOptions
        @Option(help: "The agent.") var agent: String

        func run() async throws {
            let body = try await api.withClient { client in try await client.removeRateLimit(agent: agent) }
            try api.output(body) { "removed: " + RateLimitCommand.describe(body) }
        }
    }

    static func describe(_ body: RateLimitStatusBody) -> String {
        "agent \(body.agentID) may spend \(body.maxBudget.description) per \(body.timeWindowSeconds) s; "
            + "\(body.used.description) used, \(body.available.description) available"
    }
}
