import ArgumentParser
import Foundation
import Logging
import SafeguardsCore
import SafeguardsFederation
import SafeguardsNode
import SafeguardsTestKit

/// `safeguards demo`: starts system_a, system_b and system_c in this process with fresh data
/// folders, joins them over mutual TLS with the development certificates, plays the
/// ``LocalBudgetScenario`` on system_a and the ``FederationScenario`` across all three through
/// their HTTP APIs, then the ``LearningScenario`` on a fourth node with recorded history, and
/// prints what happened.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: """
            Run four nodes in this process (three federated, one with recorded use) and play the \
            budget, federation and learning scenarios against them.
            """,
        discussion: """
            Each node uses the embedded defaults, a fresh temporary data folder and free ports on \
            127.0.0.1; they trust the development CA in Certs/. Exits 0 when every step went as \
            expected, 1 otherwise.
            """)

    @Flag(help: "Show the node's logs (info and above); by default only warnings and errors.")
    var verbose = false

    @Flag(help: "Keep the demo's data folder (SQLite database, token) instead of deleting it.")
    var keepData = false

    @Option(help: ArgumentHelp("The folder of the development certificates.", valueName: "path"))
    var certs: String?

    static let systems = ["system_a", "system_b", "system_c"]
    /// What system_b and system_c offer system_a, before trust.
    static let offers: [String: Amount] = ["system_b": 2000, "system_c": 1000]

    func run() async throws {
        let level: Logger.Level = verbose ? .info : .warning
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let certificates = try certificateFolder()
        let root = (NSTemporaryDirectory() as NSString)
            .appendingPathComponent("safeguards-demo-\(UUID().uuidString.prefix(8).lowercased())")
        let report = DemoReport()
        report.heading(
            """
            Safeguards demo: four nodes in this process on loopback. system_a, system_b and system_c are joined \
            over mutual TLS with the development certificates in \(certificates): a local budget scenario on \
            system_a, then the cross-system federation scenario. system_d, with four weeks of recorded use, \
            shows the learning allocators.
            """)
        let succeeded: Bool
        do {
            let configs = try Self.systems.map { try config(for: $0, root: root, certificates: certificates, level: level) }
            try await InProcessNode.withRunning(config: configs[0], logger: logger(configs[0], level)) { a in
                try await InProcessNode.withRunning(config: configs[1], logger: logger(configs[1], level)) { b in
                    try await InProcessNode.withRunning(config: configs[2], logger: logger(configs[2], level)) { c in
                        for node in [a, b, c] {
                            report.heading(
                                "  \(node.config.systemID): API \(node.address), federation 127.0.0.1:\(node.federationPort ?? 0)")
                        }
                        report.heading("\nPart 1: one node's budgets (system_a)")
                        try await LocalBudgetScenario(client: a.client, report: report).play()
                        report.heading("\nPart 2: budgets across systems")
                        try await FederationScenario(
                            a: try member(a, certificates), b: try member(b, certificates), c: try member(c, certificates),
                            report: report
                        ).play()
                    }
                }
            }
            report.heading("\nPart 3: learning allocators (system_d, outside the federation, with four weeks of synthetic recorded use)")
            let learning = try await learningConfig(root: root, level: level)
            try await InProcessNode.withRunning(config: learning, logger: logger(learning, level)) { d in
                try await LearningScenario(client: d.client, report: report).play()
            }
            succeeded = true
        } catch {
            report.failed(error)
            succeeded = false
        }
        if keepData {
            report.heading("\nData kept in \(root).")
        } else {
            try? FileManager.default.removeItem(atPath: root)
        }
        guard succeeded else {
            report.heading("\nDemo failed.")
            throw ExitCode(1)
        }
        report.heading("\nDemo finished: \(report.stepCount) steps, every outcome as expected.")
    }

    /// The embedded defaults for `system`, its data in `root`, its API on a free loopback port.
    private func localConfig(_ system: String, root: String, level: Logger.Level) -> NodeConfig {
        var config = NodeConfig.defaults()
        config.systemID = system
        config.dataDirectory = (root as NSString).appendingPathComponent(system)
        config.api.listen = HostPort(host: "127.0.0.1", port: 0)
        config.api.token = nil
        config.logLevel = level
        return config
    }

    private func config(for system: String, root: String, certificates: String, level: Logger.Level) throws
        -> NodeConfig
    {
        var config = localConfig(system, root: root, level: level)
        var federation = FederationConfig(
            listen: HostPort(host: "127.0.0.1", port: 0), caPath: "\(certificates)/ca.pem",
            certificatePath: "\(certificates)/\(system).pem", privateKeyPath: "\(certificates)/\(system).key",
            signingKeyPath: "\(certificates)/\(system).signing.key")
        if let offer = Self.offers[system] { federation.offers = [try SystemID("system_a"): offer] }
        federation.settlement.perRequestCap = 5000
        config.federation = federation
        return config
    }

    /// A standalone node whose database already holds ``LearningScenario/history``.
    private func learningConfig(root: String, level: Logger.Level) async throws -> NodeConfig {
        var config = localConfig("system_d", root: root, level: level)
        config.policies.tick = .seconds(3600)
        try FileManager.default.createDirectory(
            atPath: config.dataDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        try await SyntheticUsage.record(databasePath: config.databasePath, pools: LearningScenario.history, before: .now())
        return config
    }

    private func logger(_ config: NodeConfig, _ level: Logger.Level) -> Logger {
        var logger = Logger(label: "safeguards.demo.\(config.systemID)")
        logger.logLevel = level
        return logger
    }

    private func member(_ node: InProcessNode, _ certificates: String) throws -> FederationScenario.Member {
        let key = try String(contentsOfFile: "\(certificates)/\(node.config.systemID).signing.pub", encoding: .utf8)
        return FederationScenario.Member(
            systemID: node.config.systemID, client: node.client, federationPort: node.federationPort ?? 0,
            publicKey: key.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// `--certs`, else `Certs/` in the working folder, else the repository's `Certs/` next to these sources.
    private func certificateFolder() throws -> String {
        let candidates: [String] = [
            certs, FileManager.default.currentDirectoryPath + "/Certs",
            URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Certs").path,
        ].compactMap { $0 as String? }
        for folder in candidates where FileManager.default.fileExists(atPath: "\(folder)/ca.pem") {
            return folder
        }
        throw CLIError("cannot find the development certificates; run from the repository or pass --certs")
    }
}
