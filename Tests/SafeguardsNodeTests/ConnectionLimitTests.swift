import Foundation
import SafeguardsAPI
import SafeguardsCore
import SafeguardsNode
import SafeguardsTestKit
import Testing

/// The API listener's limits: idle keep-alive connections and slow requests are closed, only so
/// many connections are open at once, and a flood at the descriptor limit does not stop the node.
@Suite("API connection limits", .timeLimit(.minutes(5)))
struct ConnectionLimitTests {
    @Test func anIdleKeepAliveConnectionIsClosedAfterTheIdleTimeout() async throws {
        try await TestNode.with(configure: { $0.api.idleTimeout = .milliseconds(300) }) { client, _ in
            let connection = try RawHTTPConnection(port: try await Self.port(of: client))
            try connection.send(RawHTTPConnection.healthCheck)
            #expect(await connection.response()?.hasPrefix("HTTP/1.1 200") == true)
            // Nothing more is sent: the node closes the connection on its own.
            #expect(await connection.wait { $0.isClosedByPeer })
        }
    }

    @Test(arguments: [
        "GET /healthz HTTP/1.1\r\nhost: localhost\r\nx-padding: \(String(repeating: "a", count: 400))\r\n\r\n",
        "POST /v1/pools HTTP/1.1\r\nhost: localhost\r\nauthorization: Bearer \(TestNode.token)\r\n"
            + "content-type: application/json\r\ncontent-length: 400\r\n\r\n"
            + String(repeating: " ", count: 400),
    ])
    func aTrickledRequestIsAnswered408AndClosedAtTheHeaderTimeout(_ request: String) async throws {
        try await TestNode.with(configure: {
            $0.api.headerTimeout = .milliseconds(300)
            $0.api.idleTimeout = .seconds(60)
        }) { client, _ in
            let connection = try RawHTTPConnection(port: try await Self.port(of: client))
            // The head arrives whole when the request has a body, so the body is what trickles.
            let split = request.hasPrefix("POST") ? request.range(of: "\r\n\r\n")!.upperBound : request.startIndex
            if split > request.startIndex { try connection.send(String(request[..<split])) }
            var sent = 0
            for character in request[split...] {
                connection.poll()
                if connection.isClosedByPeer { break }
                try? connection.send(String(character))
                sent += 1
                try await Task.sleep(for: .milliseconds(25))
            }
            #expect(await connection.wait { $0.isClosedByPeer })
            #expect(sent < request[split...].count, "the whole request was trickled in without the node closing")
            #expect(connection.text.hasPrefix("HTTP/1.1 408"), "\(connection.text)")
        }
    }

    /// Each request on a keep-alive connection has its own deadline: requests that together take
    /// longer than the header timeout are all answered, and a request trickled in after them is
    /// still cut off.
    @Test func requestsOnAKeepAliveConnectionEachHaveTheirOwnDeadline() async throws {
        try await TestNode.with(configure: {
            $0.api.headerTimeout = .milliseconds(300)
            $0.api.idleTimeout = .seconds(60)
        }) { client, _ in
            let connection = try RawHTTPConnection(port: try await Self.port(of: client))
            for _ in 0..<8 {
                try connection.send(RawHTTPConnection.healthCheck)
                #expect(await connection.response()?.hasPrefix("HTTP/1.1 200") == true)
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(!connection.isClosedByPeer)
            for character in RawHTTPConnection.healthCheck {
                connection.poll()
                if connection.isClosedByPeer { break }
                try? connection.send(String(character))
                try await Task.sleep(for: .milliseconds(25))
            }
            #expect(await connection.wait { $0.isClosedByPeer })
            #expect(connection.text.hasPrefix("HTTP/1.1 408"), "\(connection.text)")
        }
    }

    @Test func connectionsPastTheCapWaitWhileOpenOnesAreAnswered() async throws {
        try await TestNode.with(configure: { $0.api.maxConnections = 2 }) { client, _ in
            let port = try await Self.port(of: client)
            let first = try RawHTTPConnection(port: port)
            try first.send(RawHTTPConnection.healthCheck)
            #expect(await first.response()?.hasPrefix("HTTP/1.1 200") == true)
            let second = try RawHTTPConnection(port: port)
            try second.send(RawHTTPConnection.healthCheck)
            #expect(await second.response()?.hasPrefix("HTTP/1.1 200") == true)

            // A third connection is not accepted while two are open...
            let third = try RawHTTPConnection(port: port)
            try third.send(RawHTTPConnection.healthCheck)
            // ...while the open ones are answered as before.
            try first.send(RawHTTPConnection.healthCheck)
            #expect(await first.response()?.hasPrefix("HTTP/1.1 200") == true)
            try second.send(RawHTTPConnection.healthCheck)
            #expect(await second.response()?.hasPrefix("HTTP/1.1 200") == true)
            third.poll()
            #expect(third.received.isEmpty, "\(third.text)")

            // One closes; the waiting connection is accepted and answered.
            second.close()
            #expect(await third.response()?.hasPrefix("HTTP/1.1 200") == true)
        }
    }

    @Test func capsAreFittedToTheDescriptorLimit() {
        // Plenty of descriptors: the caps stay as configured.
        #expect(DescriptorBudget.caps(api: 1024, federation: 256, limit: 1 << 20) == (1024, 256))
        // 256 descriptors, 128 reserved: 128 shared in proportion.
        let fitted = DescriptorBudget.caps(api: 1024, federation: 256, limit: 256)
        #expect(fitted.api + (fitted.federation ?? 0) <= 256 - DescriptorBudget.reserved)
        #expect(fitted.api > 0 && (fitted.federation ?? 0) > 0)
        #expect(DescriptorBudget.caps(api: 1024, federation: nil, limit: 256) == (128, nil))
        // Fewer descriptors than the reserve: one connection each, never zero.
        #expect(DescriptorBudget.caps(api: 10, federation: 10, limit: 16) == (1, 1))
    }

    static func port(of client: SafeguardsClient) async throws -> Int { client.endpoint.port }
}

/// A node process under a low descriptor limit, flooded with connections past it.
@Suite("A connection flood at the descriptor limit", .timeLimit(.minutes(5)))
struct DescriptorFloodTests {
    static let token = "flood-test-token-0123456789"
    static let limit = 192
    static let flood = 300

