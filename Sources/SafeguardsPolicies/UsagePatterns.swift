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
    /// 0..1: the estimated probability that the window's use falls between ``low`` and ``high``
    /// (the prediction ±20%), from how well past windows of the same phase predicted each other.
    public var confidence: Ratio
    public var dataPoints: Int
    /// The prediction −20% and +20%: the range ``confidence`` speaks of.
    public var low: Amount
    public var high: Amount
    /// The past windows the prediction rests on.
    public var windows: Int
    /// Whether the recent weeks differ from older ones by more than a factor of two, so that
    /// only the recent ones were used.
    public var regimeChange: Bool

    public init(
        predictedBudget: Amount, confidence: Ratio, dataPoints: Int, low: Amount? = nil, high: Amount? = nil,
        windows: Int = 0, regimeChange: Bool = false
    ) {
        self.predictedBudget = predictedBudget
        self.confidence = confidence
        self.dataPoints = dataPoints
        self.low = low ?? predictedBudget
        self.high = high ?? predictedBudget
        self.windows = windows
        self.regimeChange = regimeChange
    }
}

/// Why the learner declines to predict.
public enum UsagePredictionRefusal: Error, Sendable, Hashable {
    case insufficientData(dataPoints: Int, needed: Int)
    /// No whole past window of the asked length and phase lies in the learning period.
    case noPastWindow(hours: Int, learningPeriodDays: Int)
    case lowConfidence(UsagePrediction, threshold: Ratio)
}

/// Per-agent usage in buckets by day of week and time of day, learned from the uses of the last
/// `learning_period_days`, and the prediction of a coming window's use.
///
/// Each bucket of the week is observed once per week of the period; a week with no use in it
/// counts as zero (``buckets()``, the learned pattern). A prediction does not sum the buckets:
/// hours of one agent are not independent, so summing their variances made confidence grow with
/// the window. It rests on whole past windows of the same length and phase instead, and states a
/// confidence calibrated on them (see ``UsageForecast``).
public struct UsagePatterns: Sendable {
    public let settings: UsagePatternSettings
    public let dataPoints: Int
    /// The weeks of the learning period: how many times each bucket is observed.
    public let weeks: Int
    /// The end of the learning period: uses before it were learned.
    public let now: Timestamp
    /// Slot of the week → total per week of the period.
    let observations: [Int: [Double]]
    let calendar: Calendar
    let forecast: UsageForecast

    public init(settings: UsagePatternSettings, uses: [(Timestamp, Amount)], now: Timestamp) {
        self.settings = settings
        self.now = now
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
        self.forecast = UsageForecast(uses: uses, start: start, now: now)
    }

    static func slot(of time: Timestamp, calendar: Calendar, bucketMinutes: Int) -> Int? {
        TimeProfileSchedule.weekMinute(of: time, in: calendar).map { $0 / bucketMinutes }
    }

    /// The mean (across weeks) of one bucket.
    func mean(_ slot: Int) -> Double {
        guard let values = observations[slot] else { return 0 }
        return values.reduce(0, +) / Double(values.count)
    }

    /// The usage expected over the `hours` from `from` (`future_time` in the original; at or after
    /// the learning period's end), or why not.
    public func predict(hours: Int, from: Timestamp, allowLowConfidence: Bool = false) throws(UsagePredictionRefusal)
        -> UsagePrediction
    {
        guard dataPoints >= settings.minDataPoints else {
            throw .insufficientData(dataPoints: dataPoints, needed: settings.minDataPoints)
        }
        guard let outcome = forecast.forecast(hours: hours, from: from) else {
            throw .noPastWindow(hours: hours, learningPeriodDays: settings.learningPeriodDays)
        }
        let prediction = UsagePrediction(
            predictedBudget: Amount(approximately: outcome.predicted),
            confidence: Ratio(basisPoints: Int64((outcome.confidence * 10_000).rounded(.down))), dataPoints: dataPoints,
            low: Amount(approximately: outcome.predicted * (1 - UsageForecast.band)),
            high: Amount(approximately: outcome.predicted * (1 + UsageForecast.band)), windows: outcome.windows,
            regimeChange: outcome.regimeChange)
        if !allowLowConfidence, prediction.confidence < settings.predictionConfidence {
            throw .lowConfidence(prediction, threshold: settings.predictionConfidence)
        }
        return prediction
    }

    /// Every bucket with any use: day (0 = Monday), start minute, weekly mean.
    public func buckets() -> [(day: Int, startMinute: Int, mean: Amount)] {
        observations.keys.sorted().map { slot in
            let minuteOfWeek = slot * settings.timeBucketMinutes
            return (minuteOfWeek / 1440, minuteOfWeek % 1440, Amount(approximately: mean(slot)))
        }
    }
}
