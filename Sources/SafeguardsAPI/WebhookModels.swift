/// `POST /v1/webhooks`: subscribes `url` to the events of the listed types.
public struct CreateWebhookRequest: Codable, Sendable, Equatable {
    /// An absolute http or https URL.
    public var url: String
    /// Event types (`alert.warning`, `alert.critical`, `reservation.expired`,
    /// `federation.request_rejected`, `peer.dead`, `policy.decision`), or `["*"]`.
    public var events: [String]
    /// The key of each delivery's `Safeguards-Signature`; never shown again.
    public var secret: String
    /// Makes the request safe to retry: the same key with the same fields answers the webhook it
    /// created (`Idempotent-Replayed: true`); with other fields it is `409 conflict`.
    public var idempotencyKey: String?

    public init(url: String, events: [String], secret: String, idempotencyKey: String? = nil) {
        self.url = url
        self.events = events
        self.secret = secret
        self.idempotencyKey = idempotencyKey
    }

    enum CodingKeys: String, CodingKey {
        case url, events, secret, idempotencyKey = "idempotency_key"
    }
}

/// A webhook as the API shows it: without its secret.
public struct WebhookBody: Codable, Sendable, Equatable {
    public var id: String
    public var url: String
    public var events: [String]
    /// `config` (from the node config, re-applied at start) or `api`.
    public var source: String
    public var createdAt: String

    public init(id: String, url: String, events: [String], source: String, createdAt: String) {
        self.id = id
        self.url = url
        self.events = events
        self.source = source
        self.createdAt = createdAt
    }

    enum CodingKeys: String, CodingKey {
        case id, url, events, source, createdAt = "created_at"
    }
}

/// `GET /v1/webhooks`: one page, in id order; `next` is written even on the last page (`null`).
public struct WebhookListBody: PagedList, Equatable {
    public var webhooks: [WebhookBody]
    public var next: String?

    public init(webhooks: [WebhookBody], next: String?) {
        self.webhooks = webhooks
        self.next = next
    }

    public var items: [WebhookBody] {
        get { webhooks }
        set { webhooks = newValue }
    }

    public func encode(to encoder: any Encoder) throws {
        try PageCoding.encode(webhooks, as: "webhooks", next: next, to: encoder)
    }
}

/// One delivery of an event to a webhook, and how its attempts went.
public struct WebhookDeliveryBody: Codable, Sendable, Equatable {
    /// `dlv_<n>`.
    public var id: String
    /// The event's id, as sent in `Safeguards-Event-Id`.
    public var eventID: String
    public var webhookID: String
    public var type: String
    /// `pending`, `delivered` or `failed`.
    public var status: String
    public var attempts: Int
    /// The HTTP status of the last answer, if one came.
    public var lastStatus: Int?
    /// Why the last attempt failed (the start of the answer, or the connection error).
    public var lastError: String?
    /// When a pending delivery is tried next.
    public var nextAttemptAt: String?
    public var deliveredAt: String?
    public var createdAt: String

    public init(
        id: String, eventID: String, webhookID: String, type: String, status: String, attempts: Int,
        lastStatus: Int?, lastError: String?, nextAttemptAt: String?, deliveredAt: String?, createdAt: String
    ) {
        self.id = id
        self.eventID = eventID
        self.webhookID = webhookID
        self.type = type
        self.status = status
        self.attempts = attempts
        self.lastStatus = lastStatus
        self.lastError = lastError
        self.nextAttemptAt = nextAttemptAt
        self.deliveredAt = deliveredAt
        self.createdAt = createdAt
    }

    enum CodingKeys: String, CodingKey {
        case id, eventID = "event_id", webhookID = "webhook_id", type, status, attempts, lastStatus = "last_status"
        case lastError = "last_error", nextAttemptAt = "next_attempt_at", deliveredAt = "delivered_at"
        case createdAt = "created_at"
    }
}

/// `GET /v1/webhooks/deliveries`: one page, newest first; `next` is written even on the last page (`null`).
public struct WebhookDeliveryListBody: PagedList, Equatable {
    public var deliveries: [WebhookDeliveryBody]
    public var next: String?

    public init(deliveries: [WebhookDeliveryBody], next: String?) {
        self.deliveries = deliveries
        self.next = next
    }

    public var items: [WebhookDeliveryBody] {
        get { deliveries }
        set { deliveries = newValue }
    }

    public func encode(to encoder: any Encoder) throws {
        try PageCoding.encode(deliveries, as: "deliveries", next: next, to: encoder)
    }
}
