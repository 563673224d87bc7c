import ArgumentParser
import SafeguardsAPI

/// `safeguards pool create|list|show|set-period|top-up|withdraw|close`
struct PoolCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pool", abstract: "Create, inspect, fund and close budget pools.",
        subcommands: [Create.self, List.self, Show.self, SetPeriod.self, TopUp.self, Withdraw.self, Close.self])

    /// `safeguards pool create --name N --budget 1000 --priority 5 [--metadata k=v ...]`
    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a pool with an initial budget.")

        @OptionGroup var api: APIOptions

        @Option(help: "The pool's name, unique on the node.")
        var name: String

        @Option(
            parsing: .unconditional,
            help: ArgumentHelp("The pool's initial budget, a decimal amount (e.g. 1000 or 250.5).", valueName: "amount")
        )
        var budget: String

        @Option(help: "How important the pool is: 1 (least) to 10 (most).")
        var priority: Int

        @Option(help: ArgumentHelp("Metadata as key=value; repeat for more.", valueName: "key=value"))
        var metadata: [String] = []

        @Option(
            help: ArgumentHelp(
                "Makes the request safe to retry: the same key returns the first result.", valueName: "key"))
        var idempotencyKey: String?

        @OptionGroup var periodOptions: PeriodOptions

        func validate() throws { _ = try request() }

        func request() throws(ValidationError) -> CreatePoolRequest {
            CreatePoolRequest(
                name: name, initialBudget: try ValueParsing.amount(budget, option: "--budget", rule: .notNegative),
                priority: try ValueParsing.poolPriority(priority), metadata: try ValueParsing.metadata(metadata),
                idempotencyKey: idempotencyKey, budgetPeriod: periodOptions.period,
                periodTimezone: periodOptions.timezone)
        }

        func run() async throws {
            let request = try request()
            let pool = try await api.withClient { client in try await client.createPool(request) }
            try api.output(pool) { BodyTables.pool(pool).render() }
        }
    }

    /// `safeguards pool list`
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the node's pools.")

        @OptionGroup var api: APIOptions

        func run() async throws {
            let list = try await api.withClient { client in try await client.pools() }
            try api.output(list) { list.pools.isEmpty ? "no pools" : BodyTables.pools(list.pools).render() }
        }
    }

    /// `safeguards pool set-period ID --period monthly [--timezone Europe/Berlin]`
    struct SetPeriod: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set-period",
            abstract: "Set, change or remove (--period none) a pool's budget period; the new period starts now.")

        @OptionGroup var api: APIOptions

        @Argument(help: "The pool's id or name.")
        var pool: String

        @Option(
            help: ArgumentHelp(
                "A duration (1h, 1d, 30d), daily, weekly or monthly; none removes the period.", valueName: "period"))
        var period: String

        @Option(help: ArgumentHelp("IANA time zone of a calendar period (default UTC).", valueName: "zone"))
        var timezone: String?

        func run() async throws {
            let body = try await api.withClient { client in
                try await client.setPoolPeriod(
                    try await PoolLookup.id(for: pool, client: client),
                    PeriodRequest(budgetPeriod: period, periodTimezone: timezone))
            }
            try api.output(body) { BodyTables.pool(body).render() }
        }
    }

    /// `safeguards pool show ID`
    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a pool and its agents.")

        @OptionGroup var api: APIOptions

        @Argument(help: "The pool's id or name.")
        var pool: String

        func run() async throws {
            let (body, agents) = try await api.withClient { client in
                let body = try await client.pool(try await PoolLookup.id(for: pool, client: client))
                return (body, api.json ? [] : try await client.agents(pool: body.id).agents)
            }
            try api.output(body) {
                let details = BodyTables.pool(body).render()
                guard !agents.isEmpty else { return details + "\n\nno agents" }
                return details + "\n\n" + BodyTables.agents(agents, poolNames: [body.id: body.name]).render()
            }
        }
    }
}
