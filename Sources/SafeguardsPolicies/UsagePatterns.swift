import Foundation
import SafeguardsCore

/// How usage is learned, after the original's `UsagePatternLearner`.
public struct UsagePatternSettings: Sendable, Hashable {
    /// Bucket width within a day (60: by hour of day), by day of week.
    public var timeBucketMinutes: Int
    /// How far back usage is learned from.
    public var learningPeriodDays: Int
    /// Fewer uses than this in the period: no prediction.
    public var minDataPoints: Int
    /// Below this confidence the learner says it does not know.
    public var predictionConfidence: Ratio
    public var timeZone: String

    public init(
        timeBucketMinutes: Int = 60, learningPeriodDays: Int = 28, minDataPoints: Int = 24,
        predictionConfidence: Ratio = Ratio(basisPoints: 7000), timeZone: String = "UTC"
    ) {
        self.timeBucketMinutes = timeBucketMinutes
        self.learningPeriodDays = learningPeriodDays
        self.minDataPoints = minDataPoints
        self.predictionConfidence = predictionConfidence
        self.timeZone = timeZone
    }

    public func validate() throws(PolicyError) {
        guard timeBucketMinutes > 0, 1440 % timeBucketMinutes == 0 else {
            throw PolicyError("time_bucket_minutes must divide a day (15, 30, 60, 120...)")
        }
        guard (7...365).contains(learningPeriodDays) else { throw PolicyError("learning_period_days must be 7-365") }
        guard minDataPoints >= 1 else { throw PolicyError("min_data_points must be at least 1") }
        guard TimeZone(identifier: timeZone) != nil else { throw PolicyError("unknown time zone '\(timeZone)'") }
    }
}

/// What the learner predicts for a coming window.
public struct UsagePrediction: Sendable, Hashable {
    public var predictedBudget: Amount
    /// 0..1: how steady the usage in those buckets was from week to week, discounted while
    /// fewer than four weeks were seen.
    public var confidence: Ratio
    public var dataPoints: Int

    public init(predictedBudget: Amount, confidence: Ratio, dataPoints: Int) {
        self.predictedBudget = predictedBudget
        self.confidence = confidence
        self.dataPoints = dataPoints
    }
}

/// Why the learner declines to predict.
public enum UsagePredictionRefusal: Error, Sendable, Hashable {
    case insufficientData(dataPoints: Int, needed: Int)
    case lowConfidence(UsagePrediction, threshold: Ratio)
}

/// Per-agent usage in buckets by day of week and time of day, learned from the uses of the last
/// `learning_period_days`.
///
/// Each bucket of the week is observed once per week of the period; a week with no use in it
/// counts as zero. A prediction for the next hours sums the buckets' weekly means; its
/// confidence is `(1 − cv) × min(1, weeks / 4)` with `cv` the coefficient of variation of that
/// sum across weeks (the square root of the summed variances over the summed means), so a
/// pattern that repeats exactly is predicted with high confidence and a noisy one with low.
public struct UsagePatterns: Sendable {
    public let settings: UsagePatternSettings
    public let dataPoints: Int
    /// The weeks of the learning period: how many times each bucket is observed.
    public let weeks: Int
    /// Slot of the week → total per week of the period.
    let observations: [Int: [Double]]
    let calendar: Calendar

    public init(settings: UsagePatternSettings, uses: [(Timestamp, Amount)], now: Timestamp) {
        self.settings = settings
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: settings.timeZone) ?? TimeZone(identifier: "UTC")!
        self.calendar = calendar
        let start = now.advanced(by: .seconds(-settings.learningPeriodDays * 86_400))
        let weeks = max(1, (settings.learningPeriodDays + 6) / 7)
        self.weeks = weeks
        var observations: [Int: [Double]] = [:]
        var points = 0
        for (time, amount) in uses where time >= start && time < now {
            guard let slot = Self.slot(of: time, calendar: calendar, bucketMinutes: settings.timeBucketMinutes) else { continue }
            let week = min(weeks - 1, Int(start.duration(to: time).components.seconds / (7 * 86_400)))
            var perWeek = observations[slot] ?? Array(repeating: 0, count: weeks)
            perWeek[week] += Double(amount.micros) / 1_000_000
            observations[slot] = perWeek
            points += 1
        }
        self.observations = observations
        self.dataPoints = points
    }

    static func slot(of time: Timestamp, calendar: Calendar, bucketMinutes: Int) -> Int? {
        TimeProfileSchedule.weekMinute(of: time, in: calendar).map { $0 / bucketMinutes }
    }

    /// Mean and variance (across weeks) of one bucket.
    func statistics(_ slot: Int) -> (mean: Double, variance: Double) {
        guard let values = observations[slot] else { return (0, 0) }
        let mean = values.reduce(0, +) / Double(values.count)
        let variance = values.count > 1 ? values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count - 1) : 0
        return (mean, variance)
    }

    /// The usage expected over the `hours` after `now`, or why not.
    public func predict(hours: Int, from now: Timestamp, allowLowConfidence: Bool = false) throws(UsagePredictionRefusal)
        -> UsagePrediction
    {
        guard dataPoints >= settings.minDataPoints else {
            throw .insufficientData(dataPoints: dataPoints, needed: settings.minDataPoints)
        }
        var mean = 0.0
        var variance = 0.0
        let steps = max(1, hours * 60 / settings.timeBucketMinutes)
        for step in 0..<steps {
            let time = now.advanced(by: .seconds(step * settings.timeBucketMinutes * 60))
            guard let slot = Self.slot(of: time, calendar: calendar, bucketMinutes: settings.timeBucketMinutes) else { continue }
            let stats = statistics(slot)
            mean += stats.mean
            variance += stats.variance
        }
        let cv = mean > 0 ? variance.squareRoot() / mean : (variance > 0 ? 1 : 0)
        let confidence = max(0, 1 - cv) * min(1, Double(weeks) / 4)
        let prediction = UsagePrediction(
            predictedBudget: Amount(approximately: mean),
            confidence: Ratio(basisPoints: Int64((confidence * 10_000).rounded(.down))), dataPoints: dataPoints)
        if !allowLowConfidence, prediction.confidence < settings.predictionConfidence {
            throw .lowConfidence(prediction, threshold: settings.predictionConfidence)
        }
        return prediction
    }

    /// Every bucket with any use: day (0 = Monday), start minute, weekly mean.
    public func buckets() -> [(day: Int, startMinute: Int, mean: Amount)] {
        observations.keys.sorted().map { slot in
            let minuteOfWeek = slot * settings.timeBucketMinutes
            return (minuteOfWeek / 1440, minuteOfWeek % 1440, Amount(approximately: statistics(slot).mean))
        }
    }
}
