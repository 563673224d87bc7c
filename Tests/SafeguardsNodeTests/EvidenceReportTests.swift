import SafeguardsAPI
import Testing

/// The evidence report lists a bounded number of problems and counts them all: a peer whose key
/// is no longer known makes every one of its receipts a problem.
@Suite("Evidence report bounds")
struct EvidenceReportTests {
    @Test func problemsAreListedUpToTheLimitAndCountedInFull() {
        var report = EvidenceReport(checked: 0, problems: [], problemCount: 0)
        for index in 0..<(EvidenceReport.listLimit + 25) {
            report.report(.init(transactionID: "tx_\(index)", peer: "system_b", problem: "unknown key"))
        }
        #expect(report.problems.count == EvidenceReport.listLimit)
        #expect(report.problems.first?.transactionID == "tx_0")
        #expect(report.problemCount == EvidenceReport.listLimit + 25)
    }

    @Test func aReportFromANodeWithoutTheCountCountsItsList() {
        var report = EvidenceReport(checked: 1, problems: [.init(transactionID: "tx_0", peer: "system_b", problem: "p")])
        report.report(.init(transactionID: "tx_1", peer: "system_b", problem: "p"))
        #expect(report.problemCount == 2)
    }
}
