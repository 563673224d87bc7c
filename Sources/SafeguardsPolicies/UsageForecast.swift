import Foundation
import SafeguardsCore

/// An agent's use over a coming window, forecast from whole past windows of the same length and
/// phase, with a confidence that is calibrated: the share of forecasts stated at confidence `c`
/// whose window's use falls within ``band`` of the forecast is about `c`.
///
/// **Samples.** For a window of `h` hours starting at `from`, the past windows
/// `[from − k·P, from − k·P + h)` for `k = 1, 2, ...`, with the period `P` a week (or as many whole
/// weeks as `h` needs), that lie wholly inside the learning period and end by `now`. The same
/// hours of the same weekdays: office hours are compared with office hours, weekends with
/// weekends. Their totals are the samples, most recent first.
///
/// **Regime change.** The weekly totals, going back from `now`, are compared with the median of
/// the more recent ones; the first week more than twice as high, or less than half as high, ends
/// the current regime (so does use after an empty stretch, or none after use). Only samples from
/// the current regime are kept. After a change there are few of them, so the confidence falls.
///
/// **Forecast.** The recency-weighted mean of the kept samples (weights `0.8^k`, the latest 1).
///
/// **Confidence.** Leave-one-out over the kept samples: each is forecast from the others, and
/// the (recency-weighted) share of them within ±20% of that forecast is how often a new window
/// lands within ±20% of a forecast, shrunk toward 1/2 by a prior worth half a sample:
/// `(Σ wᵢ·hitᵢ + 0.25) / (Σ wᵢ + 0.5)`. One sample says nothing about the spread: 0.5. The
/// learner is thus only as confident as the past windows agree with each other, not more
/// confident the longer the window is (hours are not independent draws), and four agreeing weeks
/// give about 0.93.
struct UsageForecast: Sendable {
    /// The forecast is right when the window's use is within this fraction of it.
    static let band = 0.2
    /// How much each older sample counts relative to the next more recent one.
    static let decay = 0.8
    /// A week ends the regime when its total is this many times above or below the later weeks'.
    static let regimeFactor = 2.0

    /// Milliseconds of each use within the learning period, in order.
    private let times: [Int64]
    /// `cumulative[i]`: the total of the first `i` uses, in units.
    private let cumulative: [Double]
    private let start: Timestamp
    private let now: Timestamp

    init(uses: [(Timestamp, Amount)], start: Timestamp, now: Timestamp) {
        self.start = start
        self.now = now
        let kept = uses.filter { $0.0 >= start && $0.0 < now }.sorted { $0.0 < $1.0 }
        times = kept.map(\.0.millisecondsSince1970)
        var running = 0.0
        var cumulative = [0.0]
        cumulative.reserveCapacity(kept.count + 1)
        for (_, amount) in kept {
            running += Double(amount.micros) / 1_000_000
            cumulative.append(running)
        }
        self.cumulative = cumulative
    }

    /// The total of the uses in `[from, until)`, in units.
    func total(from: Timestamp, until: Timestamp) -> Double {
        cumulative[index(until.millisecondsSince1970)] - cumulative[index(from.millisecondsSince1970)]
    }

    /// The number of uses before `milliseconds`.
    private func index(_ milliseconds: Int64) -> Int {
        var low = 0
        var high = times.count
        while low < high {
            let middle = (low + high) / 2
            if times[middle] < milliseconds { low = middle + 1 } else { high = middle }
        }
        return low
    }

    /// What the forecast says about one window.
    struct Outcome: Sendable, Hashable {
        var predicted: Double
        var confidence: Double
        /// Past windows the forecast rests on.
        var windows: Int
        var regimeChange: Bool
    }

    /// The forecast of the `hours` from `from`, or nil when no whole past window of the same
    /// phase lies in the learning period.
    func forecast(hours: Int, from: Timestamp) -> Outcome? {
        let week: Int64 = 7 * 86_400_000
        let length = Int64(hours) * 3_600_000
        let period = week * max(1, (length + week - 1) / week)
        var samples: [(start: Int64, total: Double)] = []
        var back = from.millisecondsSince1970 - period
        while back >= start.millisecondsSince1970 {
            if back + length <= now.millisecondsSince1970 {
                let sum = total(from: Timestamp(millisecondsSince1970: back), until: Timestamp(millisecondsSince1970: back + length))
                samples.append((back, sum))
            }
            back -= period
        }
        guard !samples.isEmpty else { return nil }
        let (regimeStart, changed) = currentRegime()
        // A sample belongs to the current regime when its period started within it.
        var kept = samples.filter { $0.start >= regimeStart - (period - week) }.map { $0.total }
        if kept.isEmpty { kept = [samples[0].total] }
        let weights = kept.indices.map { pow(Self.decay, Double($0)) }
        let predicted = Self.weightedMean(kept, weights, leaving: nil)
        var hits = 0.0
        var weightSum = 0.0
        if kept.count >= 2 {
            for index in kept.indices {
                let center = Self.weightedMean(kept, weights, leaving: index)
                if abs(kept[index] - center) <= Self.band * center { hits += weights[index] }
                weightSum += weights[index]
            }
        }
        let confidence = (hits + 0.25) / (weightSum + 0.5)
        return Outcome(predicted: predicted, confidence: confidence, windows: kept.count, regimeChange: changed)
    }

    /// Where the current regime starts (milliseconds), and whether an older, different one was seen.
    private func currentRegime() -> (start: Int64, changed: Bool) {
        let week: Int64 = 7 * 86_400_000
        var totals: [Double] = []
        var end = now.millisecondsSince1970
        while end - week >= start.millisecondsSince1970 {
            totals.append(total(from: Timestamp(millisecondsSince1970: end - week), until: Timestamp(millisecondsSince1970: end)))
            end -= week
        }
        var length = 1
        while length < totals.count {
            let sorted = totals[..<length].sorted()
            let reference = length % 2 == 1 ? sorted[length / 2] : (sorted[length / 2 - 1] + sorted[length / 2]) / 2
            let older = totals[length]
            let differs =
                reference > 0
                ? (older > reference * Self.regimeFactor || older < reference / Self.regimeFactor)
                : older > 0
            if differs { break }
            length += 1
        }
        // Every week agrees: the whole learning period is one regime, its ragged start included.
        guard length < totals.count else { return (start.millisecondsSince1970, false) }
        return (now.millisecondsSince1970 - Int64(length) * week, true)
    }

    /// The weighted mean of `values`, without the one at `leaving`.
    private static func weightedMean(_ values: [Double], _ weights: [Double], leaving: Int?) -> Double {
        var sum = 0.0
        var weight = 0.0
        for index in values.indices where index != leaving {
            sum += values[index] * weights[index]
            weight += weights[index]
        }
        return weight > 0 ? sum / weight : 0
    }
}
