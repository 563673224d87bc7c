import GRDB
import SafeguardsCore

/// Which transfers a page of the journal's history holds: every filter given must match.
public struct TransferFilter: Sendable, Equatable {
    /// Transfers that debit or credit one of the agent's accounts (budget, spent, resources).
    public var agent: AgentID?
    /// Transfers that touch the pool's account or an account of one of its agents.
    public var pool: PoolID?
    /// Transfers of this kind (the `kind` in their metadata).
    public var kind: TransferKind?
    /// Transfers created at or after this time (inclusive).
    public var since: Timestamp?
    /// Transfers created before this time (exclusive).
    public var until: Timestamp?

    /// A filter; every `nil` part matches everything.
    public init(
        agent: AgentID? = nil, pool: PoolID? = nil, kind: TransferKind? = nil, since: Timestamp? = nil,
        until: Timestamp? = nil
    ) {
        self.agent = agent
        self.pool = pool
        self.kind = kind
        self.since = since
        self.until = until
    }
}

/// Where a page of the history ends: the creation time and sequence number of its last transfer.
/// The history's order is newest first by `(created_at, seq)`, and the next page holds the
/// transfers before this key.
public struct TransferCursor: Sendable, Hashable {
    /// The creation time, in milliseconds since 1970.
    public var createdAt: Int64
    /// The row's sequence number (the order written), which breaks ties of time.
    public var sequence: Int64

    /// The key of a transfer created at `createdAt` and written as row `sequence`.
    public init(createdAt: Int64, sequence: Int64) {
        self.createdAt = createdAt
        self.sequence = sequence
    }
}

/// The journal's history, newest first, read from SQLite through an index, never from memory
/// (which holds the live state only).
///
/// One index serves each page, walked down from the cursor by `(created_at, seq)`: the first of
/// agent, pool, kind that the filter names uses its `(column, created_at)` index and checks the
/// other filters on the rows it meets; without one, the creation-time index. A time filter bounds
/// the walk on either index. The page is chosen through the index first, and only its own rows
/// are read whole.
extension LedgerStore {
    /// Transfers matching `filter`, newest first: at most `limit` before `cursor`, each with its
    /// own key (the cursor of the next page).
    ///
    /// - Throws: ``StoreError`` when the rows cannot be read or one does not decode.
    public func transferPage(_ filter: TransferFilter, before cursor: TransferCursor?, limit: Int) throws(StoreError)
        -> [(cursor: TransferCursor, item: Transfer)]
    {
        let (sql, arguments) = Self.historyQuery(filter, before: cursor, limit: limit)
        return try read("read the transfer history") { db in
            try Row.fetchAll(db, sql: sql, arguments: arguments).map { row in
                (TransferCursor(createdAt: row["created_at"], sequence: row["seq"]), try Self.transfer(from: row))
            }
        }
    }

    /// The `EXPLAIN QUERY PLAN` lines of the page query for `filter`, so tests can check that no
    /// filter reads the journal from end to end.
    ///
    /// - Throws: ``StoreError`` when the plan cannot be read.
    public func transferPagePlan(_ filter: TransferFilter, before cursor: TransferCursor?) throws(StoreError) -> [String] {
        let (sql, arguments) = Self.historyQuery(filter, before: cursor, limit: 1)
        return try read("explain the transfer history") { db in
            try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + sql, arguments: arguments).map { $0["detail"] }
        }
    }

    /// The page query: the sequence numbers of the page through the chosen index, then their rows.
    /// Every name in the text comes from this function, never from input.
    static func historyQuery(_ filter: TransferFilter, before cursor: TransferCursor?, limit: Int)
        -> (sql: String, arguments: StatementArguments)
    {
        // The first page starts past every key: the walk is then a search of the index like any
        // other page, never a scan of it.
        let cursor = cursor ?? TransferCursor(createdAt: .max, sequence: .max)
        var conditions = ["(created_at, seq) < (?, ?)"]
        var arguments: StatementArguments = [cursor.createdAt, cursor.sequence]
        var index: String?
        func match(_ column: String, _ value: String?, indexed name: String) {
            guard let value else { return }
            conditions.append("\(column) = ?")
            arguments += [value]
            index = index ?? name
        }
        match("agent_id", filter.agent?.rawValue, indexed: "transfers_by_agent")
        match("pool_id", filter.pool?.rawValue, indexed: "transfers_by_pool")
        match("kind", filter.kind?.rawValue, indexed: "transfers_by_kind")
        if let since = filter.since {
            conditions.append("created_at >= ?")
            arguments += [since.millisecondsSince1970]
        }
        if let until = filter.until {
            conditions.append("created_at < ?")
            arguments += [until.millisecondsSince1970]
        }
        arguments += [limit]
        let source = "transfers INDEXED BY \(index ?? "transfers_by_time")"
        let sql = """
            SELECT * FROM transfers WHERE seq IN (
                SELECT seq FROM \(source) WHERE \(conditions.joined(separator: " AND "))
                ORDER BY created_at DESC, seq DESC LIMIT ?
            ) ORDER BY created_at DESC, seq DESC
            """
        return (sql, arguments)
    }
}
