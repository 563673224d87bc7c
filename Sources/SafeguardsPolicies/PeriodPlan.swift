import SafeguardsCore

/// Which budget periods are due for a reset, and when the next one is: the pure part of the
/// node's period scheduler.
///
/// An owner is due once `now` has reached the boundary after its current period's start. Its
/// reset starts the period that contains `now`, not the one right after the last: a node that
/// was down across several boundaries resets each owner once, on start. Pools come before
/// agents, so at one boundary a pool is refilled before its agents draw on it.
///
/// Each owner's next boundary is kept with the period and start it was computed from, so a
/// check recomputes only what changed; calendars are made once per setting.
public struct PeriodPlan: Sendable {
    private struct Entry: Sendable {
        var setting: PeriodSetting
        var startedAt: Timestamp
        var boundary: Timestamp
    }

    private var entries: [PeriodOwner: Entry] = [:]
    private var calendars: [PeriodSetting: PeriodCalendar] = [:]

    public init() {}

    /// The resets due at `now` (owner and the start of the period containing `now`), pools
    /// first, and the earliest boundary still ahead (`nil` when no owner has a period).
    public mutating func due(in periods: [PeriodOwner: PeriodState], at now: Timestamp)
        -> (resets: [(owner: PeriodOwner, periodStart: Timestamp)], next: Timestamp?)
    {
        var resets: [(owner: PeriodOwner, periodStart: Timestamp)] = []
        var next: Timestamp?
        var seen = 0
        for (owner, state) in periods {
            guard let setting = state.setting, let calendar = calendar(setting) else { continue }
            seen += 1
            var entry = entries[owner]
            if entry == nil || entry?.setting != setting || entry?.startedAt != state.startedAt {
                entry = Entry(
                    setting: setting, startedAt: state.startedAt,
                    boundary: calendar.boundary(after: state.startedAt, anchor: state.startedAt))
                entries[owner] = entry
            }
            guard let entry else { continue }
            if entry.boundary <= now {
                resets.append((owner, calendar.periodStart(containing: now, anchor: state.startedAt)))
            } else if next.map({ entry.boundary < $0 }) ?? true {
                next = entry.boundary
            }
        }
        // Owners whose period went away leave the plan, so it holds no more than the book.
        if entries.count > seen { entries = entries.filter { periods[$0.key]?.setting != nil } }
        resets.sort { $0.owner < $1.owner }
        return (resets, next)
    }

    private mutating func calendar(_ setting: PeriodSetting) -> PeriodCalendar? {
        if let calendar = calendars[setting] { return calendar }
        guard let calendar = try? PeriodCalendar(setting) else { return nil }
        calendars[setting] = calendar
        return calendar
    }
}
