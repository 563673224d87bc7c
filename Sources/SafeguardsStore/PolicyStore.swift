import Foundation
import GRDB
import SafeguardsCore

/// Policy settings and the decision log in the node's database.
extension LedgerStore {
    /// Decisions, newest first, optionally of one pool (the first `limit`; ``decisionPage(pool:before:limit:)`` pages).
    public func decisions(pool: PoolID? = nil, limit: Int = 200) throws(StoreError) -> [DecisionRecord] {
        try decisionPage(pool: pool, before: nil, limit: limit).map(\.item)
    }

    static func decision(from row: Row) throws -> DecisionRecord {
        DecisionRecord(
            policy: row["policy"], poolID: (row["pool_id"] as String?).map(PoolID.init(unchecked:)),
            agentID: (row["agent_id"] as String?).map(AgentID.init(unchecked:)),
            oldValue: Amount(micros: row["old_value"]), newValue: Amount(micros: row["new_value"]),
            reason: row["reason"],
            inputs: try Self.decode(row["inputs"]),
            transferID: (row["transfer_id"] as String?).map(TransferID.init(unchecked:)),
            at: Timestamp(millisecondsSince1970: row["at"]), actor: row["actor"])
    }

    /// Logs a decision that moved no budget (a fallback).
    public func logDecision(_ decision: DecisionRecord) throws(StoreError) {
        try write("log decision") { db in try Self.apply(.decisionLogged(decision), db) }
    }

    /// Stores (or replaces) a pool's policy of `kind` as JSON.
    public func savePolicy(pool: PoolID, kind: String, body: String, at: Timestamp) throws(StoreError) {
        try write("save policy") { db in
            try db.execute(
                sql: """
                    INSERT INTO pool_policies(pool_id, kind, body, updated_at) VALUES (?, ?, ?, ?)
                    ON CONFLICT(pool_id, kind) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at
                    """,
                arguments: [pool.rawValue, kind, body, at.millisecondsSince1970])
        }
    }

    /// Removes a pool's policy of `kind`; returns whether there was one.
    @discardableResult
    public func removePolicy(pool: PoolID, kind: String) throws(StoreError) -> Bool {
        var removed = false
        try write("remove policy") { db in
            try db.execute(
                sql: "DELETE FROM pool_policies WHERE pool_id = ? AND kind = ?", arguments: [pool.rawValue, kind])
            removed = db.changesCount > 0
        }
        return removed
    }

    /// Every stored policy: (pool, kind, JSON).
    public func policies() throws(StoreError) -> [(pool: PoolID, kind: String, body: String)] {
        try read("read policies") { db in
            try Row.fetchAll(db, sql: "SELECT pool_id, kind, body FROM pool_policies ORDER BY pool_id, kind").map { row in
                (PoolID(unchecked: row["pool_id"]), row["kind"], row["body"])
            }
        }
    }

    public func setFrozen(_ pool: PoolID, _ frozen: Bool, at: Timestamp) throws(StoreError) {
        try write("freeze pool") { db in
            if frozen {
                try db.execute(
                    sql: "INSERT OR IGNORE INTO pool_freezes(pool_id, frozen_at) VALUES (?, ?)",
                    arguments: [pool.rawValue, at.millisecondsSince1970])
            } else {
                try db.execute(sql: "DELETE FROM pool_freezes WHERE pool_id = ?", arguments: [pool.rawValue])
            }
        }
    }

    public func frozenPools() throws(StoreError) -> Set<PoolID> {
        try read("read frozen pools") { db in
            Set(try String.fetchAll(db, sql: "SELECT pool_id FROM pool_freezes").map(PoolID.init(unchecked:)))
        }
    }

    public func saveRateLimit(agent: AgentID, maxBudget: Amount, window: Duration) throws(StoreError) {
        let milliseconds = Transfer.milliseconds(window)
        try write("save rate limit") { db in
            try db.execute(
                sql: """
                    INSERT INTO agent_rate_limits(agent_id, max_budget, window_ms) VALUES (?, ?, ?)
                    ON CONFLICT(agent_id) DO UPDATE SET max_budget = excluded.max_budget, window_ms = excluded.window_ms
                    """,
                arguments: [agent.rawValue, maxBudget.micros, milliseconds])
        }
    }

    /// Removes `agent`'s rate limit; returns whether it had one.
    @discardableResult
    public func deleteRateLimit(agent: AgentID) throws(StoreError) -> Bool {
        var deleted = false
        try write("delete rate limit") { db in
            try db.execute(sql: "DELETE FROM agent_rate_limits WHERE agent_id = ?", arguments: [agent.rawValue])
            deleted = db.changesCount > 0
        }
        return deleted
    }

    public func rateLimits() throws(StoreError) -> [(agent: AgentID, maxBudget: Amount, window: Duration)] {
        try read("read rate limits") { db in
            try Row.fetchAll(db, sql: "SELECT * FROM agent_rate_limits").map { row in
                (AgentID(unchecked: row["agent_id"]), Amount(micros: row["max_budget"]), .milliseconds(row["window_ms"] as Int64))
            }
        }
    }
}

/// Cost-benefit profiles and reported benefits.
extension LedgerStore {
    public func saveOperation(
        agent: AgentID, type: String, averageCost: Amount, averageBenefit: Amount, variability: Amount
    ) throws(StoreError) {
        try write("save operation profile") { db in
            try db.execute(
                sql: """
                    INSERT INTO cost_benefit_operations(agent_id, operation_type, average_cost, average_benefit, benefit_variability)
                    VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT(agent_id, operation_type) DO UPDATE SET average_cost = excluded.average_cost,
                        average_benefit = excluded.average_benefit, benefit_variability = excluded.benefit_variability
                    """,
                arguments: [agent.rawValue, type, averageCost.micros, averageBenefit.micros, variability.micros])
        }
    }

