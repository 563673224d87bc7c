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

/// The journal's history, newest first, read from SQLite through an index, never from memory
/// (which holds the live state only).
///
/// One index serves each page: the first of agent, pool, kind that the filter names walks its
/// `(column, seq)` index down from the cursor and checks the other filters on the rows it meets;
/// a filter on time alone reads the creation-time index and sorts the window's sequence numbers
/// (so a narrow window is cheap and a wide one costs what it holds); no filter walks the primary
/// key. The page is chosen by sequence numbers first, and only its own rows are read whole.
extension LedgerStore {
    /// Transfers matching `filter`, newest first: at most `limit` with `seq < before`, each with
    /// its sequence number (the keyset of the next page).
    ///
    /// - Throws: ``StoreError`` when the rows cannot be read or one does not decode.
    public func transferPage(_ filter: TransferFilter, before: Int64?, limit: Int) throws(StoreError)
        -> [(sequence: Int64, item: Transfer)]
    {
        let (sql, arguments) = Self.historyQuery(filter, before: before, limit: limit)
        return try read("read the transfer history") { db in
            try Row.fetchAll(db, sql: sql, arguments: arguments).map { row in (row["seq"], try Self.transfer(from: row)) }
        }
    }

    /// The `EXPLAIN QUERY PLAN` lines of the page query for `filter`, so tests can check that no
    /// filter reads the journal from end to end.
    ///
    /// - Throws: ``StoreError`` when the plan cannot be read.
    public func transferPagePlan(_ filter: TransferFilter, before: Int64?) throws(StoreError) -> [String] {
        let (sql, arguments) = Self.historyQuery(filter, before: before, limit: 1)
        return try read("explain the transfer history") { db in
            try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + sql, arguments: arguments).map { $0["detail"] }
        }
    }

    /// The page query: the sequence numbers of the page through the chosen index, then their rows.
    /// Every name in the text comes from this function, never from input.
    static func historyQuery(_ filter: TransferFilter, before: Int64?, limit: Int)
        -> (sql: String, arguments: StatementArguments)
    {
        var conditions = ["seq < ?"]
        var arguments: StatementArguments = [before ?? .max]
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
        if index == nil, filter.since != nil || filter.until != nil { index = "transfers_by_time" }
        arguments += [limit]
        // NOT INDEXED still walks the primary key (`seq` is the rowid); it keeps the planner from
        // reading a whole secondary index instead.
        let source = index.map { "transfers INDEXED BY \($0)" } ?? "transfers NOT INDEXED"
        let sql = """
            SELECT * FROM transfers WHERE seq IN (
                SELECT seq FROM \(source) WHERE \(conditions.joined(separator: " AND ")) ORDER BY seq DESC LIMIT ?
            ) ORDER BY seq DESC
            """
        return (sql, arguments)
    }
}
