import Foundation
import SafeguardsCore
import SafeguardsFederation
import SafeguardsNode
import SafeguardsStore
import SafeguardsTestKit
import Testing

@Suite("Peer registry")
struct PeerRegistryTests {
    static let peer = SystemID(unchecked: "system_b")

    static func registry() async throws -> (PeerRegistry, LedgerStore) {
        let store = try LedgerStore(path: try makeTemporaryDirectory() + "/peers.sqlite")
        let registry = try PeerRegistry(store: store)
        try await registry.upsert(
            peer, address: HostPort(host: "127.0.0.1", port: 9082), trust: try TrustLevel(parsing: "0.8"),
            publicKeyBase64: try DevelopmentFederation.publicKey(of: "system_b"), source: .api,
            now: Timestamp(millisecondsSince1970: 0))
        return (registry, store)
    }

    @Test func offensesAreWrittenAtOnceAndGoodMessagesAtLeastEveryInterval() async throws {
        let (registry, store) = try await Self.registry()
        await registry.recordOffense(Self.peer, .invalidSignature, now: Timestamp(millisecondsSince1970: 1_000))
        var stored = try #require(try store.peers().first)
        #expect(stored.trust.effective.description == "0.6000")
        #expect(stored.trust.badMessages == 1)

        // Recovery changes effective trust: written at once.
        await registry.recordGood(Self.peer, now: Timestamp(millisecondsSince1970: 2_000))
        #expect(try store.peers().first?.trust.effective.description == "0.6100")
        // Back at the ceiling, only counters move: held until the interval passes or a flush.
        for _ in 0..<19 { await registry.recordGood(Self.peer, now: Timestamp(millisecondsSince1970: 2_001)) }
        #expect(await registry.peer(Self.peer)?.trust.effective.description == "0.8000")
        await registry.recordGood(Self.peer, now: Timestamp(millisecondsSince1970: 2_002))
        stored = try #require(try store.peers().first)
        #expect(stored.trust.goodMessages < 21)
        await registry.flush()
        stored = try #require(try store.peers().first)
        #expect(stored.trust.goodMessages == 21)
        #expect(stored.lastContact == Timestamp(millisecondsSince1970: 2_002))
    }

    @Test func loweringTheConfiguredTrustLowersEffectiveTrustAndKeepsHistory() async throws {
        let (registry, _) = try await Self.registry()
        await registry.recordGood(Self.peer, now: Timestamp(millisecondsSince1970: 1))
        let updated = try await registry.upsert(
            Self.peer, address: HostPort(host: "127.0.0.1", port: 9999), trust: try TrustLevel(parsing: "0.5"),
            publicKeyBase64: try DevelopmentFederation.publicKey(of: "system_b"), source: .config,
            now: Timestamp(millisecondsSince1970: 2))
        #expect(updated.trust.configured.description == "0.5000")
        #expect(updated.trust.effective.description == "0.5000")
        #expect(updated.trust.goodMessages == 1)
        #expect(updated.address == "127.0.0.1:9999")
        #expect(updated.source == .config)
        #expect(updated.createdAt == Timestamp(millisecondsSince1970: 0))
    }
}
