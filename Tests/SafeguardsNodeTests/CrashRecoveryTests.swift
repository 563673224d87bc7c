import Foundation
import SafeguardsAPI
import SafeguardsCore
import SafeguardsTestKit
import Testing

/// Acknowledged spends, recorded as their acknowledgements arrive.
actor Acknowledgements {
    private(set) var keys: [String] = []
    private(set) var attempted: [String] = []
    func attempt(_ key: String) { attempted.append(key) }
    func acknowledge(_ key: String) { keys.append(key) }
}

@Suite("Crash recovery of a node process", .timeLimit(.minutes(5)))
struct CrashRecoveryTests {
    @Test func everyAcknowledgedSpendSurvivesSIGKILL() async throws {
        let directory = try makeTemporaryDirectory()
        let node = NodeProcess(dataDirectory: directory, token: "crash-test-token-0123456789")
        do {
            try await run(node)
        } catch {
            print("node log:\n\(node.log)")
            throw error
        }
        await node.kill()
    }

    /// Spends 1 at a time with unique idempotency keys until a request fails.
    static func spendUntilTheNodeIsGone(
        _ client: SafeguardsClient, worker: Int, into acknowledgements: Acknowledgements
    ) async {
        var index = 0
        while index < 100_000 {
            let key = "w\(worker)-\(index)"
            index += 1
            await acknowledgements.attempt(key)
            do {
                _ = try await client.spend(agent: "worker", SpendRequest(amount: Amount(units: 1), idempotencyKey: key))
            } catch {
                return
            }
            await acknowledgements.acknowledge(key)
        }
    }

    /// Creates the agent `worker` (in the pool `load`, 1,000,000 each) on the node behind
    /// `client`, has 16 workers spend 1 at a time from it until the node is gone, and calls `stop`
    /// once `acknowledged` spends were acknowledged. Returns what was attempted and acknowledged.
    static func spendUntilStopped(
        _ client: SafeguardsClient, stopAfter acknowledged: Int, _ stop: () async throws -> Void
    ) async throws -> Acknowledgements {
        let pool = try await client.createPool(CreatePoolRequest(name: "load", initialBudget: 1_000_000, priority: 5))
        _ = try await client.registerAgent(
            RegisterAgentRequest(agentID: "worker", poolID: pool.id, priority: "HIGH", initialBudget: 1_000_000))
        let acknowledgements = Acknowledgements()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in 0..<16 {
                group.addTask { await Self.spendUntilTheNodeIsGone(client, worker: worker, into: acknowledgements) }
            }
            while await acknowledgements.keys.count < acknowledged { try await Task.sleep(for: .milliseconds(5)) }
            try await stop()
            try await group.waitForAll()
        }
        return acknowledgements
    }

    private func run(_ node: NodeProcess) async throws {
        var port = try await node.start()
        var client = SafeguardsClient(host: "127.0.0.1", port: port, token: node.token, maximumConnections: 16)
        // Kill the node mid-load, once enough spends have been acknowledged.
        let acknowledgements = try await Self.spendUntilStopped(client, stopAfter: 300) {
            await node.kill(signal: SIGKILL)
        }
        await client.shutdown()

        port = try await node.start()
        client = SafeguardsClient(host: "127.0.0.1", port: port, token: node.token, maximumConnections: 16)
        let acknowledged = await acknowledgements.keys
        let attempted = await acknowledgements.attempted
        #expect(acknowledged.count >= 300)
        for key in acknowledged {
            let transfer = try await client.transfer("spd:\(key)")
            try #require(transfer.state == "posted", "acknowledged spend \(key) lost")
        }
        // Spends in flight at the kill may or may not have committed; the ledger counts exactly those that did.
        var committed = 0
        for key in attempted {
            do {
                _ = try await client.transfer("spd:\(key)")
                committed += 1
            } catch {
                guard error.code == "not_found" else { throw error }
            }
        }
        let agent = try await client.agent("worker")
        let expectedSpent = Amount(micros: Int64(committed) * Amount.scale)
        #expect(agent.budget.spent == expectedSpent)
        #expect(agent.budget.total == 1_000_000)
        #expect(committed >= acknowledged.count)
        let check = try await client.ledgerCheck()
        try #require(check.balanced)
        await client.shutdown()
    }
}
