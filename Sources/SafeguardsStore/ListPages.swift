import GRDB
import SafeguardsCore

/// Keyset pages of the lists the store keeps in insertion order (alerts, decisions): newest
/// first, `limit` rows with a sequence number below `before`, read through the primary key or the
/// `(filter, seq)` index. Each row comes with its sequence number, the cursor of the next page.
extension LedgerStore {
    /// Alerts, optionally of one agent, newest first: at most `limit` with `seq < before`.
    ///
    /// - Throws: ``StoreError`` when the rows cannot be read.
    public func alertPage(agent: AgentID?, before: Int64?, limit: Int) throws(StoreError)
        -> [(sequence: Int64, item: UsageAlert)]
    {
        try read("read alerts") { db in
            try Self.page(db, table: "alerts", filter: agent.map { ("agent_id", $0.rawValue) }, before: before, limit: limit)
                .map { row in (row["seq"], try Self.alert(from: row)) }
        }
    }

    /// Logged decisions, optionally of one pool, newest first: at most `limit` with `seq < before`.
    ///
    /// - Throws: ``StoreError`` when the rows cannot be read or an entry does not decode.
    public func decisionPage(pool: PoolID?, before: Int64?, limit: Int) throws(StoreError)
        -> [(sequence: Int64, item: DecisionRecord)]
    {
        try read("read decisions") { db in
            try Self.page(db, table: "decisions", filter: pool.map { ("pool_id", $0.rawValue) }, before: before, limit: limit)
                .map { row in (row["seq"], try Self.decision(from: row)) }
        }
    }

    /// `SELECT * FROM table [WHERE column = value] [AND seq < before] ORDER BY seq DESC LIMIT limit`;
    /// `table` and `column` are names from this file, never from input.
    static func page(
        _ db: Database, table: String, filter: (column: String, value: String)?, before: Int64?, limit: Int
    ) throws -> [Row] {
        try page(db, table: table, filters: filter.map { [$0] } ?? [], before: before, limit: limit)
    }

    /// ``page(_:table:filter:before:limit:)`` with every filter of `filters` (AND); the names are
    /// the store's, never from input.
    static func page(
        _ db: Database, table: String, filters: [(column: String, value: String)], before: Int64?, limit: Int
    ) throws -> [Row] {
        var conditions: [String] = []
        var arguments: StatementArguments = []
        for filter in filters {
            conditions.append("\(filter.column) = ?")
            arguments += [filter.value]
        }
        if let before {
            conditions.append("seq < ?")
            arguments += [before]
        }
        arguments += [limit]
        let condition = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        return try Row.fetchAll(db, sql: "SELECT * FROM \(table) \(condition) ORDER BY seq DESC LIMIT ?", arguments: arguments)
    }
}
