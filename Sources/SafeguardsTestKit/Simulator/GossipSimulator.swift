import Foundation
import SafeguardsCore
import SafeguardsFederation

/// N gossip instances on a lossy in-memory network, in synchronous rounds, driven by a seed.
///
/// Every round each live node runs an exchange (`GossipInstance+Exchange.swift`) with the peers
/// its instance picks: its view goes out; the peer's view comes back, with its digest when the
/// views differ; then the records the peer lacks and the list of what the asker wants, and those
/// records back. Each message is lost with the configured probability, and every message between
/// the two sides of a partition is lost while the partition lasts. Signatures are not computed
/// (the instance's own tests cover them); bytes are counted as the messages would travel (JSON
/// bodies, without the envelope around them).
public struct GossipSimulation: Sendable {
    public struct Configuration: Sendable {
        public var nodes: Int
        public var fanout = 3
        /// Per message, in basis points (1000 = 10%).
        public var lossBasisPoints = 0
        /// Nodes `0..<partitionSize` are cut off from the rest during `partitionRounds`.
        public var partitionSize = 0
        public var partitionRounds: Range<Int> = 0..<0
        /// Whether every node starts knowing every other's record (then only the change travels),
        /// or only its own.
        public var startsAcquainted = true
        public var maximumRounds = 200
        public var maximumDeltaBytes = 64 * 1024
        /// Rounds run after agreement with nothing changing, to measure what an idle round costs.
        public var idleRounds = 0
        /// Whether exchanges open with the full digest, as nodes of earlier versions do, instead of
        /// the view.
        public var opensWithFullDigest = false

        public init(nodes: Int) { self.nodes = nodes }
    }

    /// What a run measured.
    public struct Outcome: Sendable {
        public let seed: UInt64
        /// Rounds after the change until every node held it (nil: not within `maximumRounds`).
        public let roundsUntilChangeEverywhere: Int?
        /// Rounds until every node held the latest record of every origin.
        public let roundsUntilAgreement: Int?
        public let messages: Int
        public let lost: Int
        public let bytes: Int
        /// Bytes sent in the idle rounds after agreement (see ``Configuration/idleRounds``).
        public let idleBytes: Int
        public let idleRounds: Int
        /// Bytes sent per node per idle round, or `nil` when no idle round ran.
        public var idleBytesPerNodePerRound: Double? {
            idleRounds == 0 ? nil : Double(idleBytes) / Double(idleRounds) / Double(max(1, nodeCount))
        }
        /// Bytes sent per node per round, over the rounds until agreement.
        public var bytesPerNodePerRound: Double {
            let rounds = max(1, roundsUntilAgreement ?? roundsUntilChangeEverywhere ?? 1)
            return Double(bytes) / Double(rounds) / Double(max(1, nodeCount))
        }
        let nodeCount: Int
    }

    public let configuration: Configuration

    public init(_ configuration: Configuration) {
        self.configuration = configuration
    }

    static func id(_ index: Int) -> SystemID { SystemID(unchecked: "node_\(index)") }

    /// Runs the simulation for `seed`: node 0 changes its balances at round 0.
    public func run(seed: UInt64) -> Outcome {
        let random = SeededRandom(seed: seed)
        let count = configuration.nodes
        let gossip = GossipConfiguration(
            interval: .seconds(1), fanout: configuration.fanout, maximumDeltaBytes: configuration.maximumDeltaBytes,
            heartbeats: false)
        let start = Timestamp(millisecondsSince1970: 1_800_000_000_000)
        var nodes = (0..<count).map { index in
            GossipInstance(
                me: Self.id(index), generation: 1, configuration: gossip, now: start,
                summary: GossipSummary(balances: ["pool": Amount(micros: Int64(index) * 1_000_000)]),
                sign: { record in SignedGossipRecord(body: Data(record.signingBytes()), signature: Data()) },
                verify: { _, _ in true })
        }
        let trust = Dictionary(
            uniqueKeysWithValues: (0..<count).map { (Self.id($0), TrustLevel(clampingBasisPoints: 8000)) })
        if configuration.startsAcquainted {
            let all = nodes.map { $0.signedRecord(of: $0.me)! }
            for index in nodes.indices { _ = nodes[index].merge(all, now: start) }
        }
        nodes[0].updateLocal(GossipSummary(balances: ["pool": 12_345]), now: start)
        let changed = nodes[0].local.recordVersion

        var world = World(configuration: configuration, nodes: nodes, trust: trust, start: start, random: random)
        var changeEverywhere: Int?
        var agreement: Int?
        var rounds = 0
        for number in 1...configuration.maximumRounds {
            world.round(number)
            rounds = number
            let nodes = world.nodes
            if changeEverywhere == nil,
                nodes.allSatisfy({ ($0.record(of: Self.id(0))?.recordVersion ?? RecordVersion(generation: 0, version: 0)) >= changed })
            {
                changeEverywhere = number
            }
            if agreement == nil {
                let reference = nodes[0].view()
                if reference.count == count, nodes.allSatisfy({ $0.view() == reference }) { agreement = number }
            }
            if changeEverywhere != nil && agreement != nil { break }
        }
        let bytesUntilAgreement = world.bytes
        let idleRounds = agreement == nil ? 0 : configuration.idleRounds
        for number in rounds + 1..<rounds + 1 + idleRounds { world.round(number) }
        return Outcome(
            seed: seed, roundsUntilChangeEverywhere: changeEverywhere, roundsUntilAgreement: agreement,
            messages: world.messages, lost: world.lost, bytes: bytesUntilAgreement,
            idleBytes: world.bytes - bytesUntilAgreement, idleRounds: idleRounds, nodeCount: count)
    }

