import Foundation

/// A `safeguards node run` child process for tests: its own data folder, an API on a free
/// loopback port (the node binds port 0 and writes the port it got), stopped by pid.
/// Its log is kept in a file and shown only when a test asks (on failure).
public final class NodeProcess: @unchecked Sendable {
    // @unchecked: `process` is only touched by the test that owns this value, one call at a time.
    public let dataDirectory: String
    public let systemID: String
    public let token: String
    public let logPath: String
    /// More YAML appended to the generated config (a `federation` section, say).
    public let extraConfig: String
    /// More keys of the `api` section, one a line without indentation (`handshake_timeout: 1s`).
    public let apiConfig: [String]
    /// A command the node is started through, with its arguments, ahead of the node's own
    /// command line (`["prlimit", "--nofile=256:256", "--"]` runs it under a descriptor limit).
    public let launcher: [String]
    private var process: Process?

    /// - Parameters:
    ///   - dataDirectory: kept across restarts, so a restarted node finds its database.
    ///   - token: the API token the node is configured with.
    ///   - logName: the log file's name in the data folder (a second node on the same folder
    ///     needs a log of its own).
    ///   - launcher: a command to start the node through (found on PATH), or none.
    public init(
        dataDirectory: String, systemID: String = "local", token: String, extraConfig: String = "",
        apiConfig: [String] = [], logName: String = "node.log", launcher: [String] = []
    ) {
        self.dataDirectory = dataDirectory
        self.systemID = systemID
        self.token = token
        self.extraConfig = extraConfig
        self.apiConfig = apiConfig
        self.launcher = launcher
        self.logPath = (dataDirectory as NSString).appendingPathComponent(logName)
    }

    /// The `safeguards` binary built next to the running test bundle (or `SAFEGUARDS_BINARY`).
    public static func binaryPath() throws -> String {
        if let path = ProcessInfo.processInfo.environment["SAFEGUARDS_BINARY"] { return path }
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? CommandLine.arguments[0]
        var directory = (executable as NSString).deletingLastPathComponent
        for _ in 0..<4 {
            let candidate = (directory as NSString).appendingPathComponent("safeguards")
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            directory = (directory as NSString).deletingLastPathComponent
        }
        throw NodeProcessError("cannot find the safeguards binary near \(executable); build it or set SAFEGUARDS_BINARY")
    }

    public var pid: Int32? { process?.processIdentifier }
    public var isRunning: Bool { process?.isRunning ?? false }

