import Foundation
import SafeguardsNode
import SafeguardsTestKit
import Testing
import Yams

/// What the container files promise, checked without Docker: the compose file runs one image on
/// every node, publishes the APIs on loopback only, checks each node's health and takes its
/// tokens from the environment (`.env`, git-ignored); the image runs as an unprivileged user and
/// its runtime stage holds only the binary. `safeguards node health` is the healthcheck.
///
/// Five minutes, as for the other suites that launch processes: a launch waits at
/// `ProcessLaunchGate` while the connection flood test holds it, over a minute on a loaded machine.
@Suite("Container files and the healthcheck", .timeLimit(.minutes(5)))
struct ContainerTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static func text(_ path: String) throws -> String {
        try String(contentsOf: root.appendingPathComponent(path), encoding: .utf8)
    }

    static func services() throws -> [String: [String: Any]] {
        let compose = try #require(try Yams.load(yaml: try text("docker-compose.yml")) as? [String: Any])
        let services = try #require(compose["services"] as? [String: Any])
        return try services.mapValues { try #require($0 as? [String: Any]) }
    }

    @Test func composeBuildsOneImageAndRunsItOnEveryNode() throws {
        let services = try Self.services()
        #expect(services.keys.sorted() == ["system_a", "system_b", "system_c"])
        #expect(services.values.filter { $0["build"] != nil }.count == 1)
        #expect(Set(services.values.map { $0["image"] as? String }).count == 1)
        for (name, service) in services where service["build"] == nil {
            #expect(service["pull_policy"] as? String == "never", "\(name) may pull an image, not run the one built")
        }
    }

    @Test func composePublishesTheAPIsOnLoopbackOnlyAndChecksTheirHealth() throws {
        for (name, service) in try Self.services() {
            let ports = try #require(service["ports"] as? [String], "\(name) publishes no API")
            for port in ports { #expect(port.hasPrefix("127.0.0.1:"), "\(name) publishes \(port) beyond loopback") }
            let health = try #require(service["healthcheck"] as? [String: Any], "\(name) has no healthcheck")
            #expect((health["test"] as? [String])?.starts(with: ["CMD", "safeguards", "node", "health"]) == true)

            // The node's own config: the API listens on the published container port, and the data
            // folder is the volume, where the healthcheck finds the API's address.
            let command = try #require(service["command"] as? [String])
            let configPath = try #require(command.last)
            let config = try NodeConfig.parse(yaml: try Self.text(configPath))
            #expect(config.dataDirectory == "/data")
            #expect(ports.contains { $0.hasSuffix(":\(config.api.listen.port)") }, "\(name) publishes another port")
            #expect(config.api.token == nil, "\(name) has a token in its config")
        }
    }

    @Test func composeTakesTheTokensFromTheGitIgnoredEnvFile() throws {
        let example = try Self.text(".env.example")
        for (name, service) in try Self.services() {
            let environment = try #require(service["environment"] as? [String: Any])
            let token = try #require(environment["SAFEGUARDS_API_TOKEN"] as? String, "\(name) has no token")
            let variable = try #require(
                token.firstMatch(of: /^\$\{([A-Z_]+):\?/)?.1, "\(name)'s token is not from .env")
            #expect(example.contains("\n\(variable)="), ".env.example lacks \(variable)")
        }
        let ignored = try Self.text(".gitignore").split(separator: "\n").map(String.init)
        #expect(ignored.contains(".env"))
        #expect(try Self.text(".dockerignore").split(separator: "\n").contains(".env"))
    }

    @Test func theImageRunsUnprivilegedWithOnlyTheBinaryAndAHealthcheck() throws {
        let dockerfile = try Self.text("Dockerfile")
        let stages = dockerfile.components(separatedBy: "\nFROM ")
        #expect(stages.count == 3, "a build stage and a runtime stage")
        let runtime = try #require(stages.last).split(separator: "\n").map(String.init)
        let copies = runtime.filter { $0.hasPrefix("COPY ") }
        #expect(copies == ["COPY --from=build /src/.build/release/safeguards /usr/local/bin/safeguards"])
        let user = try #require(runtime.last { $0.hasPrefix("USER ") })
        #expect(!["USER root", "USER 0", "USER 0:0"].contains(user))
        #expect(runtime.contains { $0.hasPrefix("HEALTHCHECK ") })
    }

    /// The build stage copies the manifest and the sources only: with `SAFEGUARDS_NODE_ONLY` set
    /// (as that stage sets it) the manifest names no target outside `Sources/`. Without it, the
    /// tests and the benchmark are back.
    @Test func theImageBuildNeedsOnlyTheManifestAndTheSources() async throws {
        let dockerfile = try Self.text("Dockerfile")
        let build = try #require(dockerfile.components(separatedBy: "\nFROM ").dropFirst().first)
            .split(separator: "\n").map(String.init)
        #expect(build.filter { $0.hasPrefix("COPY ") } == ["COPY Package.swift ./", "COPY Sources ./Sources"])
        #expect(build.contains { $0.hasPrefix("RUN SAFEGUARDS_NODE_ONLY=1 swift build ") })

        // The manifest alone, in a folder of its own (the package's .build is the running tests').
        let directory = try makeTemporaryDirectory("safeguards-manifest")
        try FileManager.default.copyItem(
            atPath: Self.root.appendingPathComponent("Package.swift").path,
            toPath: (directory as NSString).appendingPathComponent("Package.swift"))
        let nodeOnly = try await Self.targets(in: directory, nodeOnly: true)
        #expect(nodeOnly.contains { $0.name == "safeguards" })
        for target in nodeOnly {
            #expect(target.type != "test", "\(target.name) is a test target")
            #expect(target.path.map { $0.hasPrefix("Sources/") } ?? true, "\(target.name) is at \(target.path ?? "")")
        }
        let full = try await Self.targets(in: directory, nodeOnly: false)
        #expect(full.contains { $0.name == "safeguards-bench" } && full.contains { $0.type == "test" })
    }

    /// The targets `swift package dump-package` reads from the manifest in `directory`.
    static func targets(in directory: String, nodeOnly: Bool) async throws -> [(name: String, type: String, path: String?)] {
        let output = (directory as NSString).appendingPathComponent("dump-\(nodeOnly).json")
        _ = FileManager.default.createFile(atPath: output, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["swift", "package", "dump-package"]
        var environment = ProcessInfo.processInfo.environment
        environment["SAFEGUARDS_NODE_ONLY"] = nodeOnly ? "1" : nil
        process.environment = environment
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: output))
        process.standardError = FileHandle.nullDevice
        try await ProcessLaunchGate.launch { try process.run() }
        for _ in 0..<1200 where process.isRunning { try await Task.sleep(for: .milliseconds(50)) }
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        try #require(process.terminationStatus == 0, "swift package dump-package failed")
        let json = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: output))) as? [String: Any])
        let targets = try #require(json["targets"] as? [[String: Any]])
        return targets.map { ($0["name"] as? String ?? "", $0["type"] as? String ?? "", $0["path"] as? String) }
    }

    @Test func nodeHealthAnswersForARunningNodeAndFailsWithoutOne() async throws {
        let directory = try makeTemporaryDirectory("safeguards-health")
        let work = try makeTemporaryDirectory("safeguards-health-work")
        let node = NodeProcess(dataDirectory: directory, token: FederatedProcesses.token)
        try await ShutdownTests.showingLogsOnFailure([node]) {
            let port = try await node.start()
            let healthy = try await CLIRun.run(["node", "health", "--data-dir", directory], in: work)
            try #require(healthy.status == 0, "\(healthy.stderr)")
            try #require(healthy.stdout.contains("local: ok"))

            try await ShutdownTests.requireCleanStop(node)
            let gone = try await CLIRun.run(["node", "health", "--url", "http://127.0.0.1:\(port)"], in: work)
            try #require(gone.status == 1)
            try #require(gone.stderr.contains("not reachable"), "\(gone.stderr)")
        }
    }
}
