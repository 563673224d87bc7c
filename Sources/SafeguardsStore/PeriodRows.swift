import GRDB
import SafeguardsCore

/// Budget periods as rows of `budget_periods` (migration `v14_budget_periods`): one row per
/// agent or pool that ever had a period, written in the transaction of the change that made it.
extension LedgerStore {
    static func savePeriod(_ owner: PeriodOwner, _ state: PeriodState, _ db: Database) throws {
        let (kind, id) = ownerColumns(owner)
        try db.cachedStatement(sql: upsertPeriod).execute(arguments: [
            kind, id, state.setting?.period.description, state.setting?.timeZone,
            state.startedAt.millisecondsSince1970, state.spentBase.micros, state.target.micros,
        ])
    }

    /// Every stored period, keyed by owner. A row that no longer parses (edited by hand) stops
    /// the load rather than silently dropping a period.
    static func loadPeriods(_ db: Database) throws -> [PeriodOwner: PeriodState] {
        var periods: [PeriodOwner: PeriodState] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT * FROM budget_periods") {
            let kind: String = row["owner_kind"]
            let id: String = row["owner_id"]
            let owner: PeriodOwner = kind == "pool" ? .pool(PoolID(unchecked: id)) : .agent(AgentID(unchecked: id))
            var setting: PeriodSetting?
            if let text: String = row["budget_period"] {
                guard let period = try? BudgetPeriod(parsing: text) else {
                    throw DatabaseError(message: "budget_periods: \(owner) has an unknown period")
                }
                setting = PeriodSetting(period: period, timeZone: row["period_timezone"] ?? PeriodSetting.defaultTimeZone)
            }
            periods[owner] = PeriodState(
                setting: setting, startedAt: Timestamp(millisecondsSince1970: row["period_started_at"]),
                spentBase: Amount(micros: row["spent_base"]), target: Amount(micros: row["target"]))
        }
        return periods
    }

    private static func ownerColumns(_ owner: PeriodOwner) -> (String, String) {
        switch owner {
        case .agent(let id): ("agent", id.rawValue)
        case .pool(let id): ("pool", id.rawValue)
        }
    }

    private static let upsertPeriod = """
        INSERT INTO budget_periods(owner_kind, owner_id, budget_period, period_timezone, period_started_at,
            spent_base, target)
        VALUES (?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT(owner_kind, owner_id) DO UPDATE SET budget_period = excluded.budget_period,
            period_timezone = excluded.period_timezone, period_started_at = excluded.period_started_at,
            spent_base = excluded.spent_base, target = excluded.target
        """

    /// `v14_budget_periods`: a table apart from `agents` and `pools`, so a database without
    /// periods reads as before.
    static let budgetPeriodsTable = """
        CREATE TABLE budget_periods (
            owner_kind TEXT NOT NULL CHECK (owner_kind IN ('agent', 'pool')),
            owner_id TEXT NOT NULL,
            -- NULL once the period was removed; the row stays for spent_base.
            budget_period TEXT,
            period_timezone TEXT,
            period_started_at INTEGER NOT NULL,
            -- Lifetime spent (micro-units) when the current period started.
            spent_base INTEGER NOT NULL CHECK (spent_base >= 0),
            -- The total a reset restores (micro-units).
            target INTEGER NOT NULL CHECK (target >= 0),
            PRIMARY KEY (owner_kind, owner_id)
        ) WITHOUT ROWID;
        """
}
