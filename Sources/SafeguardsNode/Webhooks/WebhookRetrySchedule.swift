import SafeguardsCore

/// When a delivery that got no 2xx is tried again, and when it is given up.
///
/// Exponential backoff with jitter: after the `n`-th failed attempt the wait is drawn uniformly
/// from the upper half of `base × 2^(n-1)`, capped at ``cap`` (1 s → 0.5-1 s, 2 s → 1-2 s, …,
/// 10 min): receivers that come back up are not hit by every node's retries at the same instant.
/// A delivery whose event is older than ``maxAge`` is not tried again but marked `failed`.
/// Pure: the time and the randomness are passed in.
public struct WebhookRetrySchedule: Sendable, Equatable {
    public var base: Duration = .seconds(1)
    public var cap: Duration = .seconds(600)
    public var maxAge: Duration

    public init(maxAge: Duration) {
        self.maxAge = maxAge
    }

    /// What follows the `attempts`-th failed attempt (1 for the first) at `now` of a delivery
    /// whose event was created at `createdAt`: the time of the next attempt, or `nil` to give up.
    public func next(
        afterAttempts attempts: Int, createdAt: Timestamp, now: Timestamp, random: inout some RandomNumberGenerator
    ) -> Timestamp? {
        guard createdAt.duration(to: now) < maxAge else { return nil }
        let full = ceiling(afterAttempts: attempts)
        let wait = full / 2 + (full / 2) * Double.random(in: 0...1, using: &random)
        return now.advanced(by: wait)
    }

    /// The longest wait after the `attempts`-th failed attempt: `base × 2^(attempts-1)`, at most ``cap``.
    public func ceiling(afterAttempts attempts: Int) -> Duration {
        let doublings = max(0, min(attempts - 1, 30))
        return min(base * (1 << doublings), cap)
    }
}