    /// Starts the node and waits until its API listens; returns the port.
    public func start() async throws -> Int {
        let addressPath = (dataDirectory as NSString).appendingPathComponent("api-address")
        try? FileManager.default.removeItem(atPath: addressPath)
        let process = try await ProcessLaunchGate.launch { try launch() }
        for _ in 0..<600 {
            if let text = try? String(contentsOfFile: addressPath, encoding: .utf8),
                let port = text.split(separator: ":").last.flatMap({ Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) })
            {
                // The node writes its address once all its listeners are up.
                return port
            }
            guard process.isRunning else { throw NodeProcessError("the node exited at start:\n\(self.log)") }
            try await Task.sleep(for: .milliseconds(50))
        }
        await kill()
        throw NodeProcessError("the node did not start listening:\n\(self.log)")
    }

    /// Starts a node that is expected to refuse to start, touching nothing in the data folder
    /// itself, and waits until it exits; returns its exit status. A node still running after
    /// `attempts` × 50 ms is killed and reported as an error.
    public func startExpectingExit(attempts: Int = 400) async throws -> Int32 {
        let process = try await ProcessLaunchGate.launch { try launch() }
        for _ in 0..<attempts {
            if !process.isRunning { return process.terminationStatus }
            try await Task.sleep(for: .milliseconds(50))
        }
        await kill()
        throw NodeProcessError("the node did not exit:\n\(self.log)")
    }

    /// Writes the config (when it differs from the one there) and runs the node.
    private func launch() throws -> Process {
        try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
        let configPath = (dataDirectory as NSString).appendingPathComponent("node.yaml")
        let config = """
            system_id: \(systemID)
            data_dir: \(dataDirectory)
            log_level: info
            api:
              listen: 127.0.0.1:0
              token: \(token)
            """ + apiConfig.map { "\n  " + $0 }.joined() + (extraConfig.isEmpty ? "" : "\n" + extraConfig)
        if (try? String(contentsOfFile: configPath, encoding: .utf8)) != config {
            try config.write(toFile: configPath, atomically: true, encoding: .utf8)
        }
        if !FileManager.default.fileExists(atPath: logPath) {
            _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        }
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        try log.seekToEnd()
        let process = Process()
        let command = [try Self.binaryPath(), "node", "run", "--config", configPath]
        if let first = launcher.first {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [first] + launcher.dropFirst() + command
        } else {
            process.executableURL = URL(fileURLWithPath: command[0])
            process.arguments = Array(command.dropFirst())
        }
        process.standardOutput = log
        process.standardError = log
        try process.run()
        self.process = process
        return process
    }

    /// Sends `signal` (SIGKILL by default) to the node and waits for it to exit, without
    /// blocking a thread of the cooperative pool.
    public func kill(signal: Int32 = SIGKILL) async {
        guard let process, process.isRunning else { return }
        Foundation.kill(process.processIdentifier, signal)
        while process.isRunning {
            try? await Task.sleep(for: .milliseconds(10))
        }
    }

    /// Sends `signal` to the node without waiting (SIGSTOP freezes it as a vanished host would
    /// look to its peers: connections stay open and nothing answers; SIGCONT wakes it).
    public func send(signal: Int32) {
        guard let process, process.isRunning else { return }
        Foundation.kill(process.processIdentifier, signal)
    }

    /// Sends SIGTERM and waits for the node to exit, at most `bound` (a liveness bound, not a
    /// measurement). Returns its exit status, or `nil` when it still ran then, in which case it is
    /// killed with SIGKILL.
    public func terminate(within bound: Duration) async -> Int32? {
        guard let process else { return nil }
        if process.isRunning { Foundation.kill(process.processIdentifier, SIGTERM) }
        let end = ContinuousClock.now + bound
        while process.isRunning && ContinuousClock.now < end {
            try? await Task.sleep(for: .milliseconds(20))
        }
        guard !process.isRunning else {
            await kill()
            return nil
        }
        return process.terminationStatus
    }

    /// What the node wrote to its log so far.
    public var log: String {
        (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "(no log)"
    }

    deinit {
        if let process, process.isRunning {
            Foundation.kill(process.processIdentifier, SIGKILL)
        }
    }
}

/// A TCP port on 127.0.0.1 for a node process to listen on, free when checked.
///
/// Chosen at random below the kernel's ephemeral range (read from
/// /proc/sys/net/ipv4/ip_local_port_range, 32768 by default): a port the kernel hands out for
/// outgoing connections (and for listeners on port 0) could be taken by another test between
/// this check and the node's bind, while ports below that range are only ever taken on purpose.
public func freeLoopbackPort() throws -> Int {
    let ephemeralStart = (try? String(contentsOfFile: "/proc/sys/net/ipv4/ip_local_port_range", encoding: .utf8))
        .flatMap { $0.split(whereSeparator: \.isWhitespace).first.flatMap { Int($0) } } ?? 32768
    let range = 20_000..<max(20_001, min(ephemeralStart, 32_768))
    for _ in 0..<200 {
        let port = Int.random(in: range)
        if canBind(port) { return port }
    }
    throw NodeProcessError("no free loopback port in \(range)")
}

/// Whether a listener could bind 127.0.0.1:`port` now.
private func canBind(_ port: Int) -> Bool {
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard descriptor >= 0 else { return false }
    defer { close(descriptor) }
    var reuse: Int32 = 1
    setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &reuse, socklen_t(MemoryLayout<Int32>.size))
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = UInt16(port).bigEndian
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    return withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    } == 0
}

/// The node process could not be started.
public struct NodeProcessError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// A fresh temporary folder for a test.
public func makeTemporaryDirectory(_ prefix: String = "safeguards-test") throws -> String {
    let path = (NSTemporaryDirectory() as NSString).appendingPathComponent("\(prefix)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}
