import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A plain TCP connection to a node's API for bytes no HTTP client would send: a request
/// trickled a byte at a time, a connection held open and idle. Non-blocking: every wait is a
/// bounded number of short sleeps, and `close` ends it.
final class RawHTTPConnection {
    private let descriptor: Int32
    /// Everything read so far.
    private(set) var received: [UInt8] = []
    /// Whether the node has closed its side.
    private(set) var isClosedByPeer = false

    /// Connects to 127.0.0.1:`port`, from `source` (another loopback address, such as
    /// `127.0.0.2`) when given. Returns once the kernel has established the connection, which
    /// does not mean the node has accepted it.
    init(port: Int, from source: String? = nil) throws {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw RawHTTPError("socket: errno \(errno)") }
        self.descriptor = descriptor
        let steps: [(name: String, host: String, port: Int, call: (Int32, UnsafePointer<sockaddr>, socklen_t) -> Int32)] =
            (source.map { [("bind \($0)", $0, 0, { bind($0, $1, $2) })] } ?? [])
            + [("connect", "127.0.0.1", port, { connect($0, $1, $2) })]
        for step in steps {
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = UInt16(step.port).bigEndian
            address.sin_addr.s_addr = inet_addr(step.host)
            let result = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    step.call(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            guard result == 0 else {
                let error = errno
                Glibc.close(descriptor)
                throw RawHTTPError("\(step.name): errno \(error)")
            }
        }
        _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) | O_NONBLOCK)
    }

    /// Sends `text`; fails once the node has closed the connection.
    func send(_ text: String) throws {
        let bytes = Array(text.utf8)
        let sent = bytes.withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        guard sent == bytes.count else { throw RawHTTPError("send: errno \(errno)") }
    }

    /// Reads what has arrived; notes when the node closed its side.
    func poll() {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if count > 0 {
                received += buffer[..<count]
            } else {
                if count == 0 || (errno != EAGAIN && errno != EWOULDBLOCK) { isClosedByPeer = true }
                return
            }
        }
    }

    /// The text read so far.
    var text: String { String(decoding: received, as: UTF8.self) }

    /// Waits (at most `attempts` x 20 ms) until `condition` holds for what was read; returns whether it did.
    func wait(attempts: Int = 500, until condition: (RawHTTPConnection) -> Bool) async -> Bool {
        for _ in 0..<attempts {
            poll()
            if condition(self) { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        poll()
        return condition(self)
    }

    /// Waits until a whole response has arrived (the answers here have a small body and a
    /// content-length); returns it and forgets it, or nil if none came.
    func response(attempts: Int = 500) async -> String? {
        let complete = await wait(attempts: attempts) { $0.hasCompleteResponse || $0.isClosedByPeer }
        guard complete, hasCompleteResponse else { return nil }
        let answer = text
        received.removeAll()
        return answer
    }

    private var hasCompleteResponse: Bool {
        let text = self.text
        guard let end = text.range(of: "\r\n\r\n") else { return false }
        let head = text[..<end.lowerBound].lowercased()
        guard let line = head.split(separator: "\r\n").first(where: { $0.hasPrefix("content-length:") }),
            let length = Int(line.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces))
        else { return true }
        return text.utf8.count - text[..<end.upperBound].utf8.count >= length
    }

    private var isClosed = false

    func close() {
        guard !isClosed else { return }
        isClosed = true
        Glibc.close(descriptor)
    }

    deinit { close() }
}

struct RawHTTPError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

extension RawHTTPConnection {
    /// A keep-alive `GET /healthz`.
    static let healthCheck = "GET /healthz HTTP/1.1\r\nhost: localhost\r\n\r\n"
}
