import Foundation
import SafeguardsAPI
import SafeguardsCore
import SafeguardsTestKit
import Testing

/// `safeguards node run` processes of the development federation (Certs/), each listing the
/// others as peers on free loopback ports. A system that is never started is a peer that is down.
struct FederatedProcesses {
    static let token = "shutdown-test-token-0123456789"
    let nodes: [String: NodeProcess]

    init(_ systems: [String], api: String = "") throws {
        var ports: [String: Int] = [:]
        for system in systems { ports[system] = try freeLoopbackPort() }
        var nodes: [String: NodeProcess] = [:]
        for system in systems {
            let federation = try DevelopmentFederation.processSection(for: system, ports: ports)
            nodes[system] = NodeProcess(
                dataDirectory: try makeTemporaryDirectory("safeguards-shutdown-\(system)"), systemID: system,
                token: Self.token, extraConfig: api + federation)
        }
        self.nodes = nodes
    }

    subscript(system: String) -> NodeProcess { nodes[system]! }

    /// Runs `body`, prints every node's log only when it fails, and ends every node (SIGKILL ends
    /// a frozen one too).
    static func with(
        _ systems: [String], api: String = "", _ body: (FederatedProcesses) async throws -> Void
    ) async throws {
        let processes = try FederatedProcesses(systems, api: api)
        try await ShutdownTests.showingLogsOnFailure(systems.compactMap { processes.nodes[$0] }) {
            try await body(processes)
        }
    }
}

@Suite("Stopping a node process with SIGTERM", .timeLimit(.minutes(5)))
struct ShutdownTests {
    /// How long a node may take to exit after SIGTERM before a test calls it stuck: far above
    /// what a stop takes (well under a second with nothing in flight), and below the 10-20 s a
    /// node took when each connection to a peer that did not answer held the stop for 5 s.
    static let stopBound: Duration = .seconds(10)

    @Test func anIdleKeepAliveConnectionIsClosedAndTheNodeStops() async throws {
        let node = NodeProcess(dataDirectory: try makeTemporaryDirectory(), token: FederatedProcesses.token)
        try await Self.showingLogsOnFailure([node]) {
            let port = try await node.start()
            let connection = try RawHTTPConnection(port: port)
            defer { connection.close() }
            try connection.send(RawHTTPConnection.healthCheck)
            let answer = await connection.response()
            try #require(answer?.hasPrefix("HTTP/1.1 200") == true)

            try await Self.requireCleanStop(node)
            try #require(await connection.wait { $0.isClosedByPeer }, "the idle keep-alive connection was left open")
        }
    }

    @Test func aNodeWithOnePeerUpAndOneDownStops() async throws {
        // system_c is a peer of both and never runs.
        try await FederatedProcesses.with(["system_a", "system_b", "system_c"]) { nodes in
            let a = try await nodes["system_a"].start()
            let b = try await nodes["system_b"].start()
            try await Self.ping("system_b", from: a)
            try await Self.ping("system_a", from: b)

            try await Self.requireCleanStop(nodes["system_a"])
            try await Self.requireCleanStop(nodes["system_b"])
        }
    }

    /// A peer that vanished without closing its connections (a frozen process, a container whose
    /// address is gone) never answers a TLS close: each connection with it held the stop for 5 s.
    @Test func peersThatNoLongerAnswerDoNotHoldTheStop() async throws {
        try await FederatedProcesses.with(["system_a", "system_b", "system_c"]) { nodes in
            let a = try await nodes["system_a"].start()
            for peer in ["system_b", "system_c"] {
                // A connection each way with each peer, then the peer freezes.
                try await Self.ping("system_a", from: try await nodes[peer].start())
                try await Self.ping(peer, from: a)
            }
            for peer in ["system_b", "system_c"] { nodes[peer].send(signal: SIGSTOP) }
            defer { for peer in ["system_b", "system_c"] { nodes[peer].send(signal: SIGCONT) } }

            try await Self.requireCleanStop(nodes["system_a"])
        }
    }

