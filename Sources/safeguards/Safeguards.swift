import ArgumentParser
import Foundation

/// The `safeguards` command: run a node, drive it through its API, play the demo.
@main
struct Safeguards: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "safeguards",
        abstract: "Budget enforcement for AI-agent systems: a node per system, driven over HTTP.",
        discussion: """
            Exit status: 0 on success; 1 when the node refused the request or could not be reached, or a \
            file or config is unusable (one `error:` line, no usage); 3 when a peer rejected a \
            `federation request` or `return`, 4 while its answer is pending; 64 for a mistake in the \
            command line (with the usage).
            """,
        subcommands: [
            NodeCommand.self, PoolCommand.self, AgentCommand.self, ReserveCommand.self, SettleCommand.self,
            ReleaseCommand.self, SpendCommand.self, AlertsCommand.self, LedgerCommand.self, TransferCommand.self,
            TransfersCommand.self,
            DemoCommand.self,
            PolicyCommand.self, RateLimitCommand.self, ResourcesCommand.self, CostBenefitCommand.self,
            UsageCommand.self,
            OptimizerCommand.self,
            CertsCommand.self, PeersCommand.self, FederationCommand.self, SyncCommand.self, KeysCommand.self,
        ]
    )

    /// Parses and runs the command. A ``CLIError`` is printed as one `error:` message and ends the
    /// process with its exit code; every other error is reported by ArgumentParser (usage errors
    /// with the usage text).
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var command = command as? any AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
        } catch let error as CLIError {
            Console.error("error: \(error.message)")
            exit(withError: error.exitCode)
        } catch {
            exit(withError: error)
        }
    }
}
