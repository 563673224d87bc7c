import GRDB
import SafeguardsCore

/// The outbox: one row per (event, subscribed webhook), a *delivery*, fanned out when the event
/// is written, inside the transaction of the change that caused it (migration `v15_webhooks`).
///
/// - **Nothing for nobody.** An event is written as `INSERT … SELECT` over the webhooks whose
///   event list names its type (or `*`): with no subscription, no row is written. Events are
///   written only for changes that report something (an alert, an expiry, a decision, a
///   rejection, a dead peer); a spend that raises no alert never comes here.
/// - **Once per change.** `(event_id, webhook_id)` is unique and inserts ignore a repeat, so a
///   change written again (a replayed migration, a retried refusal) adds no second delivery.
/// - **Resumable.** The attempt count, last status or error and the next attempt time are rows:
///   a restarted node goes on where the last one stopped (at least once: a delivery whose answer
///   was lost with the process is sent again, with the same event id).
/// - **Bounded.** A delivery is tried until a 2xx or until it is older than the maximum age
///   (then `failed`); finished rows are pruned after the retention or past a row cap; a stored
///   error is cut to ``errorPrefix`` characters. Webhooks are at most ``WebhookSubscription/maximumCount``.
public enum WebhookOutbox {
    /// The states of a delivery.
    public enum Status: String, Sendable, CaseIterable {
        case pending, delivered, failed
    }

    /// The longest error text or response prefix kept per delivery.
    public static let errorPrefix = 200

    static let schema = """
        CREATE TABLE webhooks (
            id TEXT PRIMARY KEY NOT NULL,
            url TEXT NOT NULL,
            -- '*' or ',type,type,' so that a type matches with instr(events, ',type,').
            events TEXT NOT NULL,
            secret TEXT NOT NULL,
            source TEXT NOT NULL CHECK (source IN ('config', 'api')),
            created_at INTEGER NOT NULL
        ) WITHOUT ROWID;
        CREATE TABLE webhook_deliveries (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            event_id TEXT NOT NULL,
            webhook_id TEXT NOT NULL,
            type TEXT NOT NULL,
            data TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
            attempts INTEGER NOT NULL DEFAULT 0,
            last_status INTEGER,
            last_error TEXT,
            next_attempt_at INTEGER,
            finished_at INTEGER,
            UNIQUE (event_id, webhook_id)
        );
        -- The oldest pending delivery of each webhook (they go out in order, one at a time).
        CREATE INDEX webhook_deliveries_pending ON webhook_deliveries(webhook_id, seq) WHERE status = 'pending';
        -- Keyset pages newest first, filtered by webhook or by status.
        CREATE INDEX webhook_deliveries_by_webhook ON webhook_deliveries(webhook_id, seq);
        CREATE INDEX webhook_deliveries_by_status ON webhook_deliveries(status, seq);
        """

    /// Writes one pending delivery of `event` per webhook subscribed to its type, in the
    /// caller's transaction.
    static func enqueue(_ event: OutboxEvent, _ db: Database) throws {
        try db.cachedStatement(sql: enqueueSQL).execute(
            arguments: [
                event.id, event.type.rawValue, LedgerStore.encode(event.data), event.createdAt.millisecondsSince1970,
                event.createdAt.millisecondsSince1970, ",\(event.type.rawValue),",
            ])
    }

    private static let enqueueSQL = """
        INSERT OR IGNORE INTO webhook_deliveries(event_id, webhook_id, type, data, created_at, next_attempt_at)
        SELECT ?, id, ?, ?, ?, ? FROM webhooks WHERE events = '*' OR instr(events, ?) > 0
        """
}

/// One delivery as the outbox holds it.
public struct WebhookDelivery: Sendable, Hashable {
    /// The row's sequence number: `dlv_<sequence>` to clients, and the order of deliveries.
    public var sequence: Int64
    public var eventID: String
    public var webhookID: String
    public var type: String
    /// The event's data as stored: a JSON object of strings with sorted keys.
    public var data: String
    public var createdAt: Timestamp
    public var status: WebhookOutbox.Status
    public var attempts: Int
    /// The HTTP status of the last answer, if one came.
    public var lastStatus: Int?
    public var lastError: String?
    public var nextAttemptAt: Timestamp?
    /// When it was delivered or given up.
    public var finishedAt: Timestamp?

    /// `dlv_<sequence>`.
    public var id: String { "dlv_\(sequence)" }

    init(row: Row) throws {
        let status: String = row["status"]
        guard let parsed = WebhookOutbox.Status(rawValue: status) else {
            throw DatabaseError(message: "webhook delivery with unknown status '\(status)'")
        }
        sequence = row["seq"]
        eventID = row["event_id"]
        webhookID = row["webhook_id"]
        type = row["type"]
        data = row["data"]
        createdAt = Timestamp(millisecondsSince1970: row["created_at"])
        self.status = parsed
        attempts = row["attempts"]
        lastStatus = row["last_status"]
        lastError = row["last_error"]
        nextAttemptAt = (row["next_attempt_at"] as Int64?).map(Timestamp.init(millisecondsSince1970:))
        finishedAt = (row["finished_at"] as Int64?).map(Timestamp.init(millisecondsSince1970:))
    }
}

/// A delivery due now, with where it goes.
public struct DueWebhookDelivery: Sendable, Hashable {
    public var delivery: WebhookDelivery
    public var url: String
    public var secret: String
}

/// What one attempt at a delivery came to.
public enum WebhookAttemptOutcome: Sendable, Hashable {
    /// A 2xx answer with this status.
    case delivered(status: Int, at: Timestamp)
    /// No 2xx (`status` when an answer came); tried again at `nextAttemptAt`.
    case retry(status: Int?, error: String, nextAttemptAt: Timestamp)
    /// No 2xx and too old to try again.
    case failed(status: Int?, error: String, at: Timestamp)
}

