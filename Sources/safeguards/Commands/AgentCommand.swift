import ArgumentParser
import SafeguardsAPI

/// `safeguards agent register|list|show|set-budget|close`
struct AgentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agent", abstract: "Register agents and manage their budgets.",
        subcommands: [Register.self, List.self, Show.self, SetBudget.self, Close.self])

    /// `safeguards agent register --id A --pool P --priority HIGH --budget 100`
    struct Register: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Register an agent; its initial budget moves from the pool.")

        @OptionGroup var api: APIOptions

        @Option(help: "The agent's id, chosen by you.")
        var id: String

        @Option(help: "The pool's id or name.")
        var pool: String

        @Option(help: "CRITICAL, HIGH, MEDIUM, LOW or MINIMAL.")
        var priority: String

        @Option(
            parsing: .unconditional,
            help: ArgumentHelp("The agent's initial budget, a decimal amount.", valueName: "amount"))
        var budget: String

        @Option(
            help: ArgumentHelp(
                "Makes the request safe to retry: the same key returns the first result.", valueName: "key"))
        var idempotencyKey: String?

        @OptionGroup var periodOptions: PeriodOptions

        func validate() throws { _ = try request(poolID: pool) }

        /// The request for the pool whose id `poolID` is (`--pool` may name it instead).
        func request(poolID: String) throws(ValidationError) -> RegisterAgentRequest {
            RegisterAgentRequest(
                agentID: id, poolID: poolID, priority: try ValueParsing.agentPriority(priority),
                initialBudget: try ValueParsing.amount(budget, option: "--budget", rule: .notNegative),
                idempotencyKey: idempotencyKey, budgetPeriod: periodOptions.period,
                periodTimezone: periodOptions.timezone)
        }

        func run() async throws {
            let (agent, poolName) = try await api.withClient { client in
                let poolID = try await PoolLookup.id(for: pool, client: client)
                let agent = try await client.registerAgent(try request(poolID: poolID))
                return (agent, poolID == pool ? nil : pool)
            }
            try api.output(agent) { BodyTables.agent(agent, poolName: poolName).render() }
        }
    }

    /// `safeguards agent list [--pool P]`
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List agents, of one pool or all.")

        @OptionGroup var api: APIOptions

        @Option(help: "Only the agents of this pool (id or name).")
        var pool: String?

        func run() async throws {
            let (list, names) = try await api.withClient { client in
                var poolID: String?
                if let pool { poolID = try await PoolLookup.id(for: pool, client: client) }
                return (
                    try await client.agents(pool: poolID), api.json ? [:] : try await PoolLookup.names(client: client)
                )
            }
            try api.output(list) {
                list.agents.isEmpty ? "no agents" : BodyTables.agents(list.agents, poolNames: names).render()
            }
        }
    }

    /// `safeguards agent show A`
    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show an agent's budget.")

        @OptionGroup var api: APIOptions

        @Argument(help: "The agent's id.")
        var agent: String

        func run() async throws {
            let (body, names) = try await api.withClient { client in
                (try await client.agent(agent), api.json ? [:] : try await PoolLookup.names(client: client))
            }
            try api.output(body) { BodyTables.agent(body, poolName: names[body.poolID]).render() }
        }
    }

    /// `safeguards agent set-budget A --budget 250 --reason "..."`
    struct SetBudget: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set-budget",
            abstract: "Set an agent's total budget; the difference moves from or to its pool.")

        @OptionGroup var api: APIOptions

        @Argument(help: "The agent's id.")
        var agent: String

        @Option(
            parsing: .unconditional, help: ArgumentHelp("The new total budget, a decimal amount.", valueName: "amount"))
        var budget: String

        @Option(help: "Why the budget changes; stored with the transfer.")
        var reason: String

        @Option(
            help: ArgumentHelp(
                "Makes the request safe to retry: the same key returns the first result.", valueName: "key"))
        var idempotencyKey: String?

        @OptionGroup var periodOptions: PeriodOptions

        func validate() throws { _ = try request() }

        func request() throws(ValidationError) -> UpdateBudgetRequest {
            UpdateBudgetRequest(
                budget: try ValueParsing.amount(budget, option: "--budget", rule: .notNegative), reason: reason,
                idempotencyKey: idempotencyKey, budgetPeriod: periodOptions.period,
                periodTimezone: periodOptions.timezone)
        }

        func run() async throws {
            let request = try request()
            let (body, names) = try await api.withClient { client in
                (
                    try await client.updateBudget(agent: agent, request),
                    api.json ? [:] : try await PoolLookup.names(client: client)
                )
            }
            try api.output(body) { BodyTables.agent(body, poolName: names[body.poolID]).render() }
        }
    }
}