    /// The nodes and the network of one run, with what travelled so far.
    private struct World {
        let configuration: Configuration
        var nodes: [GossipInstance]
        let trust: [SystemID: TrustLevel]
        let start: Timestamp
        var random: SeededRandom
        var messages = 0
        var lost = 0
        var bytes = 0

        /// Every node starts its exchanges. Every exchange of a round sends what its two nodes held
        /// when the round began, so a record moves at most one hop per round, as on a network where
        /// exchanges overlap.
        mutating func round(_ round: Int) {
            let now = start.advanced(by: .seconds(round))
            let snapshot = nodes
            for index in 0..<nodes.count {
                let targets = nodes[index].tick(now: now, trust: trust, random: &random)
                for target in targets {
                    guard let peer = Int(target.rawValue.dropFirst(5)) else { continue }
                    exchange(index, peer, round: round, snapshot: snapshot)
                }
            }
        }

        /// One exchange of `GossipInstance+Exchange.swift`, each message counted and perhaps lost.
        mutating func exchange(_ index: Int, _ peer: Int, round: Int, snapshot: [GossipInstance]) {
            let now = start.advanced(by: .seconds(round))
            let asker = snapshot[index]
            let opening = configuration.opensWithFullDigest ? asker.fullOpening() : asker.opening()
            bytes += GossipSimulation.wireBytes(opening)
            guard delivered(index, peer, round: round) else { return }
            let answer = snapshot[peer].answer(opening, from: asker.me, trust: trust)
            bytes += GossipSimulation.wireBytes(answer)
            guard delivered(peer, index, round: round) else { return }
            _ = nodes[index].merge(answer.records, now: now)
            // The follow-up goes from what the asker held when the round began, with the answer's
            // records merged (as the shell sends it after merging them).
            var merged = asker
            _ = merged.merge(answer.records, now: now)
            guard let followUp = merged.followUp(after: answer, to: snapshot[peer].me, trust: trust) else { return }
            bytes += GossipSimulation.wireBytes(followUp)
            guard delivered(index, peer, round: round) else { return }
            _ = nodes[peer].merge(followUp.records, now: now)
            let records = snapshot[peer].answer(wanted: followUp, from: asker.me, trust: trust)
            bytes += GossipSimulation.wireBytes(records)
            guard delivered(peer, index, round: round) else { return }
            _ = nodes[index].merge(records.records, now: now)
        }

        /// Whether a message from `from` to `to` arrives: not across a partition, and not lost.
        mutating func delivered(_ from: Int, _ to: Int, round: Int) -> Bool {
            messages += 1
            let cut = configuration.partitionRounds.contains(round)
                && ((from < configuration.partitionSize) != (to < configuration.partitionSize))
            if cut || Int.random(in: 0..<10_000, using: &random) < configuration.lossBasisPoints {
                lost += 1
                return false
            }
            return true
        }
    }

    /// The bytes of a gossip body's JSON: 40 per digest entry (`"node_127":{"generation":1,
    /// "version":1},`), 64 for a view, each record's ``SignedGossipRecord/wireSize``, and 16 for
    /// the braces and keys around them. Counted, not encoded, so large runs stay fast.
    static func wireBytes(_ body: GossipDigestBody) -> Int {
        16 + (body.digest?.count ?? 0) * 40 + (body.view == nil ? 0 : 64)
    }

    static func wireBytes(_ body: GossipDeltaBody) -> Int {
        16 + body.records.reduce(0) { $0 + $1.wireSize } + ((body.digest?.count ?? 0) + (body.wanted?.count ?? 0)) * 40
            + (body.view == nil ? 0 : 64)
    }
}
