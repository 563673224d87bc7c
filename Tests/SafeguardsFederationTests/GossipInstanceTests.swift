import Crypto
import Foundation
import SafeguardsCore
import SafeguardsFederation
import SafeguardsTestKit
import Testing

/// Three nodes with real Ed25519 keys, exchanging by hand.
struct GossipTrio {
    let keys: [SystemID: Curve25519.Signing.PrivateKey]
    let trust: [SystemID: TrustLevel]
    static let a = SystemID(unchecked: "system_a")
    static let b = SystemID(unchecked: "system_b")
    static let c = SystemID(unchecked: "system_c")
    static let start = Timestamp(millisecondsSince1970: 1_800_000_000_000)

    init(trustOfC: Int = 8000) {
        keys = [Self.a: .init(), Self.b: .init(), Self.c: .init()]
        trust = [
            Self.a: TrustLevel(clampingBasisPoints: 8000), Self.b: TrustLevel(clampingBasisPoints: 8000),
            Self.c: TrustLevel(clampingBasisPoints: trustOfC),
        ]
    }

    func instance(
        _ me: SystemID, generation: UInt64 = 1, configuration: GossipConfiguration = GossipConfiguration(heartbeats: false),
        summary: GossipSummary = GossipSummary()
    ) -> GossipInstance {
        let key = keys[me]!
        let publicKeys = keys.mapValues(\.publicKey)
        return GossipInstance(
            me: me, generation: generation, configuration: configuration, now: Self.start, summary: summary,
            sign: { SignedGossipRecord(signing: $0, with: key) },
            verify: { signed, record in publicKeys[record.origin].map(signed.isSigned(by:)) ?? false })
    }

    /// One push-pull exchange from `asker` to `answerer`.
    func exchange(_ asker: inout GossipInstance, _ answerer: inout GossipInstance, now: Timestamp = start) {
        let answer = answerer.delta(for: asker.digest(), to: asker.me, trust: trust)
        _ = asker.merge(answer, now: now)
        let back = asker.delta(for: answerer.digest(), to: answerer.me, trust: trust)
        _ = answerer.merge(back, now: now)
    }
}

@Suite("Gossip instance")
struct GossipInstanceTests {
    @Test func aPushPullExchangeLeavesBothWithTheNewestOfEveryRecord() {
        let trio = GossipTrio()
        var a = trio.instance(GossipTrio.a, summary: GossipSummary(balances: ["p": 10]))
        var b = trio.instance(GossipTrio.b, summary: GossipSummary(balances: ["q": 20]))
        trio.exchange(&a, &b)
        #expect(a.record(of: GossipTrio.b)?.summary.balances["q"] == 20)
        #expect(b.record(of: GossipTrio.a)?.summary.balances["p"] == 10)
        #expect(a.digest() == b.digest())
        // Nothing new: the next exchange sends no records either way.
        #expect(b.delta(for: a.digest(), to: a.me, trust: trio.trust).isEmpty)
        #expect(a.delta(for: b.digest(), to: b.me, trust: trio.trust).isEmpty)
        // A change travels, and only the changed record.
        a.updateLocal(GossipSummary(balances: ["p": 11]), now: GossipTrio.start)
        let delta = a.delta(for: b.digest(), to: b.me, trust: trio.trust)
        #expect(delta.count == 1)
        #expect(b.merge(delta, now: GossipTrio.start).updated == [GossipTrio.a])
        #expect(b.record(of: GossipTrio.a)?.summary.balances["p"] == 11)
    }

    @Test func olderNeverOverwritesNewerAndALaterGenerationAlwaysWins() {
        let trio = GossipTrio()
        var a = trio.instance(GossipTrio.a)
        var observer = trio.instance(GossipTrio.b)
        a.updateLocal(GossipSummary(balances: ["p": 1]), now: GossipTrio.start)
        let old = a.records[GossipTrio.a]!
        a.updateLocal(GossipSummary(balances: ["p": 2]), now: GossipTrio.start)
        let newer = a.records[GossipTrio.a]!
        #expect(observer.merge([newer], now: GossipTrio.start).updated == [GossipTrio.a])
        let outcome = observer.merge([old], now: GossipTrio.start)
        #expect(outcome.updated.isEmpty)
        #expect(outcome.stale == 1)
        #expect(observer.record(of: GossipTrio.a)?.summary.balances["p"] == 2)
        // A restart: a new generation at version 1 supersedes version 3 of the old one.
        let restarted = trio.instance(GossipTrio.a, generation: 2, summary: GossipSummary(balances: ["p": 0]))
        #expect(restarted.local.version < a.local.version)
        #expect(observer.merge([restarted.records[GossipTrio.a]!], now: GossipTrio.start).updated == [GossipTrio.a])
        #expect(observer.record(of: GossipTrio.a)?.generation == 2)
        // And the old generation's latest cannot come back.
        #expect(observer.merge([newer], now: GossipTrio.start).stale == 1)
    }

