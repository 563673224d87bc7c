import SafeguardsCore
import SafeguardsFederation
import SafeguardsTestKit
import Testing

@Suite("Trust state")
struct TrustStateTests {
    func level(_ text: String) throws -> TrustLevel { try TrustLevel(parsing: text) }

    static let halfLife: Duration = .seconds(3600)
    static let start = Timestamp(millisecondsSince1970: 1_700_000_000_000)

    /// `start` moved by `duration`.
    static func at(_ duration: Duration) -> Timestamp { start.advanced(by: duration) }

    /// The effective trust of `state` at `start + duration`, as text.
    static func effective(_ state: TrustState, after duration: Duration = .zero) -> String {
        state.effective(at: at(duration), halfLife: halfLife).description
    }

    @Test("offenses lower effective trust by their penalty, not below zero")
    func offensesLowerTrust() throws {
        var state = TrustState(configured: try level("0.8"))
        state.recordOffense(.invalidSignature, at: Self.start, halfLife: Self.halfLife)
        #expect(Self.effective(state) == "0.6000")
        state.recordOffense(.failedPromise, at: Self.start, halfLife: Self.halfLife)
        #expect(Self.effective(state) == "0.5000")
        state.recordOffense(.malformed, at: Self.start, halfLife: Self.halfLife)
        #expect(Self.effective(state) == "0.4500")
        for _ in 0..<10 { state.recordOffense(.invalidSignature, at: Self.start, halfLife: Self.halfLife) }
        #expect(state.effective(at: Self.start, halfLife: Self.halfLife) == .zero)
        #expect(state.badMessages == 13)
        #expect(state.configured == (try level("0.8")))
        #expect(state.lastOffenseAt == Self.start)
    }

    @Test("trust recovers by time: the gap to the configured level halves exactly every half-life")
    func recoveryHalvesTheGapEveryHalfLife() throws {
        var state = TrustState(configured: try level("0.8"))
        state.recordOffense(.invalidSignature, at: Self.start, halfLife: Self.halfLife)  // gap 0.2
        #expect(state.floor == (try level("0.6")))
        #expect(Self.effective(state) == "0.6000")
        #expect(Self.effective(state, after: .seconds(3600)) == "0.7000")
        #expect(Self.effective(state, after: .seconds(7200)) == "0.7500")
        #expect(Self.effective(state, after: .seconds(3 * 3600)) == "0.7750")
        #expect(Self.effective(state, after: .seconds(4 * 3600)) == "0.7875")
        // Between half-lives the gap shrinks continuously: 0.2 x 2^(-1/2) = 0.14142...
        #expect(Self.effective(state, after: .seconds(1800)) == "0.6586")
        // 125 / 2 = 62.5 basis points: the half goes to the lower trust.
        #expect(Self.effective(state, after: .seconds(5 * 3600)) == "0.7937")
        // What is stored does not move: only the derived level does.
        #expect(state.floor == (try level("0.6")))
        #expect(state.lastOffenseAt == Self.start)
    }

    @Test("recovered trust never exceeds the configured level")
    func recoveryStopsAtTheConfiguredLevel() throws {
        var state = TrustState(configured: try level("0.8"))
        state.recordOffense(.invalidSignature, at: Self.start, halfLife: Self.halfLife)
        #expect(Self.effective(state, after: .seconds(15 * 3600)) == "0.8000")
        #expect(Self.effective(state, after: .seconds(1_000 * 3600)) == "0.8000")
        let endOfTime = Timestamp(millisecondsSince1970: .max)
        #expect(state.effective(at: endOfTime, halfLife: Self.halfLife) == state.configured)
        // A clock that reads earlier than the offense gives no recovery.
        #expect(Self.effective(state, after: .seconds(-3600)) == "0.6000")
    }

    @Test("good messages are counted and earn nothing: 1,000 pings do not launder an offense")
    func goodMessagesEarnNothing() throws {
        var state = TrustState(configured: try level("0.8"))
        state.recordOffense(.invalidSignature, at: Self.start, halfLife: Self.halfLife)
        for _ in 0..<1_000 { state.recordGood() }
        #expect(state.goodMessages == 1_000)
        #expect(Self.effective(state) == "0.6000")
        #expect(state.effective(at: Self.at(.seconds(60)), halfLife: Self.halfLife) < (try level("0.61")))
        // Only time helps, the same with or without the pings.
        var quiet = TrustState(configured: try level("0.8"))
        quiet.recordOffense(.invalidSignature, at: Self.start, halfLife: Self.halfLife)
        #expect(Self.effective(state, after: .seconds(5000)) == Self.effective(quiet, after: .seconds(5000)))
    }

