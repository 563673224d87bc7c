import ArgumentParser
import Foundation
import SafeguardsAPI

/// `safeguards sync status [--watch]` and `safeguards sync now`: what gossip knows of each peer.
struct SyncCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync", abstract: "Inspect and run the gossip that keeps nodes informed of each other.",
        subcommands: [Status.self, Now.self])

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Each peer's liveness, last sync, versions behind, pending transfers and balances.")
        @OptionGroup var api: APIOptions
        @Flag(help: "Refresh the table every --every until interrupted.") var watch = false
        @Option(help: "How often --watch refreshes, in seconds.") var every: Double = 2

        /// With `--watch` on a terminal each refresh clears the screen; into a pipe or a file the
        /// refreshes follow each other, a blank line apart, and each is flushed as it is written,
        /// so a reader sees it at once rather than when a buffer fills.
        func run() async throws {
            let terminal = isatty(STDOUT_FILENO) == 1
            var first = true
            repeat {
                let status = try await api.withClient { client in try await client.syncStatus() }
                if watch && !api.json {
                    if terminal { print("\u{1B}[2J\u{1B}[H", terminator: "") } else if !first { print() }
                }
                try api.output(status) { SyncTables.status(status) }
                fflush(nil)  // every C stream, stdout among them (print writes through it)
                first = false
                if watch { try await Task.sleep(for: .milliseconds(Int(max(0.2, every) * 1000))) }
            } while watch
        }
    }

    struct Now: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Run a gossip exchange with every peer now.")
        @OptionGroup var api: APIOptions

        func run() async throws {
            let results = try await api.withClient { client in try await client.synchronize() }
            try api.output(results) {
                var table = TextTable([.left("PEER"), .left("RESULT"), .left("LAST SYNC"), .left("ERROR")])
                for (peer, result) in results.results.sorted(by: { $0.key < $1.key }) {
                    table.append([peer, result.success ? "ok" : "failed", result.lastSync ?? "-", result.error ?? ""])
                }
                return table.isEmpty ? "no peers" : table.render()
            }
        }
    }
}

enum SyncTables {
    static func status(_ status: SyncStatusBody) -> String {
        var text = "\(status.systemID): generation \(status.generation), version \(status.version)\n"
        var table = TextTable([
            .left("PEER"), .left("STATE"), .right("TRUST"), .right("EFFECTIVE"), .left("LAST SYNC"), .left("SEEN"),
            .right("BEHIND"), .right("PENDING"), .right("REPAIRED"), .left("BALANCES"),
        ])
        for peer in status.peers {
            table.append([
                peer.systemID, peer.state, peer.trustLevel, peer.effectiveTrust, peer.lastSync ?? "never",
                peer.lastSeenVersion ?? "-", String(peer.versionsBehind), String(peer.pendingTransfers),
                "\(peer.disagreementsRepaired)/\(peer.disagreementsFound)", balances(peer),
            ])
        }
        text += table.isEmpty ? "no peers" : table.render()
        return text
    }

    /// The pools' available budget a peer's record shows, `name=amount` each.
    static func balances(_ peer: SyncPeerBody) -> String {
        guard !peer.balances.isEmpty else { return "(no pools)" }
        return peer.balances.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
    }
}
