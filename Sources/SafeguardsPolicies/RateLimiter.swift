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

/// An exact sliding-window limiter: an amount is admitted when it, plus everything recorded in
/// the `window` before it, stays within `maxBudget`. Every window of that length, wherever it
/// starts, holds at most `maxBudget`. Memory is one entry per admitted use still in the window.
///
/// A sliding log rather than GCRA: GCRA spreads admissions evenly and would refuse a burst that
/// the window allows; the original framework's rate limit is "at most X per window".
public struct SlidingWindowLimiter: Sendable {
    public let limit: RateLimit
    private var uses: [(at: Timestamp, amount: Amount)] = []

    public init(_ limit: RateLimit) {
        self.limit = limit
    }

    /// What the window already holds at `now`.
    public func used(at now: Timestamp) -> Amount {
        Amount.clampedSum(uses.lazy.filter { inWindow($0.at, now) }.map(\.amount))
    }

    /// Whether `amount` may be spent at `now`.
    public func check(_ amount: Amount, at now: Timestamp) -> Bool {
        guard amount <= limit.maxBudget else { return false }
        // In 128 bits: two amounts near the top of the range would wrap to a negative sum and pass.
        return Amount.exactSum([used(at: now), amount]) <= Int128(limit.maxBudget.micros)
    }

    /// Counts `amount` as spent at `now` (call after ``check(_:at:)`` admitted it).
    public mutating func record(_ amount: Amount, at now: Timestamp) {
        let window = limit.window
        uses.removeAll { !(now < $0.at.advanced(by: window) && $0.at <= now) }
        uses.append((now, amount))
    }

    /// Removes one use of `amount` recorded at `at` (an admission whose operation did not happen).
    public mutating func unrecord(_ amount: Amount, at: Timestamp) {
        if let index = uses.lastIndex(where: { $0.at == at && $0.amount == amount }) { uses.remove(at: index) }
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
        var live = uses.filter { inWindow($0.at, now) }.sorted { $0.at < $1.at }
        var total = Amount.exactSum(live.map(\.amount))
        var when = now
        while total + Int128(amount.micros) > Int128(limit.maxBudget.micros), !live.isEmpty {
            let oldest = live.removeFirst()
            total -= Int128(oldest.amount.micros)
            when = oldest.at.advanced(by: limit.window)
        }
        return now.duration(to: when)
    }

    /// A use at `at` still counts at `now` while `now < at + window`.
    private func inWindow(_ at: Timestamp, _ now: Timestamp) -> Bool {
        now < at.advanced(by: limit.window) && at <= now
    }
}
