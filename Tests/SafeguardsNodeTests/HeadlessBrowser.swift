import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Headless Chromium driven over the DevTools protocol on a pipe: started with
/// `--remote-debugging-pipe`, it reads commands on fd 3 and writes answers and events on fd 4,
/// each message one JSON object ended by a NUL byte. Both fds are one end of a socket pair here,
/// so a browser that dies is an error (`send` with `MSG_NOSIGNAL`), never a SIGPIPE.
///
/// The test drives a real page the way a person does: it opens the sign-in form, types the token,
/// submits, and the browser keeps the cookie the node set. Every wait is bounded; ``close()``
/// ends the process by its pid.
final class HeadlessBrowser {
    struct Failure: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    /// `chromium` or `chromium-browser` on PATH; nil when neither is there.
    static func executable() -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for name in ["chromium", "chromium-browser"] {
            for folder in path.split(separator: ":") where FileManager.default.isExecutableFile(atPath: "\(folder)/\(name)") {
                return "\(folder)/\(name)"
            }
        }
        return nil
    }

    let pid: pid_t
    private let socket: Int32
    private let profile: String
    private var received: [UInt8] = []
    private var nextID = 0
    /// The page's session id (`Target.attachToTarget` with `flatten`).
    private var page: String?

    /// Starts the browser with a fresh profile and a window of `width` × `height`.
    init(executable: String, width: Int = 1280, height: Int = 1600) throws {
        profile = NSTemporaryDirectory() + "status-browser-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: profile, withIntermediateDirectories: true)
        var ends: [Int32] = [0, 0]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &ends) == 0 else {
            throw Failure("socketpair: errno \(errno)")
        }
        socket = ends[0]
        // Far from 3 and 4, so the child's dup2 onto them cannot clobber it first.
        let child = fcntl(ends[1], F_DUPFD, 64)
        Glibc.close(ends[1])
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, child, 3)
        posix_spawn_file_actions_adddup2(&actions, child, 4)
        posix_spawn_file_actions_addclose(&actions, child)
        posix_spawn_file_actions_addclose(&actions, socket)
        let arguments = [
            executable, "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
            "--no-default-browser-check", "--disable-extensions", "--remote-debugging-pipe",
            "--user-data-dir=\(profile)", "--window-size=\(width),\(height)", "about:blank",
        ]
        let argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var spawned: pid_t = 0
        let result = posix_spawn(&spawned, executable, &actions, nil, argv, environ)
        Glibc.close(child)
        guard result == 0 else {
            Glibc.close(socket)
            throw Failure("cannot start \(executable): posix_spawn \(result)")
        }
        pid = spawned
    }

    /// Opens a page target and attaches to it; later commands without `browser: true` go to it.
    func openPage() throws {
        let target = try command("Target.createTarget", ["url": "about:blank"], browser: true)
        guard let targetID = target["targetId"] as? String else { throw Failure("no target id in \(target)") }
        let attached = try command("Target.attachToTarget", ["targetId": targetID, "flatten": true], browser: true)
        guard let session = attached["sessionId"] as? String else { throw Failure("no session id in \(attached)") }
        page = session
        _ = try command("Page.enable")
        _ = try command("Runtime.enable")
    }

    /// Navigates the page to `url` (the load itself is waited for with ``waitFor(_:attempts:)``).
    func navigate(_ url: String) throws {
        let answer = try command("Page.navigate", ["url": url])
        if let error = answer["errorText"] as? String { throw Failure("navigation to \(url) failed: \(error)") }
    }

    /// Evaluates `expression` in the page and returns its value (JSON-compatible values only).
    func evaluate(_ expression: String) throws -> Any? {
        let answer = try command("Runtime.evaluate", ["expression": expression, "returnByValue": true])
        if let exception = answer["exceptionDetails"] { throw Failure("\(expression) threw: \(exception)") }
        return (answer["result"] as? [String: Any])?["value"]
    }

    /// Evaluates `expression` every 100 ms until it is `true`, at most `attempts` times.
    func waitFor(_ expression: String, attempts: Int = 300) async throws -> Bool {
        for _ in 0..<attempts {
            if (try? evaluate(expression)) as? Bool == true { return true }
            try await Task.sleep(for: .milliseconds(100))
        }
        return false
    }

    /// A PNG of the page as laid out in the window.
    func screenshot() throws -> Data {
        let answer = try command("Page.captureScreenshot", ["format": "png", "captureBeyondViewport": false])
        guard let text = answer["data"] as? String, let data = Data(base64Encoded: text) else {
            throw Failure("no screenshot data")
        }
        return data
    }

    /// Sends one command and waits (at most `timeout`) for its answer, skipping events.
    ///
    /// - Throws: ``Failure`` when the browser answers an error, closes the pipe, or is silent.
    @discardableResult
    func command(
        _ method: String, _ parameters: [String: Any] = [:], browser: Bool = false, timeout: Duration = .seconds(30)
    ) throws -> [String: Any] {
        nextID += 1
        let id = nextID
        var message: [String: Any] = ["id": id, "method": method, "params": parameters]
        if !browser, let page { message["sessionId"] = page }
        var bytes = [UInt8](try JSONSerialization.data(withJSONObject: message))
        bytes.append(0)
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { Glibc.send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard sent > 0 else { throw Failure("cannot send \(method): errno \(errno)") }
            offset += sent
        }
        let deadline = ContinuousClock.now + timeout
        while true {
            let answer = try nextMessage(until: deadline, waitingFor: method)
            guard answer["id"] as? Int == id else { continue }
            if let error = answer["error"] { throw Failure("\(method) failed: \(error)") }
            return answer["result"] as? [String: Any] ?? [:]
        }
    }

    private func nextMessage(until deadline: ContinuousClock.Instant, waitingFor method: String) throws -> [String: Any] {
        while true {
            if let end = received.firstIndex(of: 0) {
                let bytes = Data(received[..<end])
                received.removeFirst(end + 1)
                return (try? JSONSerialization.jsonObject(with: bytes)) as? [String: Any] ?? [:]
            }
            let left = ContinuousClock.now.duration(to: deadline)
            guard left > .zero else { throw Failure("no answer to \(method) in time") }
            var descriptor = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
            let milliseconds = Int32(min(left.components.seconds * 1000 + 1, 1000))
            guard poll(&descriptor, 1, milliseconds) >= 0 else { throw Failure("poll: errno \(errno)") }
            guard descriptor.revents != 0 else { continue }
            var buffer = [UInt8](repeating: 0, count: 1 << 16)
            let count = buffer.withUnsafeMutableBytes { recv(socket, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { throw Failure("the browser closed the pipe while \(method) was pending") }
            received += buffer[..<count]
        }
    }

    /// Asks the browser to close, then ends it by pid if it has not, and removes its profile.
    func close() {
        _ = try? command("Browser.close", browser: true, timeout: .seconds(5))
        var status: Int32 = 0
        var ended = false
        for _ in 0..<50 {
            if waitpid(pid, &status, WNOHANG) == pid {
                ended = true
                break
            }
            usleep(100_000)
        }
        if !ended {
            kill(pid, SIGKILL)
            waitpid(pid, &status, 0)
        }
        Glibc.close(socket)
        try? FileManager.default.removeItem(atPath: profile)
    }
}
