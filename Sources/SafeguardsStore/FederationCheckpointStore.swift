import GRDB
import SafeguardsCore
import SafeguardsFederation

/// The federation checkpoint (v11): each peer's running settlement totals, and one indexed row per
/// settlement transaction pointing at its latest record. A node starts from the totals and the
/// pending rows instead of replaying every record, finds a decided id through the index when a
/// retry or a status query names it, and pages its transactions newest first.
extension LedgerStore {
    /// A transaction as the index finds it: its row's sequence number (the paging cursor), and
    /// its latest record, or its refusal when it was refused.
    public struct IndexedTransaction: Sendable {
        /// The index row's sequence number: the order the transaction was first written.
        public var sequence: Int64
        /// The latest settlement record (nil for a refusal).
        public var record: FederationRecord?
        /// The refusal, when the transaction was refused and the refusal is still kept.
        public var refusal: IncomingRefusal?
    }

    /// The meta key set once the checkpoint holds every record written before v11.
    static let checkpointMetaKey = "federation_checkpoint"

    /// Adds one settlement record's index row and totals change (inside the record's transaction).
    static func index(_ db: Database, _ entry: FederationSettlementIndex, peer: String, recordSeq: Int64) throws {
        try db.cachedStatement(
            sql: """
                INSERT INTO federation_transactions(direction, peer, transaction_id, record_seq, pending)
                VALUES (?, ?, ?, ?, ?)
                ON CONFLICT(transaction_id, direction, peer)
                DO UPDATE SET record_seq = excluded.record_seq, pending = excluded.pending
                """
        ).execute(arguments: [entry.direction, peer, entry.transactionID, recordSeq, entry.isPending])
        guard !entry.changesNoTotal else { return }
        let lanes = entry.digestLanes.count == 3 ? entry.digestLanes : [0, 0, 0]
        try db.cachedStatement(
            sql: """
                INSERT INTO federation_totals(peer, credit_used, drawn, digest_count, digest_a, digest_b, digest_c)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(peer) DO UPDATE SET
                    credit_used = credit_used + excluded.credit_used, drawn = drawn + excluded.drawn,
                    digest_count = digest_count + excluded.digest_count, digest_a = digest_a + excluded.digest_a,
                    digest_b = digest_b + excluded.digest_b, digest_c = digest_c + excluded.digest_c
                """
        ).execute(arguments: [peer, entry.creditUsed, entry.drawn, entry.digestCount, lanes[0], lanes[1], lanes[2]])
    }

    /// Fills the checkpoint from the records written before it existed, once: streams every
    /// settlement record in order through `index` (which says what each adds) in one transaction,
    /// adds the refusals still kept, and marks the checkpoint complete. Does nothing when marked.
    ///
    /// - Throws: ``StoreError`` when the tables cannot be read or written.
    public func completeFederationCheckpoint(
        _ index: @escaping (FederationRecord) -> FederationSettlementIndex?
    ) throws(StoreError) {
        try write("complete the federation checkpoint") { db in
            guard try String.fetchOne(
                db, sql: "SELECT value FROM node_meta WHERE key = ?", arguments: [Self.checkpointMetaKey]) == nil
            else { return }
            let rows = try Row.fetchCursor(
                db, sql: "SELECT seq, kind, record_id, peer, body FROM federation_records WHERE kind = 'settlement' ORDER BY seq")
            while let row = try rows.next() {
                guard let entry = index(Self.federationRecord(from: row)) else { continue }
                try Self.index(db, entry, peer: row["peer"], recordSeq: row["seq"])
            }
            try db.execute(
                sql: """
                    INSERT OR IGNORE INTO federation_transactions(direction, peer, transaction_id, record_seq, pending)
                    SELECT 'incoming', peer, transaction_id, NULL, 0 FROM federation_refusals ORDER BY decided_at
                    """)
            try db.execute(
                sql: "INSERT INTO node_meta(key, value) VALUES (?, 'v11')", arguments: [Self.checkpointMetaKey])
        }
    }

