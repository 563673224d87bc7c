import SafeguardsCore
import SafeguardsPolicies
import SafeguardsTestKit
import Testing

@Suite("Rate-limit memory is bounded")
struct RateLimiterMemoryTests {
    static let start = Timestamp(millisecondsSince1970: 1_767_225_600_000)

    @Test func anAgentHoldsAtMostOneEntryPerSubBucketHoweverOftenItSpends() {
        var limiter = SlidingWindowLimiter(RateLimit(maxBudget: 1_000_000, window: .seconds(3600)))
        var largest = 0
        // 20,000 uses over two hours, one every 360 ms.
        for step in 0..<20_000 {
            do {
                let admitted = limiter.admit(1, at: Self.start.advanced(by: .milliseconds(step * 360)));
                #expect(admitted)
            }
            largest = max(largest, limiter.entryCount)
        }
        #expect(largest <= Int(SlidingWindowLimiter.subBucketsPerWindow) + 1)
        // Still every use of the last hour: 10,000 of them.
        #expect(limiter.used(at: Self.start.advanced(by: .milliseconds(19_999 * 360))) == 10_000)
    }

    @Test func usesSharingASubBucketLeaveTheWindowLateNeverEarly() {
        // A 64 s window: sub-buckets of one second.
        var limiter = SlidingWindowLimiter(RateLimit(maxBudget: 100, window: .seconds(64)))
        do { let admitted = limiter.admit(10, at: Self.start.advanced(by: .milliseconds(100))); #expect(admitted) }
        do { let admitted = limiter.admit(10, at: Self.start.advanced(by: .milliseconds(900))); #expect(admitted) }
        // Exactly, the first 10 would have left at 64.1 s; kept with the later one, it leaves at 64.9 s.
        #expect(limiter.used(at: Self.start.advanced(by: .milliseconds(64_500))) == 20)
        #expect(limiter.used(at: Self.start.advanced(by: .milliseconds(64_900))) == 0)
        // Uses in sub-buckets of their own are exact.
        do { let admitted = limiter.admit(10, at: Self.start.advanced(by: .milliseconds(66_000))); #expect(admitted) }
        do { let admitted = limiter.admit(10, at: Self.start.advanced(by: .milliseconds(67_000))); #expect(admitted) }
        #expect(limiter.used(at: Self.start.advanced(by: .milliseconds(129_999))) == 20)
        #expect(limiter.used(at: Self.start.advanced(by: .milliseconds(130_000))) == 10)
    }

    @Test func theOrderUsesAreRecordedInDoesNotMatter() {
        var random = SeededRandom(seed: 7)
        let limit = RateLimit(maxBudget: 1_000, window: .seconds(600))
        var uses: [(Timestamp, Amount)] = []
        for _ in 0..<500 {
            uses.append((Self.start.advanced(by: .milliseconds(Int.random(in: 0..<600_000, using: &random))), 1))
        }
        var inOrder = SlidingWindowLimiter(limit)
        for (at, amount) in uses.sorted(by: { $0.0 < $1.0 }) { inOrder.record(amount, at: at) }
        var shuffled = SlidingWindowLimiter(limit)
        for (at, amount) in uses { shuffled.record(amount, at: at) }
        for seconds in stride(from: 0, through: 1_200, by: 7) {
            let now = Self.start.advanced(by: .seconds(seconds))
            #expect(inOrder.used(at: now) == shuffled.used(at: now))
            #expect(inOrder.retryAfter(1, at: now) == shuffled.retryAfter(1, at: now))
        }
    }

    @Test func aWindowHoldingMoreThanAnAmountCanSayNeverWrapsIntoAnAdmission() {
        let largest = Amount(micros: .max)
        var limiter = SlidingWindowLimiter(RateLimit(maxBudget: largest, window: .seconds(60)))
        // As a window rebuilt from a journal may hold: uses past the limit.
        limiter.record(largest, at: Self.start)
        limiter.record(largest, at: Self.start)
        #expect(!limiter.check(Amount(micros: 1), at: Self.start))
        #expect(limiter.used(at: Self.start) == largest)
    }

    @Test func aSettleTakesBackWhatWasNotSettledAndNothingOnceTheUseLeftTheWindow() {
        var limiter = SlidingWindowLimiter(RateLimit(maxBudget: 100, window: .seconds(64)))
        let reserved = Self.start.advanced(by: .milliseconds(100))
        limiter.record(80, at: reserved)
        limiter.record(10, at: Self.start.advanced(by: .seconds(10)))
        #expect(!limiter.check(20, at: Self.start.advanced(by: .seconds(20))))
        // Settled for 30 of 80: 50 leave the window, the other use stays.
        limiter.remove(50, recordedAt: reserved)
        #expect(limiter.used(at: Self.start.advanced(by: .seconds(20))) == 40)
        #expect(limiter.retryAfter(70, at: Self.start.advanced(by: .seconds(20))) == .milliseconds(44_100))
        // Never below zero, whatever is taken back.
        limiter.remove(1000, recordedAt: reserved)
        #expect(limiter.used(at: Self.start.advanced(by: .seconds(20))) == 10)
        // Once the use left the window, a late take-back changes nothing.
        limiter.record(90, at: Self.start.advanced(by: .seconds(100)))
        limiter.remove(90, recordedAt: Self.start.advanced(by: .seconds(10)))
        #expect(limiter.used(at: Self.start.advanced(by: .seconds(100))) == 90)
    }
}
