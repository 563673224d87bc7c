import ArgumentParser
import SafeguardsAPI
import SafeguardsCore

/// `safeguards pool top-up|withdraw|close` and `safeguards agent close`: an operator's changes to
/// a pool's funding, and closing. Each is a ledger transfer with the reason given.
extension PoolCommand {
    /// `safeguards pool top-up P --amount 500 --reason "..."`
    struct TopUp: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "top-up", abstract: "Add budget to a pool, from the funding account.")

        @OptionGroup var api: APIOptions
        @OptionGroup var funds: PoolFundsOptions

        func validate() throws { _ = try funds.request() }

        func run() async throws {
            try await funds.move(api) { client, pool, request in try await client.topUpPool(pool, request) }
        }
    }

    /// `safeguards pool withdraw P --amount 200 --reason "..."`
    struct Withdraw: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Take unallocated budget out of a pool, back to the funding account.",
            discussion: "Never more than the pool's available (unallocated) budget: what its agents hold stays theirs.")

        @OptionGroup var api: APIOptions
        @OptionGroup var funds: PoolFundsOptions

        func validate() throws { _ = try funds.request() }

        func run() async throws {
            try await funds.move(api) { client, pool, request in try await client.withdrawFromPool(pool, request) }
        }
    }

    /// `safeguards pool close P --reason "..."`
    struct Close: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Close a pool and its agents; their remaining budget returns to the funding account.",
            discussion: """
                Refused while any of the pool's agents has a pending reservation (settle or release it \
                first). A closed pool and its agents stay listed, marked closed; they take no new agents, \
                reservations, spends or budget changes. Closing a closed pool changes nothing.
                """)

        @OptionGroup var api: APIOptions

        @Argument(help: "The pool's id or name.")
        var pool: String

        @Option(help: "Why the pool closes; stored with the transfers.")
        var reason: String

        func run() async throws {
            let body = try await api.withClient { client in
                try await client.closePool(try await PoolLookup.id(for: pool, client: client), reason: reason)
            }
            try api.output(body) {
                var text = BodyTables.pool(body.pool).render()
                text += "\n\n\(body.agentsClosed) agent(s) closed with the pool"
                if let transfer = body.transfer {
                    text += "\n\(transfer.amount.description) returned to funding (transfer \(transfer.id))"
                }
                return text
            }
        }
    }
}

extension AgentCommand {
    /// `safeguards agent close A --reason "..."`
    struct Close: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Close an agent; its remaining budget returns to its pool.",
            discussion: """
                Refused while the agent has a pending reservation (settle or release it first). A closed \
                agent stays listed, marked closed, and takes no reservations, spends or budget changes. \
                Closing a closed agent changes nothing.
                """)

        @OptionGroup var api: APIOptions

        @Argument(help: "The agent's id.")
        var agent: String

        @Option(help: "Why the agent closes; stored with the transfers.")
        var reason: String

        func run() async throws {
            let body = try await api.withClient { client in try await client.closeAgent(agent, reason: reason) }
            try api.output(body) {
                var text = BodyTables.agent(body.agent).render()
                for transfer in body.transfers {
                    text +=
                        "\n\(transfer.amount.description) returned to \(transfer.creditAccount) (transfer \(transfer.id))"
                }
                return text
            }
        }
    }
}

/// What `pool top-up` and `pool withdraw` take.
struct PoolFundsOptions: ParsableArguments {
    @Argument(help: "The pool's id or name.")
    var pool: String

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp("How much, a decimal amount greater than zero.", valueName: "amount"))
    var amount: String

    @Option(help: "Why the budget moves; stored with the transfer.")
    var reason: String

    @Option(
        help: ArgumentHelp("Makes the request safe to retry: the same key returns the first result.", valueName: "key"))
    var idempotencyKey: String?

    func request() throws(ValidationError) -> PoolFundsRequest {
        PoolFundsRequest(
            amount: try ValueParsing.amount(amount, option: "--amount", rule: .positive), reason: reason,
            idempotencyKey: idempotencyKey)
    }

    /// Sends the request through `call` for the pool named (by id or name) and prints the pool and
    /// the transfer.
    func move(
        _ api: APIOptions, _ call: (SafeguardsClient, String, PoolFundsRequest) async throws -> PoolFundsBody
    ) async throws {
        let request = try request()
        let body = try await api.withClient { client in
            try await call(client, try await PoolLookup.id(for: pool, client: client), request)
        }
        try api.output(body) { BodyTables.poolFunds(body) }
    }
}

extension BodyTables {
    /// A pool after a top-up or a withdrawal, and the transfer that moved.
    static func poolFunds(_ body: PoolFundsBody) -> String {
        let transfer = body.transfer
        return pool(body.pool).render() + "\n\n"
            + "\(transfer.amount.description) moved from \(transfer.debitAccount) to \(transfer.creditAccount)"
            + " (transfer \(transfer.id))"
    }
}
