import ArgumentParser
import Foundation
import SafeguardsAPI
import SafeguardsCore
import SafeguardsNode
import SafeguardsStore

/// `safeguards federation pool|request|return|transactions|show|verify`: budget across systems.
struct FederationCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "federation", abstract: "Federated pools, remote budget requests and their evidence.",
        subcommands: [Pool.self, Request.self, Return.self, Transactions.self, Show.self, Verify.self])

    /// `safeguards federation pool [create] ...` and `safeguards federation pool show ID`.
    struct Pool: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a federated pool, or show one with the grants its peers answered.",
            subcommands: [Create.self, ShowPool.self], defaultSubcommand: Create.self)
    }

    /// `safeguards federation pool [create] --name N --local-budget 5000 --priority 8 --remote system_b=2000 ...`
    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a federated pool: a local budget plus allocations proposed to peers.")
        @OptionGroup var api: APIOptions
        @Option(help: "The pool's name.") var name: String
        @Option(parsing: .unconditional, help: "The local contribution, a decimal amount.") var localBudget: String
        @Option(help: "Priority 1-10 (10 highest).") var priority: Int = 5
        @Option(
            help: ArgumentHelp("A remote allocation, SYSTEM=AMOUNT; repeat for each peer.", valueName: "system=amount"))
        var remote: [String] = []
        @Option(help: "Idempotency key: a retry with the same key returns the same pool.") var idempotencyKey: String?

        func run() async throws {
            let allocations = try ValueParsing.amounts(remote, option: "--remote", rule: .positive)
            let request = CreateFederatedPoolRequest(
                name: name,
                localBudget: try ValueParsing.amount(localBudget, option: "--local-budget", rule: .notNegative),
                priority: try ValueParsing.poolPriority(priority), remoteAllocations: allocations,
                idempotencyKey: idempotencyKey)
            let pool = try await api.withClient { client in try await client.createFederatedPool(request) }
            try api.output(pool) { FederationTables.pool(pool) }
        }
    }

    /// `safeguards federation pool show ID`
    struct ShowPool: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "show",
            abstract: "Show a federated pool: its local budget and each peer's grant (the credit line it opened).")
        @OptionGroup var api: APIOptions
        @Argument(help: "The pool's id or name.") var pool: String

        func run() async throws {
            let body = try await api.withClient { client in
                try await client.federatedPool(try await PoolLookup.id(for: pool, client: client))
            }
            try api.output(body) { FederationTables.pool(body) }
        }
    }

    /// `safeguards federation request --agent A --from system_b --amount 200`
    struct Request: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Ask a peer for budget for one of this node's agents.",
            discussion: FederationCommand.outcomeCodes)
        @OptionGroup var api: APIOptions
        @Option(help: "The agent the budget is for.") var agent: String
        @Option(help: "The giver's system id.") var from: String
        @Option(parsing: .unconditional, help: "How much, a decimal amount.") var amount: String
        @Option(help: ArgumentHelp("Context for people, KEY=VALUE; repeat as needed.", valueName: "key=value"))
        var metadata: [String] = []
        @Option(help: "Idempotency key: a retry with the same key is the same transaction.") var idempotencyKey: String?

        func run() async throws {
            let context = try ValueParsing.metadata(metadata)
            let request = RemoteBudgetRequest(
                agentID: agent, remoteSystemID: from,
                amount: try ValueParsing.amount(amount, option: "--amount", rule: .positive),
                metadata: context.isEmpty ? nil : context, idempotencyKey: idempotencyKey)
            let transaction = try await api.withClient { client in try await client.requestRemoteBudget(request) }
            try api.output(transaction) { FederationTables.transaction(transaction) }
            try FederationCommand.finish(transaction)
        }
    }

    /// `safeguards federation return --agent A --to system_b --amount 50`
    struct Return: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Give unused remote budget back to its giver.", discussion: FederationCommand.outcomeCodes)
        @OptionGroup var api: APIOptions
        @Option(help: "The agent the budget comes from.") var agent: String
        @Option(help: "The giver's system id.") var to: String
        @Option(parsing: .unconditional, help: "How much, a decimal amount.") var amount: String
        @Option(help: "Idempotency key.") var idempotencyKey: String?

        func run() async throws {
            let request = RemoteReturnRequest(
                agentID: agent, remoteSystemID: to,
                amount: try ValueParsing.amount(amount, option: "--amount", rule: .positive),
                idempotencyKey: idempotencyKey)
            let transaction = try await api.withClient { client in try await client.returnRemoteBudget(request) }
            try api.output(transaction) { FederationTables.transaction(transaction) }
            try FederationCommand.finish(transaction)
        }
    }

    /// `safeguards federation transactions [--peer X]`
    struct Transactions: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List this node's remote transfers and decisions.")
        @OptionGroup var api: APIOptions
        @Option(help: "Only those with this peer.") var peer: String?

        func run() async throws {
            let list = try await api.withClient { client in try await client.federationTransactions(peer: peer) }
            try api.output(list) {
                list.transactions.isEmpty ? "no transactions" : FederationTables.transactions(list.transactions)
            }
        }
    }

    /// `safeguards federation show ID`
    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show this side's record of a transaction id.")
        @OptionGroup var api: APIOptions
        @Argument(help: "The transaction id.") var transactionID: String

        func run() async throws {
            let transaction = try await api.withClient { client in try await client.federationTransaction(transactionID)
            }
            try api.output(transaction) { FederationTables.transaction(transaction) }
        }
    }

    /// `safeguards federation verify [--data-dir PATH]`: offline, from the node's database.
    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Re-check every stored receipt's signature offline, from the node's database.")
        @Option(help: ArgumentHelp("The node's data folder.", valueName: "path")) var dataDir: String = "./.safeguards"
        @Flag(help: "Print the report as JSON.") var json = false

        func run() async throws {
            var config = NodeConfig()
            config.dataDirectory = dataDir
            guard FileManager.default.fileExists(atPath: config.databasePath) else {
                throw CLIError("no node database at \(config.databasePath)")
            }
            let report = try EvidenceCheck.run(store: try LedgerStore(path: config.databasePath))
            if json {
                try Console.printJSON(report)
            } else {
                let count = report.problemCount ?? report.problems.count
                print("checked \(report.checked) receipt(s): \(count == 0 ? "all verify" : "\(count) problem(s)")")
                for problem in report.problems {
                    print("  \(problem.transactionID) from \(problem.peer): \(problem.problem)")
                }
                if count > report.problems.count { print("  (the first \(report.problems.count) are listed)") }
            }
            if !report.problems.isEmpty { throw ExitCode(1) }
        }
    }
}