    @Test func aForgedOrAlteredRelayedRecordIsRejected() throws {
        let trio = GossipTrio()
        var b = trio.instance(GossipTrio.b)
        let a = trio.instance(GossipTrio.a, summary: GossipSummary(balances: ["p": 10]))
        let genuine = a.records[GossipTrio.a]!
        // c relays a's record with the balance changed: the signature no longer covers the body.
        var record = try #require(genuine.decoded())
        record.summary.balances["p"] = 1_000_000
        record.version += 1
        let altered = SignedGossipRecord(body: Data(record.signingBytes()), signature: genuine.signature)
        // c signs a record claiming to be a's with its own key.
        let forged = SignedGossipRecord(signing: record, with: trio.keys[GossipTrio.c]!)
        let garbage = SignedGossipRecord(body: Data("not json".utf8), signature: Data())
        let outcome = b.merge([altered, forged, garbage], now: GossipTrio.start)
        #expect(outcome.rejected == 3)
        #expect(b.record(of: GossipTrio.a) == nil)
        // The genuine record, relayed unchanged, is accepted.
        #expect(b.merge([genuine], now: GossipTrio.start).updated == [GossipTrio.a])
    }

    @Test func recordsOfOriginsBelowTheRelayTrustAreNotRelayed() {
        let trio = GossipTrio(trustOfC: 1000)
        var b = trio.instance(GossipTrio.b)
        var c = trio.instance(GossipTrio.c)
        trio.exchange(&b, &c)
        #expect(b.record(of: GossipTrio.c) != nil)
        let a = trio.instance(GossipTrio.a)
        // b holds c's record but does not pass it on to a: c is trusted 0.1, below 0.3.
        let toA = b.delta(for: a.digest(), to: a.me, trust: trio.trust)
        #expect(toA.compactMap { $0.decoded()?.origin } == [GossipTrio.b])
    }

    @Test func aDeltaStaysWithinItsByteBoundOldestFirstAndTheRestFollows() {
        let trio = GossipTrio()
        var configuration = GossipConfiguration(maximumDeltaBytes: 1024, heartbeats: false)
        configuration.maximumDeltaBytes = 1024
        let big = GossipSummary(balances: Dictionary(uniqueKeysWithValues: (0..<12).map { ("pool-\($0)", Amount.zero) }))
        var a = trio.instance(GossipTrio.a, configuration: configuration, summary: big)
        var b = trio.instance(GossipTrio.b, configuration: configuration, summary: big)
        var c = trio.instance(GossipTrio.c, configuration: configuration, summary: big)
        trio.exchange(&a, &c)
        // a holds two records of about 1 KB each; one message carries one of them.
        let first = a.delta(for: b.digest(), to: b.me, trust: trio.trust)
        #expect(first.count == 1)
        #expect(first.reduce(0) { $0 + $1.wireSize } <= 2048)
        _ = b.merge(first, now: GossipTrio.start)
        let second = a.delta(for: b.digest(), to: b.me, trust: trio.trust)
        #expect(second.count == 1)
        _ = b.merge(second, now: GossipTrio.start)
        #expect(a.delta(for: b.digest(), to: b.me, trust: trio.trust).isEmpty)
    }

    @Test func peersTurnSuspectThenDeadWithoutHeartbeatsAndAliveWhenHeardAgain() {
        let trio = GossipTrio()
        let configuration = GossipConfiguration(interval: .seconds(1), heartbeats: true)
        var a = trio.instance(GossipTrio.a, configuration: configuration)
        var b = trio.instance(GossipTrio.b, configuration: configuration)
        var random = SeededRandom(seed: 1)
        _ = b.tick(now: GossipTrio.start, trust: trio.trust, random: &random)
        trio.exchange(&a, &b)
        #expect(a.liveness(of: GossipTrio.b, now: GossipTrio.start.advanced(by: .seconds(1))) == .alive)
        #expect(a.liveness(of: GossipTrio.b, now: GossipTrio.start.advanced(by: .seconds(6))) == .suspect)
        #expect(a.liveness(of: GossipTrio.b, now: GossipTrio.start.advanced(by: .seconds(16))) == .dead)
        // Dead peers are still contacted, every fifth round.
        var picked = 0
        for round in 1...10 {
            let now = GossipTrio.start.advanced(by: .seconds(16 + round))
            picked += a.tick(now: now, trust: [GossipTrio.b: trio.trust[GossipTrio.b]!], random: &random).count
        }
        #expect(picked == 2)
        // b comes back: its heartbeat advanced.
        let later = GossipTrio.start.advanced(by: .seconds(30))
        _ = b.tick(now: later, trust: trio.trust, random: &random)
        trio.exchange(&a, &b, now: later)
        #expect(a.liveness(of: GossipTrio.b, now: later) == .alive)
    }

