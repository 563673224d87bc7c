import SafeguardsTestKit

/// Figure 7: gossip in the deterministic simulator. N nodes (8 to 128) start knowing only their
/// own record; every round each node does a push-pull exchange with 3 peers chosen by trust. The
/// figure is the number of rounds until every node holds the latest record of every origin, and
/// the bytes each node sent per round until then, with 0% and 10% of messages lost; then the
/// bytes each node sends per idle round (five rounds after agreement, nothing changing: views
/// only). Averaged over seeds; the worst seed's rounds are shown too. Rounds, not seconds: the
/// simulator has no clock. Bytes are JSON bodies without their envelopes.
enum GossipFigure {
    static func run(plan: BenchPlan) throws -> [FigureLine] {
        var lines: [FigureLine] = []
        for nodes in [8, 16, 32, 64, 128] {
            for loss in [0, 1000] {
                var configuration = GossipSimulation.Configuration(nodes: nodes)
                configuration.startsAcquainted = false
                configuration.lossBasisPoints = loss
                configuration.idleRounds = 5
                let simulation = GossipSimulation(configuration)
                var rounds: [Int] = []
                var bytesPerNodePerRound = 0.0
                var idleBytesPerNodePerRound = 0.0
                for seed in 1...UInt64(plan.gossipSeeds) {
                    let outcome = simulation.run(seed: seed)
                    guard let agreed = outcome.roundsUntilAgreement else {
                        throw BenchFailure("N=\(nodes) loss=\(loss / 100)%: seed \(seed) did not agree within 200 rounds")
                    }
                    rounds.append(agreed)
                    bytesPerNodePerRound += outcome.bytesPerNodePerRound
                    idleBytesPerNodePerRound += outcome.idleBytesPerNodePerRound ?? 0
                }
                var line = FigureLine("gossip.agreement.nodes_\(nodes).loss_\(loss / 100)pct")
                line.add("rounds_mean", Double(rounds.reduce(0, +)) / Double(rounds.count), decimals: 2)
                line.add("rounds_max", rounds.max() ?? 0)
                line.add("bytes_per_node_per_round", bytesPerNodePerRound / Double(rounds.count), decimals: 0)
                line.add("idle_bytes_per_node_per_round", idleBytesPerNodePerRound / Double(rounds.count), decimals: 0)
                line.add("seeds", rounds.count)
                lines.append(line)
            }
        }
        return lines
    }
}
