import SafeguardsCore
import SafeguardsFederation
import SafeguardsTestKit
import Testing

@Suite("Trust state")
struct TrustStateTests {
    func level(_ text: String) throws -> TrustLevel { try TrustLevel(parsing: text) }

    @Test("offenses lower effective trust by their penalty, not below zero")
    func offensesLowerTrust() throws {
        var state = TrustState(configured: try level("0.8"))
        state.recordInvalid(.invalidSignature)
        #expect(state.effective == (try level("0.6")))
        state.recordInvalid(.failedPromise)
        #expect(state.effective == (try level("0.5")))
        state.recordInvalid(.malformed)
        #expect(state.effective == (try level("0.45")))
        for _ in 0..<10 { state.recordInvalid(.invalidSignature) }
        #expect(state.effective == .zero)
        #expect(state.badMessages == 13)
        #expect(state.configured == (try level("0.8")))
    }

    @Test("good messages recover 0.01 each and never above the configured level")
    func goodMessagesRecoverSlowly() throws {
        var state = TrustState(configured: try level("0.8"))
        state.recordInvalid(.invalidSignature)
        for count in 1...20 {
            state.recordGood()
            #expect(state.effective.basisPoints == 6_000 + 100 * count)
        }
        #expect(state.effective == state.configured)
        for _ in 0..<1_000 { state.recordGood() }
        #expect(state.effective == state.configured)
        #expect(state.goodMessages == 1_020)
    }

    @Test("lowering the configured level clamps effective trust; raising it keeps the deficit")
    func reconfiguring() throws {
        var state = TrustState(configured: try level("0.8"))
        state.recordInvalid(.invalidSignature)  // effective 0.6
        state.reconfigure(try level("0.5"))
        #expect(state.effective == (try level("0.5")))
        state.reconfigure(try level("0.3"))
        #expect(state.effective == (try level("0.3")))
        state.recordInvalid(.failedPromise)  // effective 0.2, deficit 0.1
        state.reconfigure(try level("0.9"))
        #expect(state.configured == (try level("0.9")))
        #expect(state.effective == (try level("0.8")))
        var clean = TrustState(configured: try level("0.5"))
        clean.reconfigure(.full)
        #expect(clean.effective == .full)
    }

    @Test("restored state is clamped to its invariants")
    func restoredStateIsClamped() throws {
        let state = TrustState(configured: try level("0.5"), effective: .full, goodMessages: -3, badMessages: 4)
        #expect(state.effective == (try level("0.5")))
        #expect(state.goodMessages == 0)
        #expect(state.badMessages == 4)
    }

    @Test("under any seeded sequence of events, 0 <= effective <= configured")
    func invariantHoldsUnderRandomEvents() throws {
        var random = SeededRandom(seed: 50)
        for _ in 0..<200 {
            var state = TrustState(configured: try TrustLevel(basisPoints: random.int(in: 0...10_000)))
            for _ in 0..<200 {
                switch random.int(in: 0...9) {
                case 0...5: state.recordGood()
                case 6...8:
                    if let offense = random.element(of: TrustOffense.allCases) { state.recordInvalid(offense) }
                default: state.reconfigure(try TrustLevel(basisPoints: random.int(in: 0...10_000)))
                }
                #expect(state.effective >= .zero && state.effective <= state.configured, "seed \(random.seed)")
            }
        }
    }

    @Test("reject codes map to the offenses that cost trust")
    func rejectCodesMapToOffenses() {
        #expect(TrustOffense(rejectCode: .invalidSignature) == .invalidSignature)
        #expect(TrustOffense(rejectCode: .identityMismatch) == .impersonation)
        #expect(TrustOffense(rejectCode: .malformed) == .malformed)
        #expect(TrustOffense(rejectCode: .replayed) == .replayed)
        #expect(TrustOffense(rejectCode: .stale) == .stale)
        #expect(TrustOffense(rejectCode: .unknownType) == nil)
        #expect(TrustOffense(rejectCode: .unsupportedVersion) == nil)
        #expect(TrustOffense(rejectCode: .unknownPeer) == nil)
    }
}
