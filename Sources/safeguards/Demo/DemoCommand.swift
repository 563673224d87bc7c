import ArgumentParser
import Foundation
import Logging
import SafeguardsNode

/// `safeguards demo`: starts a node in this process with a fresh data folder, plays the
/// ``LocalBudgetScenario`` through its HTTP API, and prints what happened.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run a node in this process and play a budget scenario against it.",
        discussion: """
            The node uses the embedded defaults, a fresh temporary data folder and a free port on \
            127.0.0.1. Exits 0 when every step went as expected, 1 otherwise.
            """)

    @Flag(help: "Show the node's logs (info and above); by default only warnings and errors.")
    var verbose = false

    @Flag(help: "Keep the demo's data folder (SQLite database, token) instead of deleting it.")
    var keepData = false

    func run() async throws {
        let level: Logger.Level = verbose ? .info : .warning
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let dataDirectory = (NSTemporaryDirectory() as NSString)
            .appendingPathComponent("safeguards-demo-\(UUID().uuidString.prefix(8).lowercased())")
        var config = NodeConfig.defaults()
        config.dataDirectory = dataDirectory
        config.api.listen = HostPort(host: "127.0.0.1", port: 0)
        config.logLevel = level
        var logger = Logger(label: "safeguards.demo")
        logger.logLevel = level
        logger[metadataKey: "system_id"] = "\(config.systemID)"

        let report = DemoReport()
        report.heading("Safeguards demo: one node in this process, a budget scenario played through its HTTP API.")
        let succeeded: Bool
        do {
            try await InProcessNode.withRunning(config: config, logger: logger) { node in
                report.heading(
                    "Node '\(node.config.systemID)' listens on \(node.address); its data is in \(dataDirectory)"
                        + (keepData ? "." : " (removed at the end unless --keep-data)."))
                try await LocalBudgetScenario(client: node.client, report: report).play()
            }
            succeeded = true
        } catch {
            report.failed(error)
            succeeded = false
        }
        if keepData {
            report.heading("\nData kept in \(dataDirectory).")
        } else {
            try? FileManager.default.removeItem(atPath: dataDirectory)
        }
        guard succeeded else {
            report.heading("\nDemo failed.")
            throw ExitCode(1)
        }
        report.heading("\nDemo finished: \(report.stepCount) steps, every outcome as expected.")
    }
}
