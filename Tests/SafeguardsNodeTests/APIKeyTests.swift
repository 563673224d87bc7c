import Crypto
import Foundation
import SafeguardsAPI
import SafeguardsCore
import SafeguardsNode
import SafeguardsStore
import SafeguardsTestKit
import Testing

/// Scoped API keys: created by an admin and shown once, stored as a hash, refused at once when
/// revoked or expired, kept across a restart, bounded, and named on the transfers they make.
@Suite("Scoped API keys", .timeLimit(.minutes(5)))
struct APIKeyTests {
    /// A pool `research` with agent `coder`, and a pool `other` with agent `stranger`.
    struct Fixture {
        var research: String
        var other: String

        static func make(_ client: SafeguardsClient) async throws -> Fixture {
            let research = try await client.createPool(
                CreatePoolRequest(name: "research", initialBudget: 1000, priority: 7))
            let other = try await client.createPool(CreatePoolRequest(name: "other", initialBudget: 1000, priority: 5))
            _ = try await client.registerAgent(
                RegisterAgentRequest(agentID: "coder", poolID: research.id, priority: "HIGH", initialBudget: 100))
            _ = try await client.registerAgent(
                RegisterAgentRequest(agentID: "stranger", poolID: other.id, priority: "HIGH", initialBudget: 100))
            return Fixture(research: research.id, other: other.id)
        }
    }

    /// A client of the same node that sends `key` as its bearer token.
    static func client(_ client: SafeguardsClient, key: String) -> SafeguardsClient {
        SafeguardsClient(host: client.endpoint.host, port: client.endpoint.port, token: key)
    }

    static func agentKey(_ client: SafeguardsClient, agents: [String]? = ["coder"], pools: [String]? = nil)
        async throws -> APIKeyBody
    {
        try await client.createAPIKey(
            CreateAPIKeyRequest(name: "coder key", role: "agent", agentIDs: agents, poolIDs: pools))
    }

