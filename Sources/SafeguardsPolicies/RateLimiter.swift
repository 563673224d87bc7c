import SafeguardsCore

/// At most `maxBudget` spent per `window`, per agent.
public struct RateLimit: Sendable, Hashable {
    public var maxBudget: Amount
    public var window: Duration

    public init(maxBudget: Amount, window: Duration) {
        self.maxBudget = maxBudget
        self.window = window
    }
}

/// A sliding-window limiter: an amount is admitted when it, plus everything recorded in the
/// `window` before it, stays within `maxBudget`. Every window of that length, wherever it
/// starts, holds at most `maxBudget`.
///
/// A sliding log rather than GCRA: GCRA spreads admissions evenly and would refuse a burst that
/// the window allows; the original framework's rate limit is "at most X per window".
///
/// **Bounded memory, and what it costs.** The window is cut into ``subBucketsPerWindow`` fixed
/// sub-buckets (of `window / 64`, at least one millisecond, aligned on the epoch). Uses that fall
/// into the same sub-bucket are kept as one entry at the time of the latest of them, so an agent
/// holds at most 65 entries however often it spends. The price is on the safe side only: a use
/// that shares its sub-bucket with a later one leaves the window up to one sub-bucket (1/64 of
/// the window) late, never early. Uses in sub-buckets of their own are exact.
///
/// Sums are kept in 128 bits, so no number of uses (even ones recorded past the limit, as a
/// window rebuilt from a journal may hold) can wrap around into an admission.
public struct SlidingWindowLimiter: Sendable {
    /// How many sub-buckets a window is cut into.
    public static let subBucketsPerWindow: Int64 = 64

    public let limit: RateLimit
    /// The uses still in the window, oldest first, at most one per sub-bucket.
    private var uses: [Use] = []
    /// The latest time a use was recorded at: entries are dropped once they left its window.
    private var latest: Timestamp?
    private let subBucketMilliseconds: Int64

    private struct Use: Sendable {
        var at: Timestamp
        let subBucket: Int64
        var micros: Int128
    }

    public init(_ limit: RateLimit) {
        self.limit = limit
        subBucketMilliseconds = max(1, Transfer.milliseconds(limit.window) / Self.subBucketsPerWindow)
    }

    /// How many entries the limiter holds (at most ``subBucketsPerWindow`` + 1 once pruned).
    public var entryCount: Int { uses.count }

    /// What the window already holds at `now` (saturating at the largest amount).
    public func used(at now: Timestamp) -> Amount {
        Amount(micros: Int64(clamping: usedMicros(at: now)))
    }

    /// Whether `amount` may be spent at `now`.
    public func check(_ amount: Amount, at now: Timestamp) -> Bool {
        guard amount <= limit.maxBudget else { return false }
        return usedMicros(at: now) + Int128(amount.micros) <= Int128(limit.maxBudget.micros)
    }

    /// Counts `amount` as spent at `at` (after ``check(_:at:)`` admitted it, or when rebuilding
    /// the window from what was spent). Uses may come in any order.
    public mutating func record(_ amount: Amount, at: Timestamp) {
        let newest = max(latest ?? at, at)
        latest = newest
        uses.removeAll { !(newest < $0.at.advanced(by: limit.window)) }
        let subBucket = Self.floorDivide(at.millisecondsSince1970, subBucketMilliseconds)
        if let index = uses.lastIndex(where: { $0.subBucket == subBucket }) {
            uses[index].micros += Int128(amount.micros)
            uses[index].at = max(uses[index].at, at)
        } else {
            let index = uses.lastIndex(where: { $0.at <= at }).map { $0 + 1 } ?? 0
            uses.insert(Use(at: at, subBucket: subBucket, micros: Int128(amount.micros)), at: index)
        }
    }

    /// Takes back `amount` of a use recorded at `recordedAt`: a reservation settled for less than
    /// it reserved counts what it settled, a released or expired one nothing. Once that use left
    /// the window there is nothing to take back. Never takes more than the use's sub-bucket holds.
    public mutating func remove(_ amount: Amount, recordedAt: Timestamp) {
        guard amount.isPositive else { return }
        let subBucket = Self.floorDivide(recordedAt.millisecondsSince1970, subBucketMilliseconds)
        guard let index = uses.lastIndex(where: { $0.subBucket == subBucket }) else { return }
        uses[index].micros -= min(uses[index].micros, Int128(amount.micros))
        if uses[index].micros == 0 { uses.remove(at: index) }
    }

    /// Checks and records in one step; returns whether it was admitted.
    public mutating func admit(_ amount: Amount, at now: Timestamp) -> Bool {
        guard check(amount, at: now) else { return false }
        record(amount, at: now)
        return true
    }

    /// How long from `now` until `amount` would be admitted: zero when it is now, `nil` when it
    /// never can be (more than the whole limit).
    public func retryAfter(_ amount: Amount, at now: Timestamp) -> Duration? {
        guard amount <= limit.maxBudget else { return nil }
        var live = uses.filter { inWindow($0.at, now) }[...]
        var total = live.reduce(Int128(0)) { $0 + $1.micros }
        var when = now
        while total + Int128(amount.micros) > Int128(limit.maxBudget.micros), let oldest = live.popFirst() {
            total -= oldest.micros
            when = oldest.at.advanced(by: limit.window)
        }
        return now.duration(to: when)
    }

    private func usedMicros(at now: Timestamp) -> Int128 {
        var total: Int128 = 0
        for use in uses where inWindow(use.at, now) { total += use.micros }
        return total
    }

    /// A use at `at` still counts at `now` while `now < at + window`.
    private func inWindow(_ at: Timestamp, _ now: Timestamp) -> Bool {
        now < at.advanced(by: limit.window) && at <= now
    }

    private static func floorDivide(_ value: Int64, _ divisor: Int64) -> Int64 {
        let quotient = value / divisor
        return (value % divisor != 0 && value < 0) ? quotient - 1 : quotient
    }
}
