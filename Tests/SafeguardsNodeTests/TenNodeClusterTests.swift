import Foundation
import SafeguardsAPI
import SafeguardsCore
import SafeguardsTestKit
import Testing

/// Ten `safeguards node run` processes over mutual TLS on loopback, with a federation CA and ten
/// identities issued by `safeguards certs` as an operator would. Every node lists the nine others
/// as peers and offers each of them a credit line.
struct TenNodeCluster: NodeProcessCluster {
    static let token = "ten-node-cluster-token-0123456789"
    static let systems = (0..<10).map { "node_\($0)" }
    /// The credit line every node offers every other (trust 0.8 lets a peer draw 80% of it).
    static let offer: Amount = 10_000
    /// Short intervals, so a killed node is `dead` within seconds; generous enough that a node
    /// starved of CPU for a moment on a loaded machine is not declared dead for it.
    static let gossip = """
        gossip:
          interval: 200ms
          suspect_after: 2s
          dead_after: 4s
        """

    let nodes: [String: NodeProcess]
    var clients: [String: SafeguardsClient] = [:]

    /// Issues the CA and the identities with the CLI, and writes every node's config.
    static func make() async throws -> TenNodeCluster {
        let certificates = try makeTemporaryDirectory("safeguards-ten-nodes-ca")
        try await certs(["init-ca", "--dir", certificates, "--name", "Ten-node test federation CA"], in: certificates)
        for system in systems {
            try await certs(["issue", "--system-id", system, "--dir", certificates], in: certificates)
        }
        var ports: [String: Int] = [:]
        for system in systems { ports[system] = try freeLoopbackPort() }
        var nodes: [String: NodeProcess] = [:]
        for system in systems {
            let section = try federationSection(for: system, ports: ports, certificates: certificates)
            nodes[system] = NodeProcess(
                dataDirectory: try makeTemporaryDirectory("safeguards-ten-nodes-\(system)"), systemID: system,
                token: token, extraConfig: section + "\n" + gossip)
        }
        return TenNodeCluster(nodes: nodes)
    }

    private static func certs(_ arguments: [String], in directory: String) async throws {
        let run = try await CLIRun.run(["certs"] + arguments, in: directory)
        guard run.status == 0 else {
            throw NodeProcessError("safeguards certs \(arguments.joined(separator: " ")) failed:\n\(run.stderr)")
        }
    }

    /// The `federation` section of `system`: its files from `certificates`, the nine others as
    /// peers with the signing keys `certs issue` wrote, and a credit line offered to each.
    private static func federationSection(for system: String, ports: [String: Int], certificates: String) throws
        -> String
    {
        let others = systems.filter { $0 != system }
        let peers = try others.map { peer in
            let key = try String(contentsOfFile: "\(certificates)/\(peer).signing.pub", encoding: .utf8)
                .trimmingCharacters(in: .whitespacesAndNewlines)
            return """
                    - system_id: \(peer)
                      address: 127.0.0.1:\(ports[peer] ?? 0)
                      trust_level: 0.8
                      public_key: \(key)
                """
        }.joined(separator: "\n")
        let offers = others.map { "    \($0): \"\(offer)\"" }.joined(separator: "\n")
        return """
            federation:
              listen: 127.0.0.1:\(ports[system] ?? 0)
              ca: \(certificates)/ca.pem
              certificate: \(certificates)/\(system).pem
              private_key: \(certificates)/\(system).key
              signing_key: \(certificates)/\(system).signing.key
              request_timeout: 5s
              peers:
            \(peers)
              offers:
            \(offers)
              settlement:
                per_request_cap: "1000"
                rate_limit: 100000
                retry_initial: 100ms
                retry_max: 1s
                answer_wait: 5s
            """
    }

    /// Runs `body` on a new cluster, prints the nodes' logs only when it fails, and ends every node
    /// (by its pid).
    static func with(_ body: (inout TenNodeCluster) async throws -> Void) async throws {
        try await run(try await make(), body)
    }
}

