import NIOCore
import NIOHTTP1
import NIOPosix

/// Keep-alive connections to one host, at most `maximumConnections` at once. Callers beyond
/// that wait for a free connection.
public actor HTTPConnectionPool {
    public nonisolated let host: String
    public nonisolated let port: Int
    public nonisolated let maximumConnections: Int
    private let group: any EventLoopGroup
    private var idle: [HTTPConnection] = []
    private var open = 0
    private var waiters: [CheckedContinuation<Void, Never>] = []

    public init(host: String, port: Int, maximumConnections: Int = 16, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        self.host = host
        self.port = port
        self.maximumConnections = max(1, maximumConnections)
        self.group = group
    }

    /// Sends one request and returns the whole response. A connection that fails is dropped;
    /// the error is thrown to the caller (requests are not retried here: only the caller knows
    /// whether a request is safe to repeat).
    public func execute(
        method: HTTPMethod, path: String, headers: [(String, String)] = [], body: [UInt8]? = nil
    ) async throws -> HTTPResponse {
        let connection = try await acquire()
        do {
            let response = try await connection.send(
                method: method, path: path, host: "\(host):\(port)", headers: headers, body: body)
            release(connection)
            return response
        } catch {
            discard(connection)
            throw error
        }
    }

    /// Closes every idle connection.
    public func shutdown() {
        for connection in idle { connection.close() }
        open -= idle.count
        idle.removeAll()
    }

    private func acquire() async throws -> HTTPConnection {
        while true {
            while let connection = idle.popLast() {
                if connection.isActive { return connection }
                open -= 1
            }
            if open < maximumConnections {
                open += 1
                do {
                    return try await HTTPConnection.connect(host: host, port: port, group: group)
                } catch {
                    open -= 1
                    wakeOne()
                    throw HTTPTransportError("cannot connect to \(host):\(port): \(error)")
                }
            }
            await withCheckedContinuation { waiters.append($0) }
        }
    }

    private func release(_ connection: HTTPConnection) {
        if connection.isActive {
            idle.append(connection)
        } else {
            open -= 1
        }
        wakeOne()
    }

    private func discard(_ connection: HTTPConnection) {
        connection.close()
        open -= 1
        wakeOne()
    }

    private func wakeOne() {
        if !waiters.isEmpty { waiters.removeFirst().resume() }
    }
}
