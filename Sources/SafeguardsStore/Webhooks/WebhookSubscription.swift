import GRDB
import SafeguardsCore

/// A webhook: where to POST the events of the listed types, and the secret that signs them.
public struct WebhookSubscription: Sendable, Hashable {
    /// At most this many webhooks are stored (config and API together).
    public static let maximumCount = 100

    /// `cfg_<hash of the url>` for the config's, `whk_<random>` for the API's.
    public var id: String
    public var url: String
    /// Event type names (``WebhookEventType`` raw values), or `["*"]` for every type.
    public var events: [String]
    /// The HMAC key of the signatures; never shown by the API after creation.
    public var secret: String
    /// `config` or `api`.
    public var source: String
    public var createdAt: Timestamp

    public init(id: String, url: String, events: [String], secret: String, source: String, createdAt: Timestamp) {
        self.id = id
        self.url = url
        self.events = events
        self.secret = secret
        self.source = source
        self.createdAt = createdAt
    }

    /// The `events` column: `*`, or the names between commas.
    var eventsColumn: String { events.contains("*") ? "*" : "," + events.joined(separator: ",") + "," }

    init(row: Row) {
        let column: String = row["events"]
        id = row["id"]
        url = row["url"]
        events = column == "*" ? ["*"] : column.split(separator: ",").map(String.init)
        secret = row["secret"]
        source = row["source"]
        createdAt = Timestamp(millisecondsSince1970: row["created_at"])
    }
}

extension LedgerStore {
    /// Makes the config's webhooks the stored `config` ones: each upserted under its id (its
    /// pending deliveries stay), the ones no longer configured removed as ``deleteWebhook(_:)``
    /// removes them.
    ///
    /// - Throws: ``StoreError`` when it could not be made durable.
    public func replaceConfiguredWebhooks(_ webhooks: [WebhookSubscription], now: Timestamp) throws(StoreError) {
        try write("store the configured webhooks") { db in
            let ids = webhooks.map(\.id)
            let stale = try String.fetchAll(db, sql: "SELECT id FROM webhooks WHERE source = 'config'")
                .filter { !ids.contains($0) }
            for id in stale { try Self.removeWebhook(id, db, now: now) }
            for webhook in webhooks {
                try db.execute(
                    sql: """
                        INSERT INTO webhooks(id, url, events, secret, source, created_at) VALUES (?, ?, ?, ?, 'config', ?)
                        ON CONFLICT(id) DO UPDATE SET url = excluded.url, events = excluded.events, secret = excluded.secret
                        """,
                    arguments: [
                        webhook.id, webhook.url, webhook.eventsColumn, webhook.secret,
                        webhook.createdAt.millisecondsSince1970,
                    ])
            }
        }
    }

    /// What ``addWebhook(_:)`` did.
    public enum WebhookAddition: Sendable, Equatable {
        case added
        /// ``WebhookSubscription/maximumCount`` are stored already; nothing was stored.
        case full
        /// A webhook with that id is stored already (a retried request); nothing was stored.
        case existing(WebhookSubscription)
    }

    /// Stores a new webhook, unless one of its id exists or the store holds
    /// ``WebhookSubscription/maximumCount`` already.
    ///
    /// - Throws: ``StoreError`` when it could not be made durable.
    public func addWebhook(_ webhook: WebhookSubscription) throws(StoreError) -> WebhookAddition {
        var addition = WebhookAddition.full
        try write("store a webhook") { db in
            if let row = try Row.fetchOne(db, sql: "SELECT * FROM webhooks WHERE id = ?", arguments: [webhook.id]) {
                addition = .existing(WebhookSubscription(row: row))
                return
            }
            let count = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM webhooks") ?? 0
            guard count < WebhookSubscription.maximumCount else { return }
            try db.execute(
                sql: "INSERT INTO webhooks(id, url, events, secret, source, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                arguments: [
                    webhook.id, webhook.url, webhook.eventsColumn, webhook.secret, webhook.source,
                    webhook.createdAt.millisecondsSince1970,
                ])
            addition = .added
        }
        return addition
    }

    /// Webhooks in id order: at most `limit` with an id after `after`.
    ///
    /// - Throws: ``StoreError`` when the rows cannot be read.
    public func webhookPage(after: String?, limit: Int) throws(StoreError) -> [WebhookSubscription] {
        try read("read webhooks") { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM webhooks WHERE id > ? ORDER BY id LIMIT ?", arguments: [after ?? "", limit]
            ).map(WebhookSubscription.init(row:))
        }
    }

    /// Removes a webhook; its pending deliveries are marked `failed` (they have nowhere to go).
    /// Returns whether it existed.
    ///
    /// - Throws: ``StoreError`` when it could not be made durable.
    public func deleteWebhook(_ id: String, now: Timestamp) throws(StoreError) -> Bool {
        var existed = false
        try write("delete a webhook") { db in existed = try Self.removeWebhook(id, db, now: now) }
        return existed
    }

    @discardableResult
    private static func removeWebhook(_ id: String, _ db: Database, now: Timestamp) throws -> Bool {
        try db.execute(sql: "DELETE FROM webhooks WHERE id = ?", arguments: [id])
        guard db.changesCount > 0 else { return false }
        try db.execute(
            sql: """
                UPDATE webhook_deliveries SET status = 'failed', last_error = 'webhook deleted', next_attempt_at = NULL,
                    finished_at = ?
                WHERE webhook_id = ? AND status = 'pending'
                """,
            arguments: [now.millisecondsSince1970, id])
        return true
    }
}
