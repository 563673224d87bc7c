import ArgumentParser
import Foundation
import Logging
import SafeguardsAPI
import SafeguardsNode

/// `safeguards node ...`
struct NodeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "node", abstract: "Run a Safeguards node, or check that one answers.",
        subcommands: [Run.self, Health.self])

    /// `safeguards node run [--config node.yaml]`
    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run a node until SIGTERM or SIGINT.",
            discussion: """
                Without --config the node runs with embedded defaults: system id 'local', data in \
                ./.safeguards, API on 127.0.0.1:8080, and an API token generated in the data folder.
                """)

        @Option(name: .long, help: "Path to the node's YAML config.")
        var config: String?

        func run() async throws {
            let nodeConfig: NodeConfig
            do {
                nodeConfig =
                    try config.map { (path) throws(ConfigError) in try NodeConfig.load(path: path) }
                    ?? NodeConfig.defaults()
            } catch {
                throw CLIError(error.description)
            }
            LoggingSystem.bootstrap { label in
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = nodeConfig.logLevel
                return handler
            }
            var logger = Logger(label: "safeguards.node")
            logger[metadataKey: "system_id"] = "\(nodeConfig.systemID)"
            // What this process creates is its owner's alone (the node's own files are created
            // with explicit private modes as well; this covers anything else it writes).
            umask(0o077)
            // Every connection costs a descriptor; the hard limit is the most the node may use.
            let descriptors = DescriptorBudget.raiseSoftLimitToHard()
            logger.info(
                "file descriptor limit", metadata: ["descriptor_limit": "\(descriptors.map { "\($0)" } ?? "unlimited")"])
            await DispatchWarmUp.armEveryClock()
            let node: BudgetNode
            do {
                node = try BudgetNode.open(config: nodeConfig, logger: logger)
            } catch {
                throw CLIError(error.description)
            }
            // After the data folder is ours (a second node on it is told so first), before any
            // service starts or any peer is dialled: a port clash names the config key and address.
            try ListenerCheck.run(nodeConfig)
            logger.info("node starting", metadata: ["data_dir": "\(nodeConfig.dataDirectory)"])
            try await node.run()
            logger.info("node stopped")
        }
    }

    /// `safeguards node health [--data-dir PATH | --url URL]`
    struct Health: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check that a node answers GET /healthz (exit 0), as a container healthcheck does.",
            discussion: """
                The node is found like every other command finds it (--url, SAFEGUARDS_URL, the \
                api-address file in --data-dir); no token is needed. Exits 1 when the node does not \
                answer or answers anything but ok.
                """)

        @OptionGroup var api: APIOptions

        func run() async throws {
            let health = try await api.withClient { client in try await client.health() }
            try api.output(health) { "\(health.systemID): \(health.status)" }
            guard health.status == "ok" else { throw CLIError("the node answered status '\(health.status)'") }
        }
    }
}
