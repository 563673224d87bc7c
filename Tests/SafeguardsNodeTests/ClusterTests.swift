import Foundation
import SafeguardsAPI
import SafeguardsCore
import SafeguardsTestKit
import Testing

/// Three `safeguards node run` processes over mutual TLS on loopback: system_a and system_c ask,
/// system_b gives.
struct Cluster: NodeProcessCluster {
    static let token = "cluster-test-token-0123456789"
    static let offer: Amount = 100_000
    let nodes: [String: NodeProcess]
    var clients: [String: SafeguardsClient] = [:]

    init(gossip: String = "") throws {
        let systems = ["system_a", "system_b", "system_c"]
        var ports: [String: Int] = [:]
        for system in systems { ports[system] = try freeLoopbackPort() }
        var nodes: [String: NodeProcess] = [:]
        for system in systems {
            let offers = system == "system_b" ? "  offers:\n    system_a: \"\(Self.offer)\"\n    system_c: \"\(Self.offer)\"\n" : ""
            let federation = try DevelopmentFederation.processSection(
                for: system, ports: ports,
                more: """
                      request_timeout: 2s
                    \(offers)  settlement:
                        per_request_cap: "1000"
                        rate_limit: 100000
                        retry_initial: 100ms
                        retry_max: 500ms
                        answer_wait: 2s
                    """) + (gossip.isEmpty ? "" : "\n" + gossip)
            nodes[system] = NodeProcess(
                dataDirectory: try makeTemporaryDirectory("safeguards-cluster-\(system)"), systemID: system,
                token: Self.token, extraConfig: federation)
        }
        self.nodes = nodes
    }

    /// Runs `body` on a new cluster, prints the nodes' logs only when it fails, and ends every node.
    static func with(gossip: String = "", _ body: (inout Cluster) async throws -> Void) async throws {
        try await run(try Cluster(gossip: gossip), body)
    }
}

/// Node processes of a cluster test, and an API client for each one started.
protocol NodeProcessCluster {
    static var token: String { get }
    var nodes: [String: NodeProcess] { get }
    var clients: [String: SafeguardsClient] { get set }
}

extension NodeProcessCluster {
    /// Starts (or starts again) `system`'s node and makes a new client for it.
    mutating func start(_ system: String) async throws {
        let port = try await nodes[system]!.start()
        if let old = clients[system] { await old.shutdown() }
        clients[system] = SafeguardsClient(host: "127.0.0.1", port: port, token: Self.token, maximumConnections: 16)
    }

    /// Ends every client, and every node by its pid.
    func stop() async {
        for client in clients.values { await client.shutdown() }
        for node in nodes.values { await node.kill(signal: SIGTERM) }
    }

    var logs: String {
        nodes.sorted { $0.key < $1.key }.map { "--- \($0.key)\n\($0.value.log)" }.joined(separator: "\n")
    }

    /// Runs `body` on `cluster`, prints the nodes' logs only when it fails, and ends every node.
    static func run(_ cluster: Self, _ body: (inout Self) async throws -> Void) async throws {
        var cluster = cluster
        do {
            try await body(&cluster)
        } catch {
            print(cluster.logs)
            await cluster.stop()
            throw error
        }
        await cluster.stop()
    }
}

@Suite("A three-node cluster over mutual TLS", .timeLimit(.minutes(5)))
struct ClusterTests {
    @Test func aBurstOfRemoteRequestsSurvivesAGiverKilledWithSIGKILL() async throws {
        try await Cluster.with { try await run(&$0) }
    }

