/// Latencies of individual calls, summarised by nearest-rank percentiles.
struct LatencySample: Sendable {
    private var durations: [Duration] = []

    init(reservingCapacity capacity: Int = 0) { durations.reserveCapacity(capacity) }

    var count: Int { durations.count }

    mutating func record(_ duration: Duration) { durations.append(duration) }

    mutating func merge(_ other: LatencySample) { durations.append(contentsOf: other.durations) }

    /// Sorts once and reads the percentiles the figures print.
    func summary() -> LatencySummary {
        let sorted = durations.sorted()
        return LatencySummary(
            count: sorted.count, p50: Self.nearestRank(0.50, in: sorted), p99: Self.nearestRank(0.99, in: sorted),
            max: sorted.last ?? .zero)
    }

    /// The smallest value with at least `fraction` of the sample at or below it; zero when empty.
    static func nearestRank(_ fraction: Double, in sorted: [Duration]) -> Duration {
        guard !sorted.isEmpty else { return .zero }
        let rank = Int((fraction * Double(sorted.count)).rounded(.up))
        return sorted[min(max(rank, 1), sorted.count) - 1]
    }
}

/// The percentiles of a ``LatencySample``.
struct LatencySummary: Sendable {
    let count: Int
    let p50: Duration
    let p99: Duration
    let max: Duration
}

extension FigureLine {
    /// Adds `p50_ms`, `p99_ms` and `max_ms`.
    mutating func add(latency summary: LatencySummary) {
        add(milliseconds: "p50_ms", summary.p50)
        add(milliseconds: "p99_ms", summary.p99)
        add(milliseconds: "max_ms", summary.max)
    }
}
