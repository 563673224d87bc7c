import Foundation

/// Keeps child-process launches apart from moments when the test process holds many descriptors.
///
/// Foundation's `Process.run()` on Linux walks the launching process's open descriptors while it
/// spawns, and crashed (a bad read inside `Process.run`, with descriptor numbers past 1,300 in
/// flight) when the test process held more than about a thousand of them: the in-process nodes
/// of tests running in parallel, their connections, and a descriptor flood. A test that floods
/// descriptors holds this gate for as long as its connections are open (``holding(_:)``); every
/// launch of a child process takes it for the launch alone, and first waits (a bounded while)
/// until the process holds fewer than ``launchDescriptorCeiling`` descriptors (``launch(_:)``).
public actor ProcessLaunchGate {
    public static let shared = ProcessLaunchGate()

    private var isHeld = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    private func acquire() async {
        guard isHeld else {
            isHeld = true
            return
        }
        await withCheckedContinuation { waiters.append($0) }
    }

    private func release() {
        if waiters.isEmpty { isHeld = false } else { waiters.removeFirst().resume() }
    }

    /// Runs `body` (which opens and closes many descriptors) with no child process launching meanwhile.
    public static func holding<T>(_ body: () async throws -> T) async throws -> T {
        await shared.acquire()
        do {
            let result = try await body()
            await shared.release()
            return result
        } catch {
            await shared.release()
            throw error
        }
    }

    /// The most descriptors the test process may hold while it launches a child process.
    public static let launchDescriptorCeiling = 800

    /// Launches a child process (`process.run()` in `launch`) while no descriptor flood is under
    /// way and the process holds fewer than ``launchDescriptorCeiling`` descriptors (waiting at
    /// most 60 s for that; other tests close theirs as they end).
    public static func launch<T>(_ launch: () throws -> T) async throws -> T {
        try await holding {
            for _ in 0..<1200 where openDescriptors() >= launchDescriptorCeiling {
                try await Task.sleep(for: .milliseconds(50))
            }
            return try launch()
        }
    }

    /// How many descriptors this process holds now (0 where `/proc` cannot tell).
    static func openDescriptors() -> Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? 0
    }
}