    /// (agent, type, cost, benefit, variability) of every registered operation.
    public func operations() throws(StoreError) -> [(AgentID, String, Amount, Amount, Amount)] {
        try read("read operation profiles") { db in
            try Row.fetchAll(db, sql: "SELECT * FROM cost_benefit_operations ORDER BY agent_id, operation_type").map { row in
                (
                    AgentID(unchecked: row["agent_id"]), row["operation_type"], Amount(micros: row["average_cost"]),
                    Amount(micros: row["average_benefit"]), Amount(micros: row["benefit_variability"])
                )
            }
        }
    }

    /// Stores a benefit report, unless the agent's reported benefits would then total more than
    /// ``Amount/max``: that report is refused (`false`, nothing written), so every total the node
    /// shows of them stays exact. The check and the write are one transaction.
    @discardableResult
    public func reportBenefit(agent: AgentID, benefit: Amount, at: Timestamp) throws(StoreError) -> Bool {
        var recorded = false
        try write("report benefit") { db in
            let row = try Row.fetchOne(
                db, sql: "SELECT \(Self.exactSumColumns) FROM benefit_reports WHERE agent_id = ?",
                arguments: [agent.rawValue])
            let total = Self.exactSum(row) + Int128(benefit.micros)
            guard total <= Int128(Amount.max.micros) else { return }
            try db.execute(
                sql: "INSERT INTO benefit_reports(agent_id, benefit, at) VALUES (?, ?, ?)",
                arguments: [agent.rawValue, benefit.micros, at.millisecondsSince1970])
            recorded = true
        }
        return recorded
    }

    /// Benefits reported since `since`, summed per agent. Summed exactly; a total beyond the range
    /// of an amount (possible only in a database written before reports were bounded) reads as
    /// ``Amount/max``.
    public func benefits(since: Timestamp) throws(StoreError) -> [AgentID: Amount] {
        try read("read benefits") { db in
            var sums: [AgentID: Amount] = [:]
            for row in try Row.fetchAll(
                db,
                sql: "SELECT agent_id, \(Self.exactSumColumns) FROM benefit_reports WHERE at >= ? GROUP BY agent_id",
                arguments: [since.millisecondsSince1970])
            {
                sums[AgentID(unchecked: row["agent_id"])] = Amount(clamping: Self.exactSum(row))
            }
            return sums
        }
    }

    /// `SUM(benefit)` would stop with an integer overflow past `Int64.max` micros, failing every
    /// later read. Whole units and micro-units are summed apart instead: each stays far inside
    /// 64 bits (a million maximal reports still fit), and ``exactSum(_:)`` joins them in 128 bits.
    static let exactSumColumns =
        "COALESCE(SUM(benefit / 1000000), 0) AS whole_units, COALESCE(SUM(benefit % 1000000), 0) AS micro_units"

    /// The total of a row selected with ``exactSumColumns``, in micro-units.
    static func exactSum(_ row: Row?) -> Int128 {
        guard let row else { return 0 }
        let whole: Int64 = row["whole_units"]
        let micros: Int64 = row["micro_units"]
        return Int128(whole) * Int128(Amount.scale) + Int128(micros)
    }
}

/// Spending history, read from the journal on a reader connection (not through the writer).
extension LedgerStore {
    /// Posted spends and settled reservations at or after `since`, of `agents` (every agent when
    /// nil): (agent, when it was posted, amount posted).
    ///
    /// Read through indexes, never a scan of the journal: a settled reservation by its resolution
    /// time, a spend (never resolved) by its creation time, or the agents' own index. State and
    /// kind are checked on the rows found (`+`): their indexes would walk every spend ever made.
    public func postedUses(agents: [AgentID]? = nil, since: Timestamp) throws(StoreError) -> [(AgentID, Timestamp, Amount)] {
        try read("read spending history") { db in
            let (sql, arguments) = Self.postedUsesQuery(agents: agents, since: since)
            guard let sql else { return [] }
            return try Row.fetchAll(db, sql: sql, arguments: arguments).compactMap { row in
                guard let agent: String = row["agent"] else { return nil }
                return (AgentID(unchecked: agent), Timestamp(millisecondsSince1970: row["at"]), Amount(micros: row["posted_amount"]))
            }
        }
    }

    /// The query of ``postedUses(agents:since:)``; `nil` SQL when `agents` is empty.
    static func postedUsesQuery(agents: [AgentID]?, since: Timestamp) -> (String?, StatementArguments) {
        var sql = """
            SELECT agent_id AS agent, COALESCE(resolved_at, created_at) AS at, posted_amount
            FROM transfers
            WHERE +state = 'posted' AND +kind IN ('spend', 'reservation')
                AND (resolved_at >= ? OR (resolved_at IS NULL AND created_at >= ?))
            """
        var arguments: StatementArguments = [since.millisecondsSince1970, since.millisecondsSince1970]
        if let agents {
            guard !agents.isEmpty else { return (nil, []) }
            sql += " AND agent_id IN (\(Array(repeating: "?", count: agents.count).joined(separator: ",")))"
            arguments += StatementArguments(agents.map(\.rawValue))
        }
        return (sql, arguments)
    }

    /// The `EXPLAIN QUERY PLAN` lines of ``postedUses(agents:since:)``'s query, for tests.
    public func postedUsesPlan(agents: [AgentID]?, since: Timestamp) throws(StoreError) -> [String] {
        let (sql, arguments) = Self.postedUsesQuery(agents: agents, since: since)
        guard let sql else { return [] }
        return try read("explain the spending history query") { db in
            try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + sql, arguments: arguments).map { $0["detail"] }
        }
    }
}
