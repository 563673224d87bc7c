import SafeguardsAPI
import SafeguardsCore
import SafeguardsPolicies
import SafeguardsStore

/// Budget periods in API terms: `budget_period` and `period_timezone` checked and turned into a
/// ``PeriodSetting`` before anything is written, so bad input stores nothing.
extension BudgetOperations {
    /// `command` with the period the request names set in the same batch, or `command` alone
    /// when the request names none (`period_timezone` alone is refused).
    func withPeriod(_ command: BudgetCommand, period: String?, timeZone: String?) throws(SafeguardsError)
        -> BudgetCommand
    {
        guard let period else {
            if timeZone != nil { throw .invalidRequest("period_timezone is given without a budget_period") }
            return command
        }
        let (setting, startedAt) = try Self.periodSetting(period, timeZone: timeZone, now: writer.now())
        return .withPeriod(command, setting, startedAt: startedAt)
    }

    /// `PUT /v1/pools/{id}/period`: sets, changes or removes (`"none"`) a pool's period.
    public func setPoolPeriod(_ id: String, _ request: PeriodRequest) async throws(SafeguardsError) -> PoolSnapshot {
        let poolID = try Self.identifier(PoolID.self, id, field: "pool id", notFound: true)
        let (setting, startedAt) = try Self.periodSetting(
            request.budgetPeriod, timeZone: request.periodTimezone, now: writer.now())
        let result = try await writer.submitAsCaller(.setPeriod(.pool(poolID), setting, startedAt: startedAt))
        guard case .pool(let snapshot, _) = result else { throw Self.unexpected(result) }
        return snapshot
    }

    /// The setting `text` names (`nil` for `"none"`) and when a period set now starts: now for
    /// a duration, the start of the calendar period containing now otherwise.
    static func periodSetting(_ text: String, timeZone: String?, now: Timestamp) throws(SafeguardsError)
        -> (PeriodSetting?, startedAt: Timestamp)
    {
        if text == PeriodRequest.none {
            if timeZone != nil { throw .invalidRequest("period_timezone is given with budget_period none") }
            return (nil, now)
        }
        let setting = PeriodSetting(
            period: try BudgetPeriod(parsing: text), timeZone: timeZone ?? PeriodSetting.defaultTimeZone)
        let calendar = try PeriodCalendar(setting)
        return (setting, calendar.periodStart(containing: now, anchor: now))
    }
}

extension PeriodFields {
    /// The fields of a period that is set; `nil` for none or a removed one.
    init?(_ state: PeriodState?) {
        guard let state, let setting = state.setting, let calendar = try? PeriodCalendar(setting) else { return nil }
        self.init(
            budgetPeriod: setting.period.description, periodTimezone: setting.timeZone,
            periodStartedAt: state.startedAt.description,
            periodResetsAt: calendar.boundary(after: state.startedAt, anchor: state.startedAt).description)
    }
}
