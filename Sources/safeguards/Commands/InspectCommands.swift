import ArgumentParser
import SafeguardsAPI

/// `safeguards alerts [--agent A]`
struct AlertsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "alerts", abstract: "List usage alerts (warning at 75% used, critical at 90%).")

    @OptionGroup var api: APIOptions

    @Option(help: "Only this agent's alerts.")
    var agent: String?

    func run() async throws {
        let list = try await api.withClient { client in try await client.alerts(agent: agent) }
        try api.output(list) { list.alerts.isEmpty ? "no alerts" : BodyTables.alerts(list.alerts).render() }
    }
}

/// `safeguards ledger check`
struct LedgerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ledger", abstract: "Inspect the node's ledger.", subcommands: [Check.self])

    /// Exits 1 when the ledger is not balanced, so scripts and CI can rely on it.
    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check that debits equal credits and no account is overdrawn (exit 1 if not).")

        @OptionGroup var api: APIOptions

        func run() async throws {
            let check = try await api.withClient { client in try await client.ledgerCheck() }
            try api.output(check) { BodyTables.ledgerCheck(check).render() }
            if !check.balanced {
                Console.error("error: the ledger is not balanced")
                throw ExitCode(1)
            }
        }
    }
}

/// `safeguards transfer show ID`
struct TransferCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "transfer", abstract: "Inspect ledger transfers.", subcommands: [Show.self])

    /// `safeguards transfer show ID`
    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one transfer.")

        @OptionGroup var api: APIOptions

        @Argument(help: "The transfer id (a reservation id is a transfer id too).")
        var id: String

        func run() async throws {
            let transfer = try await api.withClient { client in try await client.transfer(id) }
            try api.output(transfer) { BodyTables.transfer(transfer).render() }
        }
    }
}