    private func run(_ cluster: inout Cluster) async throws {
        for system in ["system_b", "system_a", "system_c"] { try await cluster.start(system) }
        let requesters = ["system_a", "system_c"]
        for system in requesters {
            let client = cluster.clients[system]!
            let pool = try await client.createFederatedPool(
                CreateFederatedPoolRequest(
                    name: "cross_system_pool", localBudget: 1000, priority: 8, remoteAllocations: ["system_b": 50_000]))
            #expect(pool.grants["system_b"]?.granted == 50_000)
            for worker in 0..<4 {
                _ = try await client.registerAgent(
                    RegisterAgentRequest(agentID: "w\(worker)", poolID: pool.poolID, priority: "HIGH", initialBudget: 10))
            }
        }

        // A burst from both requesters; the giver is killed mid-burst and started again.
        let progress = Progress()
        let clients = requesters.map { ($0, cluster.clients[$0]!) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (system, client) in clients {
                for worker in 0..<4 {
                    group.addTask {
                        for index in 0..<25 {
                            let amount = try Amount(units: Int64(1 + (worker + index) % 5))
                            let request = RemoteBudgetRequest(
                                agentID: "w\(worker)", remoteSystemID: "system_b", amount: amount,
                                idempotencyKey: "\(system)-w\(worker)-\(index)")
                            // While the giver is down the call may fail or answer pending; the
                            // same key is asked again until this side has a record of it.
                            while (try? await client.requestRemoteBudget(request)) == nil {
                                try await Task.sleep(for: .milliseconds(50))
                            }
                            await progress.step()
                        }
                    }
                }
            }
            while await progress.count < 40 { try await Task.sleep(for: .milliseconds(5)) }
            await cluster.nodes["system_b"]!.kill(signal: SIGKILL)
            try await Task.sleep(for: .milliseconds(300))
            try await cluster.start("system_b")
            try await group.waitForAll()
        }

        // Every request is settled in the end: the requesters keep retrying in the background.
        let giver = cluster.clients["system_b"]!
        for _ in 0..<600 {
            var pending = 0
            for system in requesters {
                pending += try await cluster.clients[system]!.federationTransactions().transactions.filter {
                    $0.status == "pending"
                }.count
            }
            if pending == 0 { break }
            try await Task.sleep(for: .milliseconds(100))
        }

        for system in requesters {
            let client = cluster.clients[system]!
            let mine = try await client.federationTransactions(peer: "system_b").transactions
            let theirs = try await giver.federationTransactions(peer: system).transactions
            #expect(mine.count == 100)
            #expect(Set(mine.map(\.transactionID)) == Set(theirs.map(\.transactionID)))
            let decided = Dictionary(uniqueKeysWithValues: theirs.map { ($0.transactionID, $0) })
            var accepted = Amount.zero
            for transaction in mine {
                try #require(transaction.status != "pending", "\(transaction.transactionID) never settled")
                let other = try #require(decided[transaction.transactionID])
                #expect(other.status == transaction.status, "\(transaction.transactionID) differs between the sides")
                #expect(other.amount == transaction.amount)
                if transaction.status == "accepted" { accepted = try accepted.adding(transaction.amount) }
            }
            // Conservation: what the giver gave is what the agents received, and the giver's
            // books for this peer still hold its whole offer.
            let giverAccounts = try await giver.accountBalances()
            #expect(giverAccounts.balance("given:\(system)") == accepted)
            #expect(try giverAccounts.balance("credit:\(system)").adding(accepted) == Cluster.offer)
            var agentTotal = Amount.zero
            for agent in try await client.agents().agents { agentTotal = try agentTotal.adding(agent.budget.total) }
            #expect(agentTotal == (try Amount(units: 40).adding(accepted)))
            #expect(try await client.ledgerCheck().balanced)
            let evidence = try await client.verifyEvidence()
            #expect(evidence.problems.isEmpty)
        }
        #expect(try await giver.ledgerCheck().balanced)
    }
}

actor Progress {
    private(set) var count = 0
    func step() { count += 1 }
}

@Suite("Gossip between three node processes", .timeLimit(.minutes(5)))
struct GossipClusterTests {
    static let gossip = """
        gossip:
          interval: 100ms
          suspect_after: 800ms
          dead_after: 2s
        """

    @Test func balancesConvergeAndAKilledNodeTurnsSuspectDeadAndAliveAgain() async throws {
        try await Cluster.with(gossip: Self.gossip) { try await run(&$0) }
    }

    /// Polls `condition` every 50 ms, at most `attempts` times; returns whether it held.
    static func state(of peer: String, on client: SafeguardsClient) async throws -> String? {
        try await client.syncStatus().peers.first { $0.systemID == peer }?.state
    }

    private func run(_ cluster: inout Cluster) async throws {
        let systems = ["system_a", "system_b", "system_c"]
        for system in systems { try await cluster.start(system) }
        let budgets: [String: Amount] = ["system_a": 100, "system_b": 200, "system_c": 300]
        for system in systems {
            _ = try await cluster.clients[system]!.createPool(
                CreatePoolRequest(name: "pool-\(system)", initialBudget: budgets[system]!, priority: 5))
        }
        // Every node sees every other node's pool balance through gossip.
        let clients = cluster.clients
        let converged = try await eventually {
            for system in systems {
                let status = try await clients[system]!.syncStatus()
                for peer in status.peers {
                    guard peer.balances["pool-\(peer.systemID)"] == budgets[peer.systemID], peer.state == "alive" else {
                        return false
                    }
                }
                if status.peers.count != 2 { return false }
            }
            return true
        }
        try #require(converged, "balances did not converge through gossip")
        let status = try await clients["system_a"]!.syncStatus()
        #expect(status.peers.allSatisfy { $0.lastSync != nil && $0.lastSeenVersion != nil })
        // Generation and version, written so that they do not read as one decimal number.
        #expect(status.peers.allSatisfy { $0.lastSeenVersion?.wholeMatch(of: /g[0-9]+\/v[0-9]+/) != nil })
        // A change travels too.
        _ = try await clients["system_b"]!.createPool(CreatePoolRequest(name: "second", initialBudget: 7, priority: 1))
        #expect(try await eventually {
            try await clients["system_a"]!.syncStatus().peers.first { $0.systemID == "system_b" }?.balances["second"] == 7
        })
        // POST /v1/sync runs an exchange with each peer now.
        let results = try await clients["system_a"]!.synchronize()
        #expect(results.results["system_b"]?.success == true)
        #expect(results.results["system_c"]?.success == true)

        // system_c is killed: the others suspect it, then declare it dead...
        await cluster.nodes["system_c"]!.kill(signal: SIGKILL)
        var sawSuspect = false
        let dead = try await eventually {
            let state = try await Self.state(of: "system_c", on: clients["system_a"]!)
            if state == "suspect" { sawSuspect = true }
            return state == "dead"
        }
        #expect(sawSuspect)
        #expect(dead)
        #expect(try await eventually { try await Self.state(of: "system_c", on: clients["system_b"]!) == "dead" })
        // ...and alive again once it is back (dead peers are still tried, at a slower pace).
        try await cluster.start("system_c")
        for system in ["system_a", "system_b"] {
            let client = clients[system]!
            #expect(try await eventually { try await Self.state(of: "system_c", on: client) == "alive" }, "on \(system)")
        }
    }
}
