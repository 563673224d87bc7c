import Foundation
import SafeguardsCore
import SafeguardsFederation
import SafeguardsNode
import SafeguardsStore
import SafeguardsTestKit
import SafeguardsTransport
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

    /// `milliseconds` after the epoch.
    static func at(_ milliseconds: Int64) -> Timestamp { Timestamp(millisecondsSince1970: milliseconds) }

    @Test func offensesAreWrittenAtOnceAndGoodMessagesAtLeastEveryInterval() async throws {
        let (registry, store) = try await Self.registry()
        await registry.recordOffense(Self.peer, .invalidSignature, now: Self.at(1_000))
        var stored = try #require(try store.peers().first)
        #expect(stored.trust.floor.description == "0.6000")
        #expect(stored.trust.lastOffenseAt == Self.at(1_000))
        #expect(stored.trust.badMessages == 1)

        // Good messages earn nothing; their counter is written at most every interval, or by a flush.
        await registry.recordGood(Self.peer, now: Self.at(2_000))
        for _ in 0..<19 { await registry.recordGood(Self.peer, now: Self.at(2_001)) }
        #expect(await registry.effectiveTrust(of: Self.peer, now: Self.at(2_001)).description == "0.6000")
        stored = try #require(try store.peers().first)
        #expect(stored.trust.goodMessages < 20)
        await registry.flush()
        stored = try #require(try store.peers().first)
        #expect(stored.trust.goodMessages == 20)
        #expect(stored.lastContact == Self.at(2_001))
        #expect(stored.trust.floor.description == "0.6000")
    }

    @Test func anOffenseCostsOncePerConnection() async throws {
        let (registry, store) = try await Self.registry()
        let first = ConnectionID.next()
        #expect(await registry.recordOffense(Self.peer, .stale, connection: first, now: Self.at(1)) == 200)
        for _ in 0..<50 {
            await registry.recordOffense(Self.peer, .invalidSignature, connection: first, now: Self.at(2))
        }
        // The connection paid its worst offense once: 0.02, then 0.18 more.
        #expect(await registry.effectiveTrust(of: Self.peer, now: Self.at(2)).description == "0.6000")
        // Another connection costs again.
        #expect(await registry.recordOffense(Self.peer, .malformed, connection: .next(), now: Self.at(3)) == 500)
        // A signed broken promise is the peer's own: it costs every time.
        #expect(await registry.recordOffense(Self.peer, .failedPromise, now: Self.at(4)) == 1_000)
        #expect(await registry.recordOffense(Self.peer, .failedPromise, now: Self.at(5)) == 1_000)
        let stored = try #require(try store.peers().first)
        #expect(stored.trust.badMessages == 54)
        #expect(stored.trust.floor.description == "0.3500")
    }

    @Test func trustRecoversByTimeAcrossARestart() async throws {
        let store = try LedgerStore(path: try makeTemporaryDirectory() + "/peers.sqlite")
        let halfLife: Duration = .seconds(60)
        let registry = try PeerRegistry(store: store, recoveryHalfLife: halfLife)
        try await registry.upsert(
            Self.peer, address: HostPort(host: "127.0.0.1", port: 9082), trust: try TrustLevel(parsing: "0.8"),
            publicKeyBase64: try DevelopmentFederation.publicKey(of: "system_b"), source: .api, now: Self.at(0))
        await registry.recordOffense(Self.peer, .invalidSignature, connection: .next(), now: Self.at(0))
        #expect(await registry.effectiveTrust(of: Self.peer, now: Self.at(60_000)).description == "0.7000")
        let reopened = try PeerRegistry(store: store, recoveryHalfLife: halfLife)
        #expect(await reopened.effectiveTrust(of: Self.peer, now: Self.at(60_000)).description == "0.7000")
        #expect(await reopened.effectiveTrust(of: Self.peer, now: Self.at(120_000)).description == "0.7500")
        #expect(await reopened.peer(Self.peer)?.trust.lastOffenseAt == Self.at(0))
    }

    @Test func loweringTheConfiguredTrustLowersEffectiveTrustAndKeepsHistory() async throws {
        let (registry, _) = try await Self.registry()
        await registry.recordGood(Self.peer, now: Timestamp(millisecondsSince1970: 1))
        let updated = try await registry.upsert(
            Self.peer, address: HostPort(host: "127.0.0.1", port: 9999), trust: try TrustLevel(parsing: "0.5"),
            publicKeyBase64: try DevelopmentFederation.publicKey(of: "system_b"), source: .config,
            now: Timestamp(millisecondsSince1970: 2))
        #expect(updated.trust.configured.description == "0.5000")
        #expect(updated.trust.effective(at: Self.at(2), halfLife: .seconds(3600)).description == "0.5000")
        #expect(updated.trust.goodMessages == 1)
        #expect(updated.address == "127.0.0.1:9999")
        #expect(updated.source == .config)
        #expect(updated.createdAt == Timestamp(millisecondsSince1970: 0))
    }
}