/// Ten processes on a two-core machine beside the rest of the suite would slow everything down:
/// this suite runs only with `SAFEGUARDS_CLUSTER_TESTS=1`, in its own step of `.ci/run`.
@Suite(
    "Ten node processes gossip, detect failures and settle",
    .enabled(if: ProcessInfo.processInfo.environment["SAFEGUARDS_CLUSTER_TESTS"] == "1"),
    .timeLimit(.minutes(5)))
struct TenNodeClusterTests {
    /// Polling attempts (50 ms apart, plus each check's own time): a liveness bound of minutes
    /// for a loaded machine, never a measurement.
    static let patience = 2400

    @Test func tenNodesAgreeDetectAKilledNodeAndSettleBetweenRandomPairs() async throws {
        try await TenNodeCluster.with { try await run(&$0) }
    }

    private func run(_ cluster: inout TenNodeCluster) async throws {
        let systems = TenNodeCluster.systems
        for system in systems { try await cluster.start(system) }
        var budgets: [String: Amount] = [:]
        for (index, system) in systems.enumerated() {
            budgets[system] = try Amount(units: Int64(100 * (index + 1)))
            _ = try await cluster.clients[system]!.createPool(
                CreatePoolRequest(name: "pool-\(system)", initialBudget: budgets[system]!, priority: 5))
        }
        let clients = cluster.clients

        // Every node sees every other alive, with its pool's balance.
        let everyoneAgrees = try await eventually(Self.patience) {
            try await Self.everyNodeSeesEveryOther(budgets: budgets, systems: systems, clients: clients)
        }
        try #require(everyoneAgrees, "the ten nodes did not come to see each other alive with the right balances")

        try await settleBetweenRandomPairs(clients: clients)

        // node_9 is killed with SIGKILL: every other node declares it dead...
        let victim = "node_9"
        await cluster.nodes[victim]!.kill(signal: SIGKILL)
        for system in systems where system != victim {
            let client = clients[system]!
            let dead = try await eventually(Self.patience) { await Self.state(of: victim, on: client) == "dead" }
            #expect(dead, "\(system) did not declare \(victim) dead")
        }
        // ...and alive again once it is back.
        try await cluster.start(victim)
        let restarted = cluster.clients
        for system in systems where system != victim {
            let client = restarted[system]!
            let alive = try await eventually(Self.patience) { await Self.state(of: victim, on: client) == "alive" }
            #expect(alive, "\(system) did not see \(victim) alive again")
        }
        let backTogether = try await eventually(Self.patience) {
            try await Self.everyNodeSeesEveryOther(budgets: budgets, systems: systems, clients: restarted)
        }
        #expect(backTogether, "the restarted node and the others did not see each other alive again")
    }

