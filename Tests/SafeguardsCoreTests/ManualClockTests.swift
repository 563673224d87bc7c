import SafeguardsCore
import SafeguardsTestKit
import Testing

@Suite("ManualClock")
struct ManualClockTests {
    let start = Timestamp(millisecondsSince1970: 1_767_225_600_000)

    @Test("reads the same time until it is moved")
    func readsTheSameTimeUntilMoved() {
        let clock = ManualClock(start: start)
        #expect(clock.now() == start)
        #expect(clock.now() == start)
        #expect(ManualClock().now() == ManualClock.defaultStart)
    }

    @Test("advance moves forward or back by the duration and returns the new time")
    func advanceMovesByDuration() {
        let clock = ManualClock(start: start)
        #expect(clock.advance(by: .seconds(30)) == start.advanced(by: .seconds(30)))
        clock.advance(by: .milliseconds(-5_000))
        #expect(clock.now().millisecondsSince1970 == start.millisecondsSince1970 + 25_000)
    }

    @Test("set jumps to any time")
    func setJumps() {
        let clock = ManualClock(start: start)
        let earlier = Timestamp(millisecondsSince1970: 42)
        clock.set(earlier)
        #expect(clock.now() == earlier)
    }

    @Test("nowFunction reads the clock at call time")
    func nowFunctionFollowsTheClock() {
        let clock = ManualClock(start: start)
        let now = clock.nowFunction
        clock.advance(by: .seconds(1))
        #expect(now() == start.advanced(by: .seconds(1)))
    }

    @Test("advances from many tasks are all counted")
    func concurrentAdvancesAreAllCounted() async {
        let clock = ManualClock(start: start)
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    for _ in 0..<250 { clock.advance(by: .milliseconds(1)) }
                }
            }
        }
        #expect(clock.now() == start.advanced(by: .milliseconds(2_000)))
    }
}