extension FederationCommand {
    static let outcomeCodes = """
        Exit status: 0 when the giver accepted (or took back) the budget; 3 when it rejected the \
        request (the reason is printed, nothing moved); 4 when it has not answered yet (the node keeps \
        asking with the same transaction id; `safeguards federation show ID` tells the outcome); \
        1 for any other error.
        """

    /// Ends a request or return with the exit status its outcome calls for (see ``outcomeCodes``).
    static func finish(_ transaction: FederationTransactionBody) throws(ExitCode) {
        switch transaction.status {
        case "rejected":
            Console.error("rejected by \(transaction.peer): \(transaction.reason ?? "no reason given")")
            throw CLIExitCode.rejected
        case "pending":
            Console.error(
                "pending: \(transaction.peer) has not answered yet; see `safeguards federation show \(transaction.transactionID)`"
            )
            throw CLIExitCode.pending
        default:
            return
        }
    }
}

/// Federation bodies as terminal text.
enum FederationTables {
    static func transaction(_ body: FederationTransactionBody) -> String {
        var pairs = [
            ("transaction", body.transactionID), ("direction", body.direction), ("kind", body.kind),
            ("peer", body.peer),
            ("agent", body.agentID), ("amount", body.amount.description), ("status", body.status),
        ]
        if let reason = body.reason { pairs.append(("reason", reason)) }
        pairs.append(("created", body.createdAt))
        if let settled = body.settledAt { pairs.append(("settled", settled)) }
        return TextTable.details(pairs).render()
    }

    static func transactions(_ bodies: [FederationTransactionBody]) -> String {
        var table = TextTable([
            .left("TRANSACTION"), .left("DIRECTION"), .left("KIND"), .left("PEER"), .left("AGENT"), .right("AMOUNT"),
            .left("STATUS"), .left("REASON"),
        ])
        for body in bodies {
            table.append([
                body.transactionID, body.direction, body.kind, body.peer, body.agentID, body.amount.description,
                body.status, body.reason ?? "",
            ])
        }
        return table.render()
    }

    static func pool(_ body: FederatedPoolBody) -> String {
        var text = TextTable.details([
            ("pool", body.poolID), ("name", body.pool.name), ("local budget", body.pool.total.description),
        ]).render()
        var table = TextTable([.left("PEER"), .right("REQUESTED"), .right("GRANTED"), .left("STATUS"), .left("REASON")])
        for (peer, grant) in body.grants.sorted(by: { $0.key < $1.key }) {
            table.append([
                peer, grant.requested.description, grant.granted.description, grant.status, grant.reason ?? "",
            ])
        }
        text += "\n" + table.render()
        return text
    }
}