    /// Each peer's checkpointed totals.
    ///
    /// - Throws: ``StoreError`` when the table cannot be read.
    public func federationTotals() throws(StoreError) -> [SystemID: SettlementTotals] {
        try read("read federation totals") { db in
            var totals: [SystemID: SettlementTotals] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT * FROM federation_totals") {
                totals[SystemID(unchecked: row["peer"])] = SettlementTotals(
                    creditUsed: Amount(micros: row["credit_used"]), drawn: Amount(micros: row["drawn"]),
                    digest: SettlementDigestSum(
                        count: row["digest_count"], lanes: [row["digest_a"], row["digest_b"], row["digest_c"]]))
            }
            return totals
        }
    }

    /// The latest record of every transaction still pending, in the order they were created.
    ///
    /// - Throws: ``StoreError`` when the tables cannot be read.
    public func pendingFederationRecords() throws(StoreError) -> [FederationRecord] {
        try read("read pending federation records") { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT r.seq, r.kind, r.record_id, r.peer, r.body FROM federation_transactions t
                    JOIN federation_records r ON r.seq = t.record_seq WHERE t.pending = 1 ORDER BY t.seq
                    """
            ).map(Self.federationRecord(from:))
        }
    }

    /// The records of `kinds` (grant records, not settlements), in the order they were written,
    /// through the `(kind, seq)` index.
    ///
    /// - Throws: ``StoreError`` when the table cannot be read.
    public func federationRecords(kinds: [String]) throws(StoreError) -> [FederationRecord] {
        try read("read federation records") { db in
            let marks = kinds.map { _ in "?" }.joined(separator: ", ")
            return try Row.fetchAll(
                db, sql: "SELECT seq, kind, record_id, peer, body FROM federation_records WHERE kind IN (\(marks)) ORDER BY seq",
                arguments: StatementArguments(kinds)
            ).map(Self.federationRecord(from:))
        }
    }

    /// The records with id `recordID` and peer `peer` of kind `kind`, in order, through the id index.
    ///
    /// - Throws: ``StoreError`` when the table cannot be read.
    public func federationRecords(id recordID: String, peer: String, kind: String) throws(StoreError) -> [FederationRecord] {
        try read("read federation records of an id") { db in
            try Row.fetchAll(
                db,
                sql: "SELECT seq, kind, record_id, peer, body FROM federation_records WHERE record_id = ? AND peer = ? AND kind = ? ORDER BY seq",
                arguments: [recordID, peer, kind]
            ).map(Self.federationRecord(from:))
        }
    }

    /// Up to `limit` records of `kind` written after `after` (a sequence number), in order: for
    /// checks that walk the whole history a batch at a time.
    ///
    /// - Throws: ``StoreError`` when the table cannot be read.
    public func federationRecordBatch(kind: String, after: Int64, limit: Int) throws(StoreError)
        -> [(sequence: Int64, record: FederationRecord)]
    {
        try read("read federation records") { db in
            try Row.fetchAll(
                db,
                sql: "SELECT seq, kind, record_id, peer, body FROM federation_records WHERE kind = ? AND seq > ? ORDER BY seq LIMIT ?",
                arguments: [kind, after, limit]
            ).map { row in (row["seq"], Self.federationRecord(from: row)) }
        }
    }

    /// Settlement transactions, optionally with one peer, newest first: at most `limit` first
    /// written before `before` (keyset on the index's sequence, so a walk sees each transaction
    /// once however many are written meanwhile).
    ///
    /// - Throws: ``StoreError`` when the tables cannot be read or a refusal does not decode.
    public func federationTransactionPage(peer: SystemID?, before: Int64?, limit: Int) throws(StoreError)
        -> [IndexedTransaction]
    {
        try read("read federation transactions") { db in
            try Self.page(
                db, table: "federation_transactions", filter: peer.map { ("peer", $0.rawValue) }, before: before,
                limit: limit
            ).map { try Self.indexedTransaction(db, $0) }
        }
    }

    /// The transactions with id `transactionID` (outgoing first, then incoming by peer).
    ///
    /// - Throws: ``StoreError`` when the tables cannot be read or a refusal does not decode.
    public func federationTransactions(id transactionID: TransferID) throws(StoreError) -> [IndexedTransaction] {
        try read("read a federation transaction") { db in
            try Row.fetchAll(
                db.cachedStatement(
                    sql: "SELECT * FROM federation_transactions WHERE transaction_id = ? ORDER BY direction DESC, peer"),
                arguments: [transactionID.rawValue]
            ).map { try Self.indexedTransaction(db, $0) }
        }
    }

    private static func indexedTransaction(_ db: Database, _ row: Row) throws -> IndexedTransaction {
        var found = IndexedTransaction(sequence: row["seq"], record: nil, refusal: nil)
        if let recordSeq: Int64 = row["record_seq"] {
            found.record = try Row.fetchOne(
                db.cachedStatement(sql: "SELECT seq, kind, record_id, peer, body FROM federation_records WHERE seq = ?"),
                arguments: [recordSeq]
            ).map(Self.federationRecord(from:))
        } else {
            found.refusal = try Row.fetchOne(
                db, sql: "SELECT * FROM federation_refusals WHERE peer = ? AND transaction_id = ?",
                arguments: [row["peer"] as String, row["transaction_id"] as String]
            ).map(Self.refusal(from:))
        }
        return found
    }

    static func federationRecord(from row: Row) -> FederationRecord {
        FederationRecord(kind: row["kind"], recordID: row["record_id"], peer: row["peer"], body: row["body"])
    }
}
