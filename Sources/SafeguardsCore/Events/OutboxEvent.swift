/// Something that leaves the node because of a change: a notification for the webhooks that
/// subscribe to its ``type``, written to the outbox in the same transaction as the change.
///
/// Rules every event keeps:
/// - **Born with the change.** The store writes an event inside the transaction that writes the
///   change it reports (an alert row, an expiry, a logged decision, a settlement record), so a
///   change that is not durable has no event, and a durable one has its event.
/// - **One id per change.** ``id`` is derived from what the change is about (the alert's id, the
///   expired transfer's id, the decision's row), never from a clock or a counter of its own: the
///   same change cannot produce two events, and an idempotent replay, which writes no change,
///   writes no event. Receivers drop duplicates by this id (delivery is at least once).
/// - **Flat data.** ``data`` is a map of strings (amounts as decimal strings, times as ISO 8601),
///   stored and sent as a JSON object with sorted keys, so every retry sends the same bytes.
public struct OutboxEvent: Sendable, Hashable {
    /// `evt_<kind>_<what it is about>`.
    public var id: String
    public var type: WebhookEventType
    public var createdAt: Timestamp
    public var data: [String: String]

    public init(id: String, type: WebhookEventType, createdAt: Timestamp, data: [String: String]) {
        self.id = id
        self.type = type
        self.createdAt = createdAt
        self.data = data
    }
}

/// The kinds of event a webhook can subscribe to (the seed's NotificationManager notified of
/// usage alerts; the others report what an operator would otherwise find only in the logs).
public enum WebhookEventType: String, Sendable, Hashable, CaseIterable {
    /// An agent's usage reached ``UsageLevel/warningPercent`` of its budget.
    case alertWarning = "alert.warning"
    /// An agent's usage reached ``UsageLevel/criticalPercent`` of its budget.
    case alertCritical = "alert.critical"
    /// A pending transfer (a reservation) expired unsettled and its amount was released.
    case reservationExpired = "reservation.expired"
    /// A remote budget request was rejected: by this node as the giver, or by the peer.
    case federationRequestRejected = "federation.request_rejected"
    /// Gossip stopped hearing a peer's heartbeat for `gossip.dead_after`.
    case peerDead = "peer.dead"
    /// A policy changed a budget, or fell back (the decision log's entry).
    case policyDecision = "policy.decision"
}

extension OutboxEvent {
    /// `alert.warning` or `alert.critical` for `alert`.
    public static func alert(_ alert: UsageAlert) -> OutboxEvent {
        OutboxEvent(
            id: "evt_alert_\(alert.level.name)_\(alert.id)",
            type: alert.level == .critical ? .alertCritical : .alertWarning, createdAt: alert.createdAt,
            data: [
                "agent_id": alert.agentID.rawValue, "pool_id": alert.poolID.rawValue, "level": alert.level.name,
                "used": alert.used.description, "budget": alert.budget.description,
                "transfer_id": alert.transferID.rawValue,
            ])
    }

    /// `reservation.expired` for `transfer`, which just moved to `expired`; `agent` is the agent
    /// whose account it touches, if any.
    public static func reservationExpired(_ transfer: Transfer, agent: AgentID?) -> OutboxEvent {
        var data = [
            "transfer_id": transfer.id.rawValue, "amount": transfer.amount.description,
            "debit_account": transfer.debitAccount.rawValue, "credit_account": transfer.creditAccount.rawValue,
            "created_at": transfer.createdAt.description,
        ]
        if let agent { data["agent_id"] = agent.rawValue }
        return OutboxEvent(
            id: "evt_expired_\(transfer.id)", type: .reservationExpired,
            createdAt: transfer.resolvedAt ?? transfer.createdAt, data: data)
    }

    /// `policy.decision` for `decision`, stored as row `sequence` of the decision log.
    public static func policyDecision(_ decision: DecisionRecord, sequence: Int64) -> OutboxEvent {
        var data = [
            "policy": decision.policy, "old_value": decision.oldValue.description,
            "new_value": decision.newValue.description, "reason": decision.reason,
        ]
        if let pool = decision.poolID { data["pool_id"] = pool.rawValue }
        if let agent = decision.agentID { data["agent_id"] = agent.rawValue }
        if let transfer = decision.transferID { data["transfer_id"] = transfer.rawValue }
        if let actor = decision.actor { data["actor"] = actor }
        return OutboxEvent(id: "evt_decision_\(sequence)", type: .policyDecision, createdAt: decision.at, data: data)
    }
}
