import Foundation
import SafeguardsCore
import SafeguardsPolicies
import SafeguardsTestKit
import Testing

@Suite("Usage pattern learning")
struct UsagePatternTests {
    static let monday = Timestamp(millisecondsSince1970: 1_767_571_200_000)  // 2026-01-05 00:00 UTC, a Monday

    /// The expected usage in the hour starting at `time`: busy office hours, quiet weekends.
    static func truth(_ time: Timestamp) -> Double {
        let hour = Int((time.millisecondsSince1970 / 3_600_000) % 24)
        let day = Int((time.millisecondsSince1970 / 86_400_000 + 3) % 7)  // 0 = Monday
        let daily = (9..<18).contains(hour) ? 10.0 : 2.0
        return day >= 5 ? daily * 0.3 : daily
    }

    /// Four weeks of hourly uses around the truth with multiplicative noise.
    static func uses(noise: Double, random: inout SeededRandom, weeks: Int = 4, from start: Timestamp = monday)
        -> [(Timestamp, Amount)]
    {
        (0..<(weeks * 168)).map { hour in
            let time = start.advanced(by: .seconds(hour * 3600 + 60))
            let factor = 1 + noise * (Double.random(in: -1...1, using: &random))
            return (time, Amount(micros: Int64(max(0, truth(time) * factor) * 1_000_000)))
        }
    }

    static func actual(hours: Int, from now: Timestamp, noise: Double, random: inout SeededRandom) -> Double {
        (0..<hours).reduce(0.0) { sum, hour in
            let time = now.advanced(by: .seconds(hour * 3600 + 60))
            return sum + truth(time) * (1 + noise * Double.random(in: -1...1, using: &random))
        }
    }

    @Test func aSteadyWeeklyPatternIsPredictedWithinFivePercentAndHighConfidence() throws {
        var random = SeededRandom(seed: 3)
        let now = Self.monday.advanced(by: .seconds(28 * 86_400))
        let patterns = UsagePatterns(settings: UsagePatternSettings(), uses: Self.uses(noise: 0.05, random: &random), now: now)
        for hours in [6, 24, 72] {
            let prediction = try patterns.predict(hours: hours, from: now)
            let truth = (0..<hours).reduce(0.0) { $0 + Self.truth(now.advanced(by: .seconds($1 * 3600))) }
            let predicted = Double(prediction.predictedBudget.micros) / 1_000_000
            #expect(abs(predicted - truth) / truth < 0.05, "\(hours) h: predicted \(predicted), truth \(truth)")
            #expect(prediction.confidence.basisPoints >= 9000)
        }
        // The weekend is learned as a weekend: Saturday's 24 hours need far less than Monday's.
        let saturday = now.advanced(by: .seconds(5 * 86_400))
        let weekend = try patterns.predict(hours: 24, from: saturday)
        #expect(weekend.predictedBudget < (try patterns.predict(hours: 24, from: now)).predictedBudget)
    }

    @Test func confidenceIsCalibrated() throws {
        var random = SeededRandom(seed: 17)
        var high: [Bool] = []
        var low: [Bool] = []
        let now = Self.monday.advanced(by: .seconds(28 * 86_400))
        for _ in 0..<300 {
            let noise = Double.random(in: 0...1.5, using: &random)
            let patterns = UsagePatterns(settings: UsagePatternSettings(), uses: Self.uses(noise: noise, random: &random), now: now)
            // Short windows at random hours of the coming week: little to average the noise out.
            let from = now.advanced(by: .seconds(Int.random(in: 0..<168, using: &random) * 3600))
            let hours = Int.random(in: 1...3, using: &random)
            let prediction = try patterns.predict(hours: hours, from: from, allowLowConfidence: true)
            let actual = Self.actual(hours: hours, from: from, noise: noise, random: &random)
            let right = abs(Double(prediction.predictedBudget.micros) / 1_000_000 - actual) / actual < 0.1
            if prediction.confidence.basisPoints >= 8000 { high.append(right) }
            if prediction.confidence.basisPoints < 5000 { low.append(right) }
        }
        let highRate = Double(high.filter { $0 }.count) / Double(max(1, high.count))
        let lowRate = Double(low.filter { $0 }.count) / Double(max(1, low.count))
        #expect(high.count >= 20 && low.count >= 20, "\(high.count) high, \(low.count) low")
        #expect(highRate > lowRate + 0.2, "right \(highRate) at high confidence, \(lowRate) at low")
    }

    @Test func withTooFewPointsOrTooLittleConfidenceItDeclines() {
        var random = SeededRandom(seed: 5)
        let now = Self.monday.advanced(by: .seconds(28 * 86_400))
        let few = Array(Self.uses(noise: 0, random: &random).suffix(10))
        let sparse = UsagePatterns(settings: UsagePatternSettings(), uses: few, now: now)
        #expect(throws: UsagePredictionRefusal.insufficientData(dataPoints: 10, needed: 24)) {
            _ = try sparse.predict(hours: 24, from: now)
        }
        let noisy = UsagePatterns(settings: UsagePatternSettings(), uses: Self.uses(noise: 1.5, random: &random), now: now)
        do {
            _ = try noisy.predict(hours: 1, from: now)
            Issue.record("a noisy hour was predicted with confidence")
        } catch {
            guard case .lowConfidence = error else {
                Issue.record("expected low confidence, got \(error)")
                return
            }
        }
    }
}
