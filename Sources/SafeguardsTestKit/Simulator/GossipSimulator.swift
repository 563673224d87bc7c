import Foundation
import SafeguardsCore
import SafeguardsFederation

/// N gossip instances on a lossy in-memory network, in synchronous rounds, driven by a seed.
///
/// Every round each live node starts an exchange with the peers its instance picks: its digest
/// goes out, the peer's delta and digest come back, and the delta the peer lacks goes out again.
/// Each of the three messages is lost with the configured probability, and every message between
/// the two sides of a partition is lost while the partition lasts. Signatures are not computed
/// (the instance's own tests cover them); bytes are counted as the messages would travel.
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
        var random = SeededRandom(seed: seed)
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

        var messages = 0
        var lost = 0
        var bytes = 0
        var changeEverywhere: Int?
        var agreement: Int?
        func delivered(_ from: Int, _ to: Int, round: Int, random: inout SeededRandom) -> Bool {
            messages += 1
            let cut = configuration.partitionRounds.contains(round)
                && ((from < configuration.partitionSize) != (to < configuration.partitionSize))
            if cut || Int.random(in: 0..<10_000, using: &random) < configuration.lossBasisPoints {
                lost += 1
                return false
            }
            return true
        }
        func digestBytes(_ digest: [SystemID: RecordVersion]) -> Int { 16 + digest.count * 40 }

        for round in 1...configuration.maximumRounds {
            let now = start.advanced(by: .seconds(round))
            // Every exchange of a round sends what its two nodes held when the round began, so a
            // record moves at most one hop per round, as on a network where exchanges overlap.
            let snapshot = nodes
            for index in 0..<count {
                let targets = nodes[index].tick(now: now, trust: trust, random: &random)
                let digest = snapshot[index].digest()
                for target in targets {
                    guard let peer = Int(target.rawValue.dropFirst(5)) else { continue }
                    bytes += digestBytes(digest)
                    guard delivered(index, peer, round: round, random: &random) else { continue }
                    let answer = snapshot[peer].delta(for: digest, to: nodes[index].me, trust: trust)
                    let answerDigest = snapshot[peer].digest()
                    bytes += answer.reduce(0) { $0 + $1.wireSize } + digestBytes(answerDigest)
                    guard delivered(peer, index, round: round, random: &random) else { continue }
                    _ = nodes[index].merge(answer, now: now)
                    let back = snapshot[index].delta(for: answerDigest, to: nodes[peer].me, trust: trust)
                    guard !back.isEmpty else { continue }
                    bytes += back.reduce(0) { $0 + $1.wireSize } + 16
                    guard delivered(index, peer, round: round, random: &random) else { continue }
                    _ = nodes[peer].merge(back, now: now)
                }
            }
            if changeEverywhere == nil,
                nodes.allSatisfy({ ($0.record(of: Self.id(0))?.recordVersion ?? RecordVersion(generation: 0, version: 0)) >= changed })
            {
                changeEverywhere = round
            }
            if agreement == nil {
                let reference = nodes[0].digest()
                if reference.count == count, nodes.allSatisfy({ $0.digest() == reference }) { agreement = round }
            }
            if changeEverywhere != nil && agreement != nil { break }
        }
        return Outcome(
            seed: seed, roundsUntilChangeEverywhere: changeEverywhere, roundsUntilAgreement: agreement,
            messages: messages, lost: lost, bytes: bytes, nodeCount: count)
    }
}