    /// Remote requests between seeded random pairs, in parallel: each settles with the same status
    /// on both sides, and the books of every pair keep the budget (conservation across nodes).
    private func settleBetweenRandomPairs(clients: [String: SafeguardsClient]) async throws {
        let systems = TenNodeCluster.systems
        var random = SeededRandom(seed: 10)
        var givers: [String: Set<String>] = [:]
        while givers.values.reduce(0, { $0 + $1.count }) < 15 {
            let requester = systems[Int.random(in: 0..<systems.count, using: &random)]
            let giver = systems[Int.random(in: 0..<systems.count, using: &random)]
            if requester != giver { givers[requester, default: []].insert(giver) }
        }
        let initialAgentBudget: Amount = 10
        for (requester, its) in givers {
            let pool = try await clients[requester]!.createFederatedPool(
                CreateFederatedPoolRequest(
                    name: "shared", localBudget: 1000, priority: 8,
                    remoteAllocations: Dictionary(uniqueKeysWithValues: its.map { ($0, Amount(5000)) })))
            for giver in its { #expect(pool.grants[giver]?.granted == 5000, "\(giver) granted \(requester)") }
            _ = try await clients[requester]!.registerAgent(
                RegisterAgentRequest(
                    agentID: "worker", poolID: pool.poolID, priority: "HIGH", initialBudget: initialAgentBudget))
        }
        let pairs = givers.flatMap { requester, its in its.map { (requester, $0) } }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (requester, giver) in pairs {
                let client = clients[requester]!
                group.addTask {
                    for index in 0..<4 {
                        let request = RemoteBudgetRequest(
                            agentID: "worker", remoteSystemID: giver, amount: try Amount(units: Int64(1 + index)),
                            idempotencyKey: "\(requester)-\(giver)-\(index)")
                        // A refused connection or a timeout is asked again under the same key.
                        while (try? await client.requestRemoteBudget(request)) == nil {
                            try await Task.sleep(for: .milliseconds(100))
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        let settled = try await eventually(Self.patience) {
            for requester in givers.keys {
                let pending = try await clients[requester]!.federationTransactions().transactions.filter {
                    $0.status == "pending"
                }
                if !pending.isEmpty { return false }
            }
            return true
        }
        try #require(settled, "remote requests stayed pending")

        for (requester, its) in givers {
            let client = clients[requester]!
            var receivedByAgent = Amount.zero
            for giver in its {
                // Only what this side asked: the giver may have asked this node too.
                let mine = try await client.federationTransactions(peer: giver).transactions
                    .filter { $0.direction == "outgoing" }
                let theirs = try await clients[giver]!.federationTransactions(peer: requester).transactions
                    .filter { $0.direction == "incoming" }
                #expect(mine.count == 4, "\(requester) asked \(giver) four times")
                let decided = Dictionary(uniqueKeysWithValues: theirs.map { ($0.transactionID, $0) })
                var accepted = Amount.zero
                for transaction in mine {
                    let other = try #require(decided[transaction.transactionID], "\(giver) lacks a request")
                    #expect(other.status == transaction.status, "\(transaction.transactionID) differs between sides")
                    #expect(other.amount == transaction.amount)
                    if transaction.status == "accepted" { accepted = try accepted.adding(transaction.amount) }
                }
                #expect(accepted > .zero, "\(giver) accepted nothing of \(requester)")
                // The giver's books: what it gave this requester plus what is left of the line is the offer.
                let books = try await clients[giver]!.accountBalances()
                #expect(books.balance("given:\(requester)") == accepted)
                #expect(try books.balance("credit:\(requester)").adding(accepted) == TenNodeCluster.offer)
                receivedByAgent = try receivedByAgent.adding(accepted)
            }
            // The requester's agent holds its own budget plus exactly what its givers accepted.
            let agents = try await client.agents().agents
            let agentTotal = try agents.reduce(Amount.zero) { try $0.adding($1.budget.total) }
            #expect(agentTotal == (try initialAgentBudget.adding(receivedByAgent)), "on \(requester)")
        }
        for system in systems {
            #expect(try await clients[system]!.ledgerCheck().balanced, "the ledger of \(system) does not balance")
        }
    }

    /// The state `client`'s node gives `peer`, or `nil` when it cannot say now.
    static func state(of peer: String, on client: SafeguardsClient) async -> String? {
        try? await client.syncStatus().peers.first { $0.systemID == peer }?.state
    }

    /// Whether every node lists the nine others, each `alive` and with its pool's balance.
    static func everyNodeSeesEveryOther(
        budgets: [String: Amount], systems: [String], clients: [String: SafeguardsClient]
    ) async throws -> Bool {
        for system in systems {
            guard let status = try? await clients[system]!.syncStatus(), status.peers.count == systems.count - 1 else {
                return false
            }
            for peer in status.peers {
                guard peer.state == "alive", peer.balances["pool-\(peer.systemID)"] == budgets[peer.systemID] else {
                    return false
                }
            }
        }
        return true
    }
}