    @Test func aKeyIsShownOnceListedWithoutItsTextAndRevokedAtOnce() async throws {
        try await TestNode.with { (client, _) async throws in
            _ = try await Fixture.make(client)
            let created = try await Self.agentKey(client)
            let key = try #require(created.key)
            #expect(key.hasPrefix("sgk_") && key.count == 68)
            #expect(created.id.hasPrefix("key_") && created.role == "agent" && created.agentIDs == ["coder"])

            let listed = try await client.apiKeys()
            #expect(listed.apiKeys.map(\.id) == [created.id])
            #expect(listed.apiKeys.allSatisfy { $0.key == nil }, "a list never shows key material")
            #expect(try await client.apiKey(created.id).key == nil)

            let agent = Self.client(client, key: key)
            #expect(try await agent.agent("coder").agentID == "coder")
            let revoked = try await client.revokeAPIKey(created.id)
            #expect(revoked.id == created.id)
            await #expect { try await agent.agent("coder") } throws: { ($0 as? APIClientError)?.code == "unauthorized" }
            #expect(try await client.apiKeys().apiKeys.isEmpty)
            await #expect { try await client.apiKey(created.id) } throws: {
                ($0 as? APIClientError)?.code == "not_found"
            }
            await agent.shutdown()
        }
    }

    @Test func anExpiredKeyIsRefused() async throws {
        let directory = try makeTemporaryDirectory()
        let key = "sgk_" + String(repeating: "ab", count: 32)
        try await TestNode.with(dataDirectory: directory) { client, _ in _ = try await Fixture.make(client) }
        // A key whose time is over, written as the node writes keys, found at the next start.
        let store = try LedgerStore(path: directory + "/safeguards.sqlite")
        let record = APIKeyRecord(
            id: "key_expired", keyHash: Array(SHA256.hash(data: Array(key.utf8))), name: "old", role: .agent,
            agentIDs: [AgentID(unchecked: "coder")], poolIDs: [], expiresAt: Timestamp(millisecondsSince1970: 1000),
            creationKey: nil, createdAt: Timestamp(millisecondsSince1970: 0))
        #expect(try store.insertAPIKey(record, limit: 10))
        try await TestNode.with(dataDirectory: directory) { (client, _) async throws in
            let agent = Self.client(client, key: key)
            await #expect {
                try await agent.agent("coder")
            } throws: { error in
                guard case .problem(let problem) = error as? APIClientError else { return false }
                return problem.code == "unauthorized" && problem.detail.contains("key_expired expired")
            }
            await agent.shutdown()
        }
    }

    @Test func sqliteHoldsTheKeysHashNeverTheKeyAndKeysSurviveARestart() async throws {
        let directory = try makeTemporaryDirectory()
        let created = try await TestNode.with(dataDirectory: directory) { (client, node) async throws in
            _ = try await Fixture.make(client)
            let created = try await Self.agentKey(client)
            let key = try #require(created.key)
            let stored = try #require(try node.operations.store.apiKeys().first)
            #expect(stored.keyHash == Array(SHA256.hash(data: Array(key.utf8))))
            return created
        }
        let key = try #require(created.key)
        for file in ["safeguards.sqlite", "safeguards.sqlite-wal"] {
            guard let bytes = FileManager.default.contents(atPath: "\(directory)/\(file)") else { continue }
            #expect(bytes.range(of: Data(key.utf8)) == nil, "\(file) holds the key's text")
            #expect(bytes.range(of: Data(key.dropFirst(4).prefix(32).utf8)) == nil, "\(file) holds part of the key")
        }
        try await TestNode.with(dataDirectory: directory) { (client, _) async throws in
            let agent = Self.client(client, key: key)
            #expect(try await agent.agent("coder").agentID == "coder", "the key works after a restart")
            #expect(try await client.apiKey(created.id).name == "coder key")
            await agent.shutdown()
        }
    }

    @Test func keysAreBoundedAndCheckedBeforeAnythingIsStored() async throws {
        try await TestNode.with(configure: { $0.api.maxKeys = 2 }) { (client, _) async throws in
            let fixture = try await Fixture.make(client)
            for bad in [
                CreateAPIKeyRequest(name: "x", role: "root", agentIDs: ["coder"]),
                CreateAPIKeyRequest(name: "", role: "agent", agentIDs: ["coder"]),
                CreateAPIKeyRequest(name: String(repeating: "n", count: 201), role: "agent", agentIDs: ["coder"]),
                CreateAPIKeyRequest(name: "x", role: "agent"),
                CreateAPIKeyRequest(name: "x", role: "admin", agentIDs: ["coder"]),
                CreateAPIKeyRequest(name: "x", role: "agent", agentIDs: ["nobody"]),
                CreateAPIKeyRequest(name: "x", role: "agent", poolIDs: ["pool_missing"]),
                CreateAPIKeyRequest(name: "x", role: "agent", agentIDs: (0...1000).map { "a\($0)" }),
                CreateAPIKeyRequest(name: "x", role: "agent", agentIDs: ["coder"], expiresAt: "2001-01-01T00:00:00Z"),
                CreateAPIKeyRequest(name: "x", role: "agent", agentIDs: ["coder"], expiresAt: "soon"),
            ] {
                await #expect("\(bad)") {
                    try await client.createAPIKey(bad)
                } throws: { ($0 as? APIClientError)?.code == "invalid_request" }
            }
            #expect(try await client.apiKeys().apiKeys.isEmpty, "a refused create stores nothing")

            _ = try await client.createAPIKey(
                CreateAPIKeyRequest(name: "one", role: "agent", poolIDs: [fixture.research], idempotencyKey: "k1"))
            await #expect {
                try await client.createAPIKey(
                    CreateAPIKeyRequest(name: "one", role: "agent", agentIDs: ["coder"], idempotencyKey: "k1"))
            } throws: { ($0 as? APIClientError)?.code == "conflict" }
            _ = try await client.createAPIKey(CreateAPIKeyRequest(name: "two", role: "admin"))
            await #expect {
                try await client.createAPIKey(CreateAPIKeyRequest(name: "three", role: "admin"))
            } throws: { error in
                guard case .problem(let problem) = error as? APIClientError else { return false }
                return problem.code == "conflict" && problem.detail.contains("api.max_keys")
            }
            #expect(try await client.apiKeys(page: PageQuery(limit: 1)).next != nil, "the list pages")
        }
    }

    @Test func everyTransferNamesTheKeyThatMadeIt() async throws {
        try await TestNode.with { (client, _) async throws in
            _ = try await Fixture.make(client)
            let created = try await Self.agentKey(client)
            let admin = try await client.createAPIKey(CreateAPIKeyRequest(name: "ops", role: "admin"))
            let agent = Self.client(client, key: try #require(created.key))
            let operator_ = Self.client(client, key: try #require(admin.key))

            let byKey = try await agent.spend(agent: "coder", SpendRequest(amount: 1, idempotencyKey: "by-key"))
            #expect(byKey.metadata["api_key_id"] == created.id)
            let reservation = try await agent.reserve(agent: "coder", ReserveRequest(amount: 2))
            _ = try await agent.settle(reservation: reservation.reservationID, amount: 1)
            #expect(try await client.transfer(reservation.reservationID).metadata["api_key_id"] == created.id)
            let byToken = try await client.spend(agent: "coder", SpendRequest(amount: 1))
            #expect(byToken.metadata["api_key_id"] == "admin-token")
            let byAdminKey = try await operator_.spend(agent: "stranger", SpendRequest(amount: 1))
            #expect(byAdminKey.metadata["api_key_id"] == admin.id)

            let history = try await client.transfers(TransferQuery(agentID: "coder", kind: "spend"))
            #expect(history.transfers.map { $0.metadata["api_key_id"] } == ["admin-token", created.id])
            await agent.shutdown()
            await operator_.shutdown()
        }
    }
}