    @Test("an offense during recovery falls from the level recovered so far")
    func anOffenseDuringRecoveryStartsFromTheCurrentLevel() throws {
        var state = TrustState(configured: try level("0.8"))
        state.recordOffense(.invalidSignature, at: Self.start, halfLife: Self.halfLife)
        state.recordOffense(.malformed, at: Self.at(.seconds(3600)), halfLife: Self.halfLife)  // 0.7 - 0.05
        #expect(state.floor == (try level("0.65")))
        #expect(state.lastOffenseAt == Self.at(.seconds(3600)))
        #expect(Self.effective(state, after: .seconds(7200)) == "0.7250")
    }

    @Test("what a connection already paid is not charged again: a connection costs its worst offense")
    func alreadyChargedIsNotChargedAgain() throws {
        var state = TrustState(configured: try level("0.8"))
        #expect(state.recordOffense(.stale, at: Self.start, halfLife: Self.halfLife) == 200)
        #expect(state.recordOffense(.stale, at: Self.start, halfLife: Self.halfLife, alreadyCharged: 200) == 0)
        #expect(Self.effective(state) == "0.7800")
        let worse = state.recordOffense(.invalidSignature, at: Self.start, halfLife: Self.halfLife, alreadyCharged: 200)
        #expect(worse == 1_800)
        #expect(Self.effective(state) == "0.6000")
        let before = state
        let again = state.recordOffense(
            .invalidSignature, at: Self.at(.seconds(10)), halfLife: Self.halfLife, alreadyCharged: 2_000)
        #expect(again == 0)
        #expect(state.badMessages == before.badMessages + 1)
        #expect(state.floor == before.floor)
        #expect(state.lastOffenseAt == before.lastOffenseAt)
    }

    @Test("reconfiguring keeps the gap the offenses left, recovering from the same offense time")
    func reconfiguring() throws {
        var state = TrustState(configured: try level("0.8"))
        state.recordOffense(.invalidSignature, at: Self.start, halfLife: Self.halfLife)  // gap 0.2
        state.reconfigure(try level("0.9"))
        #expect(state.configured == (try level("0.9")))
        #expect(Self.effective(state) == "0.7000")
        #expect(Self.effective(state, after: .seconds(3600)) == "0.8000")
        state.reconfigure(try level("0.5"))
        #expect(Self.effective(state) == "0.3000")
        state.reconfigure(try level("0.1"))
        #expect(Self.effective(state) == "0.0000")
        var clean = TrustState(configured: try level("0.5"))
        clean.reconfigure(.full)
        #expect(Self.effective(clean) == "1.0000")
    }

    @Test("restored state is clamped to its invariants")
    func restoredStateIsClamped() throws {
        let state = TrustState(
            configured: try level("0.5"), floor: .full, lastOffenseAt: nil, goodMessages: -3, badMessages: 4)
        #expect(Self.effective(state) == "0.5000")
        #expect(state.goodMessages == 0)
        #expect(state.badMessages == 4)
        // A floor with no offense time (stored before recovery by time) does not recover by itself.
        let legacy = TrustState(
            configured: try level("0.5"), floor: try level("0.2"), lastOffenseAt: nil, goodMessages: 0, badMessages: 1)
        #expect(Self.effective(legacy, after: .seconds(100 * 3600)) == "0.2000")
    }

    @Test("under any seeded sequence of events and times, 0 <= effective <= configured")
    func invariantHoldsUnderRandomEvents() throws {
        var random = SeededRandom(seed: 50)
        for _ in 0..<200 {
            var state = TrustState(configured: try TrustLevel(basisPoints: random.int(in: 0...10_000)))
            var time = Self.start
            for _ in 0..<200 {
                time = time.advanced(by: .seconds(random.int(in: 0...7200)))
                switch random.int(in: 0...9) {
                case 0...5: state.recordGood()
                case 6...8:
                    if let offense = random.element(of: TrustOffense.allCases) {
                        state.recordOffense(
                            offense, at: time, halfLife: Self.halfLife, alreadyCharged: random.int(in: 0...2_000))
                    }
                default: state.reconfigure(try TrustLevel(basisPoints: random.int(in: 0...10_000)))
                }
                let effective = state.effective(at: time, halfLife: Self.halfLife)
                #expect(effective >= state.floor && effective <= state.configured, "seed \(random.seed)")
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
