import ArgumentParser

/// The `safeguards` command: run a node, drive it through its API, play the demo.
@main
struct Safeguards: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "safeguards",
        abstract: "Budget enforcement for AI-agent systems: a node per system, driven over HTTP.",
        subcommands: [
            NodeCommand.self, PoolCommand.self, AgentCommand.self, ReserveCommand.self, SettleCommand.self,
            ReleaseCommand.self, SpendCommand.self, AlertsCommand.self, LedgerCommand.self, TransferCommand.self,
            DemoCommand.self,
            PolicyCommand.self, RateLimitCommand.self, ResourcesCommand.self, CostBenefitCommand.self, UsageCommand.self,
            OptimizerCommand.self,
            CertsCommand.self, PeersCommand.self, FederationCommand.self, SyncCommand.self,
        ]
    )
}
