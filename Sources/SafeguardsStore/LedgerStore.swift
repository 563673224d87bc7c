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

    /// Writes `changes` and the checkpointed counters of the accounts they changed
    /// (`balances`, each as it stands after the changes) in one transaction, and returns once it
    /// is committed and synced.
    public func write(_ changes: [BudgetChange], balances: [Account] = []) throws(StoreError) {
        guard !changes.isEmpty else { return }
        do {
            try database.write { db in
                for change in changes { try Self.apply(change, db) }
                try Self.writeCheckpoint(balances, db)
            }
        } catch {
            throw StoreError(operation: "commit \(changes.count) changes", underlying: error)
        }
    }

    /// Rebuilds the budget book from the database: accounts with their checkpointed balances,
    /// every pending transfer and the transfers created or resolved at or after `windowStart`
    /// (all of them by default), not the rest of history. The book finds older transfers
    /// through this store (``JournalArchive``).
    public func loadBook(windowStart: Timestamp = Timestamp(millisecondsSince1970: .min)) throws(StoreError)
        -> BudgetBook
    {
        var book = try read("load budget state") { db in
            let transfers = try Self.liveTransfers(db, windowStart: windowStart)
            var ledger = try Ledger.restore(checkpoint: try Self.checkpointAccounts(db), transfers: transfers)
            // Rows are never deleted, so the journal's last seq is at least its row count: when
            // it equals the transfers loaded, none stayed on disk.
            let lastSeq = try Int.fetchOne(db, sql: "SELECT MAX(seq) FROM transfers") ?? 0
            ledger.hasTransfersOutsideMemory = lastSeq > transfers.count
            let pools = try Row.fetchAll(db, sql: "SELECT * FROM pools").map(Self.pool(from:))
            let agents = try Row.fetchAll(db, sql: "SELECT * FROM agents").map(Self.agent(from:))
            let periods = try Self.loadPeriods(db)
            return BudgetBook.restore(ledger: ledger, pools: pools, agents: agents, periods: periods)
        }
        book.archive = JournalArchive(store: self)
        return book
    }

    /// The stored transfers whose ids start with `prefix`, in id order (at most `limit`): a
    /// range of the unique id index.
    public func transfers(withIDPrefix prefix: String, limit: Int) throws(StoreError) -> [Transfer] {
        guard let last = prefix.unicodeScalars.last, let next = Unicode.Scalar(last.value + 1) else { return [] }
        let end = String(prefix.unicodeScalars.dropLast()) + String(next)
        return try read("read transfers") { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM transfers WHERE id >= ? AND id < ? ORDER BY id LIMIT ?",
                arguments: [prefix, end, limit]
            ).map(Self.transfer(from:))
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
