import SafeguardsCore
import SafeguardsFederation
import SafeguardsTestKit
import Testing

@Suite("Settlement simulator")
struct SettlementSimulationTests {
    /// Re-runs one seed exactly; use it on the seed a failure message prints.
    static func replay(seed: UInt64) -> SimulationReport {
        SettlementSimulator.replay(seed: seed)
    }

    /// 2000 seeds in four parallel slices of 500 (swift-testing runs arguments concurrently).
    @Test(
        "over 2000 seeds with loss, duplication, reordering, partitions and crashes, every invariant holds",
        arguments: [UInt64(1), 501, 1001, 1501])
    func thousandsOfSeeds(firstSeed: UInt64) {
        var failures: [String] = []
        var decisions: [String: Int] = [:]
        var crashes = 0
        var lost = 0
        var duplicated = 0
        var forgotten = 0
        var settledOnForgotten = 0
        for seed in firstSeed..<firstSeed + 500 {
            let report = SettlementSimulator.run(seed: seed)
            if !report.violations.isEmpty { failures.append(report.summary) }
            decisions.merge(report.decisions, uniquingKeysWith: +)
            crashes += report.crashes
            lost += report.lost
            duplicated += report.duplicated
            forgotten += report.forgottenRefusals
            settledOnForgotten += report.settledOnForgotten
        }
        #expect(failures.isEmpty, "\(failures.count) failing seeds, first: \(failures.prefix(3).joined(separator: "\n"))")
        // The workload really exercised the faults and every rejection path.
        #expect(crashes > 250 && lost > 250 && duplicated > 250)
        // Givers forgot refusals (three kept per peer) while copies and retries were on the wire,
        // and requesters ended rejected on ids their givers no longer store: still the same outcome.
        #expect(forgotten > 250 && settledOnForgotten > 250)
        for outcome in ["accepted", "insufficient_credit", "trust_too_low", "over_request_cap", "unknown_peer",
            "rate_limited", "metadata_too_large"]
        {
            #expect(decisions[outcome, default: 0] > 0, "no \(outcome) decision in any seed: \(decisions)")
        }
    }

    @Test("a seed replays exactly")
    func replayIsExact() {
        let first = Self.replay(seed: 42)
        let second = Self.replay(seed: 42)
        #expect(first.decisions == second.decisions && first.crashes == second.crashes && first.sent == second.sent)
        #expect(first.nodes.map(\.records) == second.nodes.map(\.records))
    }

    @Test("on a perfect network without crashes, everything settles with no retries needed")
    func perfectNetwork() {
        let options = SettlementSimulator.Options(
            nodeCount: 3, faults: .none, crashInEventPercent: 0, crashAtRestPercent: 0)
        let report = SettlementSimulator.run(seed: 7, options: options)
        #expect(report.violations.isEmpty, "\(report.summary)")
        #expect(report.crashes == 0 && report.lost == 0)
        #expect(report.decisions["accepted", default: 0] > 0)
    }
}
