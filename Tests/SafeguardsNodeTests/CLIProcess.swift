import Foundation
import SafeguardsTestKit

/// One run of the built `safeguards` binary as a child process, for tests of what the CLI prints
/// and how it exits. It runs in `directory` (so the default `./.safeguards` is that folder's), with
/// the environment of the tests less `SAFEGUARDS_URL`, `SAFEGUARDS_API_TOKEN` and the TLS file variables
/// plus `environment`.
struct CLIRun {
    let status: Int32
    let stdout: String
    let stderr: String

    static func run(
        _ arguments: [String], in directory: String, environment: [String: String] = [:], attempts: Int = 600
    ) async throws -> CLIRun {
        var env = ProcessInfo.processInfo.environment
        env["SAFEGUARDS_URL"] = nil
        for variable in ["SAFEGUARDS_CA", "SAFEGUARDS_CERT", "SAFEGUARDS_KEY"] { env[variable] = nil }
        env["SAFEGUARDS_API_TOKEN"] = nil
        env.merge(environment) { _, new in new }
        let name = UUID().uuidString
        let outPath = (directory as NSString).appendingPathComponent("cli-\(name).out")
        let errPath = (directory as NSString).appendingPathComponent("cli-\(name).err")
        _ = FileManager.default.createFile(atPath: outPath, contents: nil)
        _ = FileManager.default.createFile(atPath: errPath, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try NodeProcess.binaryPath())
        process.arguments = arguments
        process.environment = env
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: outPath))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
        try await ProcessLaunchGate.launch { try process.run() }
        for _ in 0..<attempts where process.isRunning {
            try await Task.sleep(for: .milliseconds(50))
        }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            while process.isRunning { try await Task.sleep(for: .milliseconds(10)) }
            throw NodeProcessError("safeguards \(arguments.joined(separator: " ")) did not finish")
        }
        return CLIRun(
            status: process.terminationStatus,
            stdout: (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "")
    }
}

/// A TCP listener on 127.0.0.1 held by the test, so a node configured for its port finds it taken.
final class HeldPort {
    let port: Int
    private let descriptor: Int32

    init() throws {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw NodeProcessError("socket() failed") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0, listen(descriptor, 1) == 0 else {
            close(descriptor)
            throw NodeProcessError("cannot hold a loopback port")
        }
        var actual = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        self.descriptor = descriptor
        self.port = Int(UInt16(bigEndian: actual.sin_port))
    }

    deinit { close(descriptor) }
}
