import Foundation
import Logging
import SafeguardsAPI
import SafeguardsCore
import SafeguardsNode
import SafeguardsTestKit
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// One node per data folder, whether the second one is another process or the same one.
@Suite("One node per data folder", .timeLimit(.minutes(5)))
struct DataFolderLockTests {
    @Test func aSecondOpenInTheSameProcessIsRefused() async throws {
        let directory = try makeTemporaryDirectory()
        try await TestNode.with(dataDirectory: directory) { client, node in
            #expect(node.dataFolderLock.isHeld)
            let address = try String(contentsOfFile: directory + "/api-address", encoding: .utf8)
            let error = #expect(throws: NodeStartupError.self) {
                _ = try BudgetNode.open(
                    config: TestNode.config(dataDirectory: directory), logger: Logger(label: "second"))
            }
            #expect(error?.message.contains(directory) == true)
            #expect(error?.message.contains("pid \(getpid())") == true)
            // The refused node left the running one's files alone, and the running one serves.
            #expect(try String(contentsOfFile: directory + "/api-address", encoding: .utf8) == address)
            _ = try await Fixture.make(client)
            #expect(try await client.ledgerCheck().balanced)
        }
        // Once the first node stopped, the folder opens again.
        try await TestNode.with(dataDirectory: directory) { client, _ in
            let agent = try await client.agent("a1")
            #expect(agent.budget.available == 100)
        }
    }

    @Test func aSecondNodeProcessExitsNamingTheFolderAndTheHolder() async throws {
        let directory = try makeTemporaryDirectory()
        let token = "lock-test-token-0123456789"
        let first = NodeProcess(dataDirectory: directory, token: token)
        let second = NodeProcess(dataDirectory: directory, token: token, logName: "second.log")
        var restarted: NodeProcess?
        do {
            let port = try await first.start()
            let client = SafeguardsClient(host: "127.0.0.1", port: port, token: token)
            _ = try await Fixture.make(client, agents: [("a1", "1")])
            let address = try String(contentsOfFile: directory + "/api-address", encoding: .utf8)

            let status = try await second.startExpectingExit()
            #expect(status != 0)
            let refusal = second.log
            #expect(refusal.contains(directory))
            #expect(refusal.contains("pid \(try #require(first.pid))"))
            #expect(try String(contentsOfFile: directory + "/api-address", encoding: .utf8) == address)

            // The first node keeps serving, alone: the agent's 1.00 is spent once.
            _ = try await client.spend(agent: "a1", SpendRequest(amount: 1))
            await #expect(throws: APIClientError.self) {
                _ = try await client.spend(agent: "a1", SpendRequest(amount: 1))
            }
            #expect(try await client.ledgerCheck().balanced)

            // kill -9 leaves the lock file with a dead pid behind; it blocks nobody.
            await first.kill()
            let again = NodeProcess(dataDirectory: directory, token: token, logName: "restarted.log")
            restarted = again
            let newPort = try await again.start()
            let newClient = SafeguardsClient(host: "127.0.0.1", port: newPort, token: token)
            let agent = try await newClient.agent("a1")
            #expect(agent.budget.spent == 1)
            #expect(agent.budget.available == 0)
            #expect(try await newClient.ledgerCheck().balanced)
            await client.shutdown()
            await newClient.shutdown()
        } catch {
            print("first node log:\n\(first.log)\nsecond node log:\n\(second.log)")
            if let restarted { print("restarted node log:\n\(restarted.log)") }
            await first.kill()
            await second.kill()
            await restarted?.kill()
            throw error
        }
        await first.kill()
        await restarted?.kill()
    }
}