extension LedgerStore {
    /// Writes `event` for its subscribers in a transaction of its own: for events that no ledger
    /// change carries (a peer declared dead).
    ///
    /// - Throws: ``StoreError`` when it could not be made durable.
    public func recordEvent(_ event: OutboxEvent) throws(StoreError) {
        try write("record event \(event.id)") { db in try WebhookOutbox.enqueue(event, db) }
    }

    /// The oldest pending delivery of each webhook, when it is due at `now`: at most one per
    /// webhook, so a webhook's events go out in order and one at a time.
    ///
    /// - Throws: ``StoreError`` when the rows cannot be read.
    public func dueWebhookDeliveries(now: Timestamp, limit: Int) throws(StoreError) -> [DueWebhookDelivery] {
        try read("read due webhook deliveries") { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT d.*, w.url, w.secret FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id
                    WHERE d.seq IN (SELECT MIN(seq) FROM webhook_deliveries WHERE status = 'pending' GROUP BY webhook_id)
                    AND d.next_attempt_at <= ? ORDER BY d.seq LIMIT ?
                    """,
                arguments: [now.millisecondsSince1970, limit]
            ).map { row in
                DueWebhookDelivery(delivery: try WebhookDelivery(row: row), url: row["url"], secret: row["secret"])
            }
        }
    }

    /// Records one attempt at each pending delivery named (by its sequence number), in one
    /// transaction: one sync per pass of the dispatcher, not one per delivery.
    ///
    /// - Throws: ``StoreError`` when it could not be made durable.
    public func recordWebhookAttempts(_ attempts: [(sequence: Int64, outcome: WebhookAttemptOutcome)])
        throws(StoreError)
    {
        guard !attempts.isEmpty else { return }
        try write("record webhook attempts") { db in
            for (sequence, outcome) in attempts {
                let row:
                    (status: WebhookOutbox.Status, code: Int?, error: String?, next: Timestamp?, finished: Timestamp?) =
                        switch outcome {
                        case .delivered(let answer, let at): (.delivered, answer, nil, nil, at)
                        case .retry(let answer, let text, let at): (.pending, answer, text, at, nil)
                        case .failed(let answer, let text, let at): (.failed, answer, text, nil, at)
                        }
                try db.cachedStatement(
                    sql: """
                        UPDATE webhook_deliveries SET status = ?, attempts = attempts + 1, last_status = ?, last_error = ?,
                            next_attempt_at = ?, finished_at = ?
                        WHERE seq = ? AND status = 'pending'
                        """
                ).execute(
                    arguments: [
                        row.status.rawValue, row.code, row.error.map { String($0.prefix(WebhookOutbox.errorPrefix)) },
                        row.next?.millisecondsSince1970, row.finished?.millisecondsSince1970, sequence,
                    ])
            }
        }
    }

    /// Deliveries newest first, optionally of one webhook and in one status: at most `limit`
    /// with a sequence number below `before`.
    ///
    /// - Throws: ``StoreError`` when the rows cannot be read.
    public func webhookDeliveryPage(
        webhook: String?, status: WebhookOutbox.Status?, before: Int64?, limit: Int
    ) throws(StoreError) -> [(sequence: Int64, item: WebhookDelivery)] {
        var filters: [(column: String, value: String)] = []
        if let webhook { filters.append(("webhook_id", webhook)) }
        if let status { filters.append(("status", status.rawValue)) }
        return try read("read webhook deliveries") { db in
            try Self.page(db, table: "webhook_deliveries", filters: filters, before: before, limit: limit)
                .map { row in (row["seq"], try WebhookDelivery(row: row)) }
        }
    }

    /// Deletes the finished deliveries (delivered or failed) that finished before `before`, and
    /// the oldest finished ones past `keep` rows in all. Returns how many went.
    ///
    /// - Throws: ``StoreError`` when it could not be made durable.
    @discardableResult
    public func pruneWebhookDeliveries(finishedBefore before: Timestamp, keep: Int) throws(StoreError) -> Int {
        var removed = 0
        try write("prune webhook deliveries") { db in
            try db.execute(
                sql: "DELETE FROM webhook_deliveries WHERE status != 'pending' AND finished_at < ?",
                arguments: [before.millisecondsSince1970])
            removed = db.changesCount
            let total = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM webhook_deliveries") ?? 0
            guard total > keep else { return }
            try db.execute(
                sql: """
                    DELETE FROM webhook_deliveries WHERE seq IN
                    (SELECT seq FROM webhook_deliveries WHERE status != 'pending' ORDER BY seq LIMIT ?)
                    """,
                arguments: [total - keep])
            removed += db.changesCount
        }
        return removed
    }

    /// How many deliveries are in each status.
    ///
    /// - Throws: ``StoreError`` when the rows cannot be read.
    public func webhookDeliveryCounts() throws(StoreError) -> [WebhookOutbox.Status: Int] {
        try read("count webhook deliveries") { db in
            var counts: [WebhookOutbox.Status: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT status, COUNT(*) AS n FROM webhook_deliveries GROUP BY status")
            {
                if let status = WebhookOutbox.Status(rawValue: row["status"]) { counts[status] = row["n"] }
            }
            return counts
        }
    }
}

extension BudgetWriter {
    /// Writes `event` for its subscribers in a transaction of its own (see ``LedgerStore/recordEvent(_:)``).
    /// Not isolated: such an event is ordered with no budget change.
    public nonisolated func recordEvent(_ event: OutboxEvent) throws(StoreError) {
        try store.recordEvent(event)
    }
}
