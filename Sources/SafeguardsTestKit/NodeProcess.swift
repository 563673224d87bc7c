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
    private var process: Process?

    /// - Parameters:
    ///   - dataDirectory: kept across restarts, so a restarted node finds its database.
    ///   - token: the API token the node is configured with.
    public init(dataDirectory: String, systemID: String = "local", token: String, extraConfig: String = "") {
        self.dataDirectory = dataDirectory
        self.systemID = systemID
        self.token = token
        self.extraConfig = extraConfig
        self.logPath = (dataDirectory as NSString).appendingPathComponent("node.log")
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
        try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
        let configPath = (dataDirectory as NSString).appendingPathComponent("node.yaml")
        let addressPath = (dataDirectory as NSString).appendingPathComponent("api-address")
        try? FileManager.default.removeItem(atPath: addressPath)
        let config = """
            system_id: \(systemID)
            data_dir: \(dataDirectory)
            log_level: info
            api:
              listen: 127.0.0.1:0
              token: \(token)
            """ + (extraConfig.isEmpty ? "" : "\n" + extraConfig)
        try config.write(toFile: configPath, atomically: true, encoding: .utf8)
        if !FileManager.default.fileExists(atPath: logPath) {
            _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        }
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        try log.seekToEnd()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try Self.binaryPath())
        process.arguments = ["node", "run", "--config", configPath]
        process.standardOutput = log
        process.standardError = log
        try process.run()
        self.process = process
        for _ in 0..<600 {
            if let text = try? String(contentsOfFile: addressPath, encoding: .utf8),
                let port = text.split(separator: ":").last.flatMap({ Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) })
            {
                return port
            }
            guard process.isRunning else { throw NodeProcessError("the node exited at start:\n\(self.log)") }
            try await Task.sleep(for: .milliseconds(50))
        }
        await kill()
        throw NodeProcessError("the node did not start listening:\n\(self.log)")
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

/// A TCP port on 127.0.0.1 that was free a moment ago (bound to port 0, read back, closed).
public func freeLoopbackPort() throws -> Int {
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard descriptor >= 0 else { throw NodeProcessError("socket() failed") }
    defer { close(descriptor) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = 0
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let bound = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard bound == 0 else { throw NodeProcessError("bind() failed") }
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let named = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
    }
    guard named == 0 else { throw NodeProcessError("getsockname() failed") }
    return Int(UInt16(bigEndian: address.sin_port))
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
