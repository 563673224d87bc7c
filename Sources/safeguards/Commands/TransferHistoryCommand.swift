import ArgumentParser
import SafeguardsAPI

/// `safeguards transfers list [--agent A] [--pool P] [--since T] [--until T] [--kind K] [--limit N] [--after C] [--all]`
struct TransfersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "transfers", abstract: "Read the ledger's transfer history.", subcommands: [List.self])

    /// One page of the history, newest first, or every page with `--all`.
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List transfers, newest first (one page; --all follows every page).")

        @OptionGroup var api: APIOptions

        @Option(help: "Only transfers that touch this agent's accounts.")
        var agent: String?

        @Option(help: "Only transfers that touch this pool's account or an account of one of its agents.")
        var pool: String?

        @Option(help: "Only transfers created at or after this RFC 3339 time (e.g. 2026-12-02T18:00:00Z).")
        var since: String?

        @Option(help: "Only transfers created before this RFC 3339 time.")
        var until: String?

        @Option(help: "Only transfers of this kind (spend, reservation, agent_allocation, budget_update, ...).")
        var kind: String?

        @Option(help: "Transfers per page, 1-1000 (default: the node's, 100).")
        var limit: Int?

        @Option(help: "The cursor a previous page printed as next.")
        var after: String?

        @Flag(help: "Follow next until the last page and print every transfer.")
        var all = false

        func validate() throws {
            if let limit, !(1...1000).contains(limit) { throw ValidationError("--limit: must be from 1 to 1000 (got \(limit))") }
            if all, after != nil { throw ValidationError("--all starts at the newest transfer: leave out --after") }
        }

        func run() async throws {
            let query = TransferQuery(agentID: agent, poolID: pool, since: since, until: until, kind: kind)
            let list = try await api.withClient { client in
                all
                    ? try await client.transfers(query, limit: limit)
                    : try await client.transfers(query, page: PageQuery(limit: limit, after: after))
            }
            try api.output(list) {
                var text = list.transfers.isEmpty ? "no transfers" : BodyTables.transfers(list.transfers).render()
                if let next = list.next { text += "\nnext: \(next) (--after \(next) for the next page, --all for every one)" }
                return text
            }
        }
    }
}
