import SafeguardsCore
import SafeguardsNode
import Testing

/// Backoff with jitter, capped, and giving up by age; time and randomness are passed in.
@Suite("Webhook retry schedule")
struct WebhookRetryScheduleTests {
    static let start = Timestamp(millisecondsSince1970: 1_800_000_000_000)

    @Test func theWaitDoublesPerAttemptUpToTheCap() {
        let schedule = WebhookRetrySchedule(maxAge: .seconds(72 * 3600))
        #expect(
            (1...6).map { schedule.ceiling(afterAttempts: $0) } == [1, 2, 4, 8, 16, 32].map { Duration.seconds($0) })
        #expect(schedule.ceiling(afterAttempts: 10) == .seconds(512))
        #expect(schedule.ceiling(afterAttempts: 11) == .seconds(600))
        #expect(schedule.ceiling(afterAttempts: 1000) == .seconds(600))
    }

    @Test func eachWaitIsInTheUpperHalfOfItsCeiling() throws {
        let schedule = WebhookRetrySchedule(maxAge: .seconds(72 * 3600))
        var random = SeededRandom(seed: 7)
        var waits: Set<Duration> = []
        for attempts in 1...12 {
            for _ in 0..<20 {
                let next = try #require(
                    schedule.next(afterAttempts: attempts, createdAt: Self.start, now: Self.start, random: &random))
                let wait = Self.start.duration(to: next)
                let ceiling = schedule.ceiling(afterAttempts: attempts)
                #expect(wait >= ceiling / 2 && wait <= ceiling, "attempt \(attempts): \(wait)")
                waits.insert(wait)
            }
        }
        #expect(waits.count > 100, "the jitter spreads the retries")
    }

    @Test func aDeliveryOlderThanTheMaximumAgeIsGivenUp() {
        let schedule = WebhookRetrySchedule(maxAge: .seconds(3600))
        var random = SeededRandom(seed: 1)
        let almost = Self.start.advanced(by: .seconds(3599))
        #expect(schedule.next(afterAttempts: 30, createdAt: Self.start, now: almost, random: &random) != nil)
        let old = Self.start.advanced(by: .seconds(3600))
        #expect(schedule.next(afterAttempts: 1, createdAt: Self.start, now: old, random: &random) == nil)
    }
}