    @Test func aRoundAdvancesTheHeartbeatAndPicksAroundBusyPeers() {
        let trio = GossipTrio()
        var a = trio.instance(GossipTrio.a, configuration: GossipConfiguration(fanout: 1, heartbeats: true))
        var random = SeededRandom(seed: 3)
        for round in 1...50 {
            let before = a.local.heartbeat
            let picked = a.tick(now: GossipTrio.start, trust: trio.trust, busy: [GossipTrio.b], random: &random)
            #expect(picked == [GossipTrio.c], "round \(round)")
            #expect(a.local.heartbeat == before + 1)
        }
        // With every peer busy, nobody is picked and the heartbeat still advances.
        let before = a.local.heartbeat
        let everyone: Set = [GossipTrio.b, GossipTrio.c]
        #expect(a.tick(now: GossipTrio.start, trust: trio.trust, busy: everyone, random: &random).isEmpty)
        #expect(a.local.heartbeat == before + 1)
    }

    @Test func peerChoiceFavoursTrustedPeers() {
        let trio = GossipTrio(trustOfC: 500)
        var a = trio.instance(GossipTrio.a, configuration: GossipConfiguration(fanout: 1, heartbeats: false))
        var random = SeededRandom(seed: 7)
        var counts: [SystemID: Int] = [:]
        for _ in 0..<2000 {
            for peer in a.tick(now: GossipTrio.start, trust: trio.trust, random: &random) { counts[peer, default: 0] += 1 }
        }
        // b is trusted 0.8 and c 0.05: b is picked about 16 times as often.
        #expect(counts[GossipTrio.b, default: 0] > 10 * counts[GossipTrio.c, default: 0])
        #expect(counts[GossipTrio.c, default: 0] > 0)
        #expect(counts[GossipTrio.a] == nil)
    }
}

@Suite("Gossip at scale in the simulator")
struct GossipSimulationTests {
    /// Push-pull gossip with fanout 3 spreads a change in O(log N) rounds.
    static func bound(_ nodes: Int) -> Int { 2 * Int(ceil(log2(Double(nodes)))) + 4 }

    @Test("a change reaches every node within a bound that grows with log N", arguments: [8, 16, 32, 64, 128])
    func aChangeSpreadsInLogarithmicRounds(nodes: Int) {
        // Fewer seeds for the large clusters keep the suite fast; the benchmark runs more.
        for seed in UInt64(1)...(nodes >= 64 ? 2 : 4) {
            for loss in [0, 1000] {
                var configuration = GossipSimulation.Configuration(nodes: nodes)
                configuration.lossBasisPoints = loss
                let outcome = GossipSimulation(configuration).run(seed: seed)
                let rounds = outcome.roundsUntilChangeEverywhere
                #expect(rounds != nil && rounds! <= Self.bound(nodes), "N=\(nodes) loss=\(loss) seed=\(seed): \(String(describing: rounds)) rounds")
            }
        }
    }

    @Test func afterAPartitionHealsEveryNodeConverges() {
        for seed in UInt64(1)...10 {
            var configuration = GossipSimulation.Configuration(nodes: 16)
            configuration.partitionSize = 8  // node 0, which changes, is on the small side
            configuration.partitionRounds = 0..<12
            configuration.lossBasisPoints = 1000
            let outcome = GossipSimulation(configuration).run(seed: seed)
            let rounds = try? #require(outcome.roundsUntilChangeEverywhere, "seed \(seed) never converged")
            // Nothing crosses while the partition lasts; once healed, the usual bound applies.
            #expect((rounds ?? 0) >= 12, "seed \(seed)")
            #expect((rounds ?? .max) <= 12 + Self.bound(16), "seed \(seed)")
        }
    }

    @Test func strangersAgreeOnEveryRecordAndASeedReplaysExactly() {
        var configuration = GossipSimulation.Configuration(nodes: 32)
        configuration.startsAcquainted = false
        configuration.lossBasisPoints = 1000
        let first = GossipSimulation(configuration).run(seed: 42)
        let again = GossipSimulation(configuration).run(seed: 42)
        #expect(first.roundsUntilAgreement != nil)
        #expect(first.roundsUntilAgreement == again.roundsUntilAgreement)
        #expect(first.bytes == again.bytes)
        #expect(first.lost > 0)
    }
}
