import Foundation
import SafeguardsTestKit
import Testing

/// `safeguards sync status --watch` into a pipe: each refresh arrives while the command still
/// runs (it is flushed, not held in a buffer until exit), without the terminal's clear-screen codes.
@Suite("sync status --watch into a pipe", .timeLimit(.minutes(5)))
struct SyncWatchCLITests {
    @Test func eachRefreshReachesThePipeWhileTheCommandRuns() async throws {
        // system_b is a peer that is never started: the status lists it, down.
        try await FederatedProcesses.with(["system_a", "system_b"]) { processes in
            let port = try await processes["system_a"].start()
            let process = Process()
            process.executableURL = URL(fileURLWithPath: try NodeProcess.binaryPath())
            process.arguments = [
                "sync", "status", "--watch", "--every", "0.2", "--url", "http://127.0.0.1:\(port)",
                "--token", FederatedProcesses.token,
            ]
            var environment = ProcessInfo.processInfo.environment
            for variable in ["SAFEGUARDS_URL", "SAFEGUARDS_API_TOKEN", "SAFEGUARDS_CA", "SAFEGUARDS_CERT", "SAFEGUARDS_KEY"] {
                environment[variable] = nil
            }
            process.environment = environment
            let pipe = Pipe()
            process.standardOutput = pipe
            process.standardError = FileHandle.nullDevice
            try await ProcessLaunchGate.launch { try process.run() }
            defer {
                if process.isRunning { kill(process.processIdentifier, SIGKILL) }
                process.waitUntilExit()
            }

            // Read without blocking, so a command that never flushes fails the test instead of holding it.
            let descriptor = pipe.fileHandleForReading.fileDescriptor
            _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) | O_NONBLOCK)
            var received: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 4096)
            var blocks = 0
            for _ in 0..<400 where blocks < 2 && process.isRunning {
                let count = read(descriptor, &buffer, buffer.count)
                if count > 0 { received += buffer[0..<count] }
                blocks = String(decoding: received, as: UTF8.self).components(separatedBy: "system_a: generation").count - 1
                try await Task.sleep(for: .milliseconds(50))
            }
            let text = String(decoding: received, as: UTF8.self)
            #expect(blocks >= 2, "two refreshes before the command ended: \(text)")
            #expect(process.isRunning, "--watch runs until interrupted")
            #expect(text.contains("system_b"))
            #expect(!text.contains("\u{1B}["), "no terminal control codes into a pipe")
        }
    }
}