    @Test func aNodeAtItsDescriptorLimitRefusesNewConnectionsAndServesTheOpenOnes() async throws {
        // The flood needs more descriptors than this test process may have by default.
        DescriptorBudget.raiseSoftLimitToHard()
        let node = NodeProcess(
            dataDirectory: try makeTemporaryDirectory(), token: Self.token,
            launcher: ["prlimit", "--nofile=\(Self.limit):\(Self.limit)", "--"])
        do {
            try await Self.floodAndServe(node)
        } catch {
            print("node log:\n\(node.log)")
            throw error
        }
        await node.kill()
    }

    static func floodAndServe(_ node: NodeProcess) async throws {
        let port = try await node.start()
        let client = SafeguardsClient(host: "127.0.0.1", port: port, token: token, maximumConnections: 1)
        _ = try await Fixture.make(client, agents: [("a1", "100")])
        _ = try await client.spend(agent: "a1", SpendRequest(amount: 1, idempotencyKey: "before"))
        let kept = try RawHTTPConnection(port: port)
        try kept.send(RawHTTPConnection.healthCheck)
        #expect(await kept.response()?.hasPrefix("HTTP/1.1 200") == true)

        // No child process may launch while this test holds hundreds of descriptors (ProcessLaunchGate).
        try await ProcessLaunchGate.holding {
            // More connections than the node has descriptors, some idle, some with half a request.
            var flood: [RawHTTPConnection] = []
            for index in 0..<Self.flood {
                let connection = try RawHTTPConnection(port: port)
                if index.isMultiple(of: 2) { try? connection.send("GET /healthz HTTP/1.1\r\n") }
                flood.append(connection)
            }
            let limitReached = await kept.wait { _ in node.log.contains("API connection limit reached") }
            #expect(limitReached, "the node never reported its connection limit")
            // It stopped accepting below its descriptor limit, not at it.
            let pid = try #require(node.pid)
            let descriptors = try FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count
            #expect(descriptors < Self.limit - 16, "the node holds \(descriptors) of its \(Self.limit) descriptors")

            // The open connections are served throughout, spends included.
            try kept.send(RawHTTPConnection.healthCheck)
            #expect(await kept.response()?.hasPrefix("HTTP/1.1 200") == true)
            let spend = #"{"amount": "1", "idempotency_key": "during"}"#
            try kept.send(
                "POST /v1/agents/a1/spend HTTP/1.1\r\nhost: localhost\r\nauthorization: Bearer \(token)\r\n"
                    + "content-type: application/json\r\ncontent-length: \(spend.utf8.count)\r\n\r\n\(spend)")
            let spent = await kept.response()
            #expect(spent?.hasPrefix("HTTP/1.1 20") == true, "\(spent ?? "no answer")")
            #expect(node.isRunning)

            // The flood goes; new connections are answered again.
            for connection in flood { connection.close() }
        }
        let fresh = SafeguardsClient(host: "127.0.0.1", port: port, token: token, maximumConnections: 1)
        let healthy = try await eventually { (try? await fresh.health()) != nil }
        #expect(healthy)
        _ = try await fresh.spend(agent: "a1", SpendRequest(amount: 1, idempotencyKey: "after"))
        #expect(try await fresh.ledgerCheck().balanced)
        #expect(try await fresh.agent("a1").budget.spent == Amount(units: 3))
        #expect(node.isRunning)
        #expect(node.log.contains("descriptor_limit=\(Self.limit)"))
        await client.shutdown()
        await fresh.shutdown()
    }
}
