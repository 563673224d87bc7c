import SafeguardsCore
import SafeguardsPolicies
import SafeguardsTestKit
import Testing

@Suite("Usage forecasts: calibrated confidence")
struct UsageForecastTests {
    static let day: Int64 = 86_400

    /// On held-out weeks of every kind of trace, the mean stated confidence matches the share of
    /// windows whose use fell in the stated range, within ten points, for a day and for a week.
    @Test(arguments: SyntheticTrace.allCases)
    func statedConfidenceMatchesObservedCoverageOnHeldOutWeeks(_ trace: SyntheticTrace) {
        let uses = trace.uses(weeks: 16, seed: 1)
        for hours in [24, 168] {
            let calibration = ForecastCalibration.measure(
                uses: uses, settings: UsagePatternSettings(), hours: hours,
                first: SyntheticTrace.monday.advanced(by: .seconds(28 * Self.day)), stepHours: 11)
            #expect(calibration.predictions >= 100)
            #expect(
                abs(calibration.statedConfidence - calibration.observedCoverage) <= 0.10,
                "\(trace) \(hours) h: stated \(calibration.statedConfidence), observed \(calibration.observedCoverage)")
        }
    }

    /// 688 in the last 7 of 28 days, nothing before: the week ahead is predicted at the recent
    /// level, not at a quarter of it, and with too little confidence to act on by default.
    @Test func aRecentRiseIsPredictedAtTheRecentLevelWithLowConfidence() throws {
        let now = SyntheticTrace.monday.advanced(by: .seconds(28 * Self.day))
        let uses = (0..<168).map { hour in
            (now.advanced(by: .seconds((hour - 168) * 3600 + 60)), Amount(micros: 4_095_238))
        }
        let patterns = UsagePatterns(settings: UsagePatternSettings(), uses: uses, now: now)
        let prediction = try patterns.predict(hours: 168, from: now, allowLowConfidence: true)
        #expect(abs(Double(prediction.predictedBudget.micros) / 1_000_000 - 688) < 1)
        #expect(prediction.confidence < Ratio(basisPoints: 7000))
        #expect(prediction.regimeChange)
        #expect(prediction.windows == 1)
        #expect(throws: UsagePredictionRefusal.self) { _ = try patterns.predict(hours: 168, from: now) }
    }

    /// The same week ahead is predicted with less confidence once usage has tripled.
    @Test func aRegimeChangeLowersConfidence() throws {
        let uses = SyntheticTrace.regimeChange.uses(weeks: 8, seed: 2)
        let before = SyntheticTrace.monday.advanced(by: .seconds(Int64(SyntheticTrace.changeDay) * Self.day))
        let after = before.advanced(by: .seconds(7 * Self.day))
        let steady = try UsagePatterns(settings: UsagePatternSettings(), uses: uses, now: before)
            .predict(hours: 168, from: before, allowLowConfidence: true)
        let changed = try UsagePatterns(settings: UsagePatternSettings(), uses: uses, now: after)
            .predict(hours: 168, from: after, allowLowConfidence: true)
        #expect(!steady.regimeChange)
        #expect(steady.confidence >= Ratio(basisPoints: 9000))
        #expect(changed.regimeChange)
        #expect(changed.confidence < steady.confidence)
        #expect(changed.confidence < Ratio(basisPoints: 7000))
        // At the new level: about 12 an hour for 168 hours.
        #expect(changed.predictedBudget > 1500)
    }

    /// A confidence does not grow with the window: hours are not independent draws.
    @Test func aLongerWindowIsNotMoreConfidentByItself() throws {
        let uses = SyntheticTrace.bursty.uses(weeks: 4, seed: 3)
        let now = SyntheticTrace.monday.advanced(by: .seconds(28 * Self.day))
        let patterns = UsagePatterns(settings: UsagePatternSettings(), uses: uses, now: now)
        let week = try patterns.predict(hours: 168, from: now, allowLowConfidence: true)
        #expect(week.confidence <= Ratio(basisPoints: 9300))
        #expect(week.windows == 4)
        #expect(week.low < week.predictedBudget && week.predictedBudget < week.high)
    }

    /// `from` moves the window: the weekend after a busy week is predicted as a weekend, and a
    /// window with no whole past window of its phase in the learning period is declined.
    @Test func predictionsStartAtFrom() throws {
        let uses = SyntheticTrace.officeHours.uses(weeks: 4, seed: 4)
        let now = SyntheticTrace.monday.advanced(by: .seconds(28 * Self.day))
        let patterns = UsagePatterns(settings: UsagePatternSettings(), uses: uses, now: now)
        let monday = try patterns.predict(hours: 24, from: now, allowLowConfidence: true)
        let saturday = try patterns.predict(hours: 24, from: now.advanced(by: .seconds(5 * Self.day)), allowLowConfidence: true)
        #expect(saturday.predictedBudget < monday.predictedBudget)
        #expect(throws: UsagePredictionRefusal.noPastWindow(hours: 744, learningPeriodDays: 28)) {
            _ = try patterns.predict(hours: 744, from: now, allowLowConfidence: true)
        }
    }
}