    /// A request that waits for a peer that does not answer is answered with the failure once
    /// `api.shutdown_grace` has passed, and the node stops.
    @Test func aRequestWaitingForAPeerIsAnsweredWhenTheGraceRunsOut() async throws {
        try await FederatedProcesses.with(["system_a", "system_b"], api: "  shutdown_grace: 1s\n") { nodes in
            let a = try await nodes["system_a"].start()
            try await Self.ping("system_a", from: try await nodes["system_b"].start())
            try await Self.ping("system_b", from: a)
            nodes["system_b"].send(signal: SIGSTOP)
            defer { nodes["system_b"].send(signal: SIGCONT) }
            // This ping would wait for the frozen peer up to the request timeout, 10 s.
            let client = SafeguardsClient(host: "127.0.0.1", port: a, token: FederatedProcesses.token)
            let ping = Task { () -> APIClientError? in
                do throws(APIClientError) {
                    _ = try await client.ping(peer: "system_b")
                    return nil
                } catch {
                    return error
                }
            }
            // Time for the ping to reach the node (SIGTERM before it would refuse it instead).
            try await Task.sleep(for: .seconds(1))

            try await Self.requireCleanStop(nodes["system_a"])
            let error = await ping.value
            await client.shutdown()
            try #require(
                error?.code == "peer_unreachable", "the ping in flight was not answered: \(String(describing: error))")
            try #require(nodes["system_a"].log.contains("cutting them"))
        }
    }

    /// Spends in flight at SIGTERM are answered or refused; every answered one is on disk after a
    /// restart, none that went unanswered is, and the ledger balances.
    @Test func spendsInFlightAreAnsweredOrRefusedAndNothingAcknowledgedIsLost() async throws {
        let node = NodeProcess(dataDirectory: try makeTemporaryDirectory(), token: FederatedProcesses.token)
        try await Self.showingLogsOnFailure([node]) {
            var client = SafeguardsClient(
                host: "127.0.0.1", port: try await node.start(), token: node.token, maximumConnections: 16)
            let acknowledgements = try await CrashRecoveryTests.spendUntilStopped(client, stopAfter: 200) {
                try await Self.requireCleanStop(node)
            }
            await client.shutdown()

            client = SafeguardsClient(host: "127.0.0.1", port: try await node.start(), token: node.token)
            let acknowledged = Set(await acknowledgements.keys)
            var committed = 0
            for key in await acknowledgements.attempted {
                do {
                    let transfer = try await client.transfer("spd:\(key)")
                    try #require(transfer.state == "posted")
                    try #require(acknowledged.contains(key), "spend \(key) was committed but its request got no answer")
                    committed += 1
                } catch let error as APIClientError where error.code == "not_found" {
                    try #require(!acknowledged.contains(key), "acknowledged spend \(key) lost")
                }
            }
            try #require(committed == acknowledged.count)
            let agent = try await client.agent("worker")
            try #require(agent.budget.spent == Amount(micros: Int64(committed) * Amount.scale))
            try #require(try await client.ledgerCheck().balanced)
            await client.shutdown()
        }
    }

    // MARK: Helpers

    /// Sends SIGTERM and requires the node to exit 0 within ``stopBound`` and say it stopped.
    static func requireCleanStop(_ node: NodeProcess, at location: SourceLocation = #_sourceLocation) async throws {
        let status = await node.terminate(within: stopBound)
        let name = node.systemID
        try #require(status != nil, "\(name) still ran \(stopBound) after SIGTERM", sourceLocation: location)
        try #require(status == 0, "\(name) exited \(status ?? -1) after SIGTERM", sourceLocation: location)
        try #require(node.log.contains("node stopped"), "\(name) did not log that it stopped", sourceLocation: location)
    }

    /// Runs `body`, prints each node's log when it throws (every check that matters here is a
    /// `#require`), and ends every node.
    static func showingLogsOnFailure(_ nodes: [NodeProcess], _ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch {
            for node in nodes { print("--- \(node.systemID) log:\n\(node.log)") }
            for node in nodes { await node.kill() }
            throw error
        }
        for node in nodes { await node.kill() }
    }

    /// Pings `peer` from the node whose API is on `port`, which opens a connection from it to the peer.
    static func ping(_ peer: String, from port: Int) async throws {
        let client = SafeguardsClient(host: "127.0.0.1", port: port, token: FederatedProcesses.token)
        do {
            _ = try await client.ping(peer: peer)
        } catch {
            await client.shutdown()
            throw error
        }
        await client.shutdown()
    }
}
