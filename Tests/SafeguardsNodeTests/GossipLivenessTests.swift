import Foundation
import SafeguardsAPI
import SafeguardsCore
import SafeguardsTestKit
import Testing

/// Gossip liveness when one node of three stops answering without closing anything: a paused
/// process (SIGSTOP) still accepts TCP connections in its kernel backlog and keeps the ones it
/// has, but never answers a handshake or a frame: a blackhole.
@Suite("Gossip with a node that stops answering", .timeLimit(.minutes(5)))
struct GossipLivenessTests {
    /// A round every 100 ms, suspect after 800 ms, dead after 2 s.
    @Test func twoHealthyNodesStayAliveWhileTheThirdIsBlackholed() async throws {
        try await Cluster.with(gossip: GossipClusterTests.gossip) { cluster in
            let systems = ["system_a", "system_b", "system_c"]
            for system in systems { try await cluster.start(system) }
            let clients = cluster.clients
            let a = clients["system_a"]!
            let b = clients["system_b"]!
            let allAlive = try await eventually {
                for system in systems {
                    let peers = try await clients[system]!.syncStatus().peers
                    guard peers.count == 2, peers.allSatisfy({ $0.state == "alive" }) else { return false }
                }
                return true
            }
            try #require(allAlive, "the three nodes never saw each other alive")

            let paused = try #require(cluster.nodes["system_c"]!.pid)
            kill(paused, SIGSTOP)
            var samples: [String] = []
            var cutOffSeen = false
            do {
                // Six times suspect_after, and at least 20 samples however slow the machine is:
                // every sample of the healthy pair must say alive.
                let end = ContinuousClock.now + .seconds(5)
                while ContinuousClock.now < end || samples.count < 20 {
                    let fromA = try await a.syncStatus().peers
                    let fromB = try await b.syncStatus().peers
                    let bOnA = fromA.first { $0.systemID == "system_b" }?.state ?? "missing"
                    let aOnB = fromB.first { $0.systemID == "system_a" }?.state ?? "missing"
                    samples.append("b on a: \(bOnA), a on b: \(aOnB)")
                    if fromA.first(where: { $0.systemID == "system_c" })?.state != "alive" { cutOffSeen = true }
                    try await Task.sleep(for: .milliseconds(100))
                }
            } catch {
                kill(paused, SIGCONT)
                throw error
            }
            kill(paused, SIGCONT)

            let notAlive = samples.filter { $0 != "b on a: alive, a on b: alive" }
            #expect(notAlive.isEmpty, "\(notAlive.count) of \(samples.count) samples: \(notAlive.prefix(5))")
            #expect(cutOffSeen, "system_c never stopped being alive on system_a: the cut did not happen")
            // Once it answers again, both see the third alive again.
            for (name, client) in [("system_a", a), ("system_b", b)] {
                let back = try await eventually(600) {
                    try await client.syncStatus().peers.first { $0.systemID == "system_c" }?.state == "alive"
                }
                #expect(back, "system_c is not alive again on \(name)")
            }
        }
    }
}
