import Foundation
import GRDB
import SafeguardsCore

/// The node's SQLite database: the ledger journal, pools, agents and alerts.
///
/// WAL mode with `synchronous=FULL`: when ``write(_:)`` returns, the changes survive a crash
/// or a power loss. Writes come from one writer (``BudgetWriter``); reads may come from anywhere.
public final class LedgerStore: Sendable {
    /// The database file path.
    public let path: String
    let database: DatabasePool

    /// Opens (creating if needed) the database at `path` and applies pending migrations.
    /// Throws ``StoreError`` when the file cannot be opened or migrated.
    public init(path: String) throws(StoreError) {
        self.path = path
        var configuration = Configuration()
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA foreign_keys = ON")
        }
        configuration.busyMode = .timeout(5)
        do {
            database = try DatabasePool(path: path, configuration: configuration)
            // GRDB switches the writer connection to synchronous=NORMAL when it enables WAL, which
            // may lose the last commits on power loss. Acknowledged means durable here: back to FULL.
            try database.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
            try StoreSchema.migrator.migrate(database)
        } catch {
            throw StoreError(operation: "open \(path)", underlying: error)
        }
    }

    /// The database's size in bytes as SQLite counts it (`page_count × page_size`, committed
    /// pages in the WAL included; free pages are reused before the file grows).
    public func databaseBytes() throws(StoreError) -> Int {
        try read("measure the database") { db in
            let pages = try Int.fetchOne(db, sql: "PRAGMA page_count") ?? 0
            let size = try Int.fetchOne(db, sql: "PRAGMA page_size") ?? 0
            return pages * size
        }
    }

    /// Names of the migrations applied, oldest first.
    public func appliedMigrations() throws(StoreError) -> [String] {
        try read("list migrations") { db in try StoreSchema.migrator.appliedMigrations(db) }
    }

    /// Writes `changes` in one transaction and returns once it is committed and synced.
    public func write(_ changes: [BudgetChange]) throws(StoreError) {
        guard !changes.isEmpty else { return }
        do {
            try database.write { db in
                for change in changes { try Self.apply(change, db) }
            }
        } catch {
            throw StoreError(operation: "commit \(changes.count) changes", underlying: error)
        }
    }

    /// Rebuilds the whole budget book from the database.
    public func loadBook() throws(StoreError) -> BudgetBook {
        try read("load budget state") { db in
            let accounts = try Row.fetchAll(db, sql: "SELECT id, flags FROM accounts").map { row in
                (AccountID(unchecked: row["id"]), AccountFlags(rawValue: row["flags"]))
            }
            var transfers: [Transfer] = []
            let cursor = try Row.fetchCursor(db, sql: "SELECT * FROM transfers ORDER BY seq")
            while let row = try cursor.next() { transfers.append(try Self.transfer(from: row)) }
            let ledger = try Ledger.restore(accounts: accounts, transfers: transfers)
            let pools = try Row.fetchAll(db, sql: "SELECT * FROM pools").map(Self.pool(from:))
            let agents = try Row.fetchAll(db, sql: "SELECT * FROM agents").map(Self.agent(from:))
            return BudgetBook.restore(ledger: ledger, pools: pools, agents: agents)
        }
    }

    /// One transfer as stored, or `nil`.
    public func transfer(_ id: TransferID) throws(StoreError) -> Transfer? {
        try read("read transfer") { db in
            try Row.fetchOne(db, sql: "SELECT * FROM transfers WHERE id = ?", arguments: [id.rawValue])
                .map(Self.transfer(from:))
        }
    }

    /// Alerts, newest first, optionally of one agent (the first `limit`; ``alertPage(agent:before:limit:)`` pages).
    public func alerts(agent: AgentID? = nil, limit: Int = 100) throws(StoreError) -> [UsageAlert] {
        try alertPage(agent: agent, before: nil, limit: limit).map(\.item)
    }

    /// A value kept by the node across restarts (its system id, for example).
    public func metaValue(_ key: String) throws(StoreError) -> String? {
        try read("read \(key)") { db in
            try String.fetchOne(db, sql: "SELECT value FROM node_meta WHERE key = ?", arguments: [key])
        }
    }

    public func setMetaValue(_ key: String, _ value: String) throws(StoreError) {
        try write("write \(key)") { db in
            try db.execute(
                sql: "INSERT INTO node_meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                arguments: [key, value])
        }
    }

    /// One write transaction outside the budget writer (settings, logs, profiles), its failure
    /// named by `operation`.
    func write(_ operation: String, _ body: (Database) throws -> Void) throws(StoreError) {
        do { try database.write(body) } catch { throw StoreError(operation: operation, underlying: error) }
    }

    func read<T>(_ operation: String, _ body: (Database) throws -> T) throws(StoreError) -> T {
        do {
            return try database.read(body)
        } catch {
            throw StoreError(operation: operation, underlying: error)
        }
    }
}
