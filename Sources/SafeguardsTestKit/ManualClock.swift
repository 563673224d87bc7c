import SafeguardsCore
import Synchronization

/// A wall clock that only moves when a test moves it.
///
/// Code under test takes `now` as an input (``now()``, or ``nowFunction`` where an API wants a
/// closure); the test decides what time it is with ``advance(by:)`` and ``set(_:)``. Nothing
/// here reads the real clock, so a test that uses it never depends on how fast it runs.
/// Safe to share between tasks: the time is kept behind a mutex.
public final class ManualClock: Sendable {
    /// 2026-01-01T00:00:00.000Z, a fixed default start so tests read the same in every run.
    public static let defaultStart = Timestamp(millisecondsSince1970: 1_767_225_600_000)

    private let current: Mutex<Timestamp>

    /// A clock that reads `start` until it is moved.
    public init(start: Timestamp = ManualClock.defaultStart) {
        self.current = Mutex(start)
    }

    /// The clock's current time.
    public func now() -> Timestamp {
        current.withLock { $0 }
    }

    /// Moves the clock by `duration` (milliseconds are the clock's resolution; a negative
    /// duration moves it back, as a wall clock can be) and returns the new time. Saturates at
    /// the ends of the `Timestamp` range.
    @discardableResult
    public func advance(by duration: Duration) -> Timestamp {
        current.withLock { time in
            time = time.advanced(by: duration)
            return time
        }
    }

    /// Sets the clock to `time`, earlier or later than now.
    public func set(_ time: Timestamp) {
        current.withLock { $0 = time }
    }

    /// ``now()`` as a closure, for APIs that take a `@Sendable () -> Timestamp`.
    public var nowFunction: @Sendable () -> Timestamp {
        { [self] in now() }
    }
}
