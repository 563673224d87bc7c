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

    /// Exits 1 when the ledger is not balanced or its checkpoint disagrees with the journal, so
    /// scripts and CI can rely on it.
    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check that debits equal credits, no account is overdrawn and the stored balances match the "
                + "journal (exit 1 if not).")

        @OptionGroup var api: APIOptions
        @Flag(help: "Recompute every balance from the journal and compare memory too (slow on a big journal).")
        var full = false

        func run() async throws {
            let full = self.full
            let check = try await api.withClient { client in try await client.ledgerCheck(full: full) }
            try api.output(check) { BodyTables.ledgerCheck(check).render() }
            if !check.balanced {
                Console.error("error: the ledger is not balanced")
                throw ExitCode(1)
            }
            if check.checkpoint?.consistent == false {
                Console.error("error: the stored balances do not match the journal")
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
