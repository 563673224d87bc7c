import SafeguardsCore

// The JSON bodies of reservations, spends and transfers (`/v1/agents/{id}/reservations`,
// `/spend`, `/v1/reservations/...`, `/v1/transfers/...`). Wire conventions as in APIModels.swift.

/// `POST /v1/agents/{id}/reservations`
public struct ReserveRequest: Codable, Sendable, Equatable {
    public var amount: Amount
    public var idempotencyKey: String?
    /// How long the reservation may stay unsettled before it expires (default from the node config).
    public var timeoutSeconds: Int64?
    /// The caller's notes on the call (`model`, `input_tokens`...), kept in the transfer's metadata.
    public var metadata: [String: String]?
    public init(
        amount: Amount, idempotencyKey: String? = nil, timeoutSeconds: Int64? = nil, metadata: [String: String]? = nil
    ) {
        self.amount = amount
        self.idempotencyKey = idempotencyKey
        self.timeoutSeconds = timeoutSeconds
        self.metadata = metadata
    }

    enum CodingKeys: String, CodingKey {
        case amount, idempotencyKey = "idempotency_key", timeoutSeconds = "timeout_seconds", metadata
    }
}

/// A reservation: `pending` until settled (`posted`), released (`voided`) or `expired`.
public struct ReservationBody: Codable, Sendable, Equatable {
    public var reservationID: String
    public var agentID: String
    public var amount: Amount
    public var state: String
    /// What was spent when it was settled (zero otherwise).
    public var settledAmount: Amount
    public var expiresAt: String?
    public var createdAt: String
    public var resolvedAt: String?
    public init(
        reservationID: String, agentID: String, amount: Amount, state: String, settledAmount: Amount,
        expiresAt: String?, createdAt: String, resolvedAt: String?
    ) {
        self.reservationID = reservationID
        self.agentID = agentID
        self.amount = amount
        self.state = state
        self.settledAmount = settledAmount
        self.expiresAt = expiresAt
        self.createdAt = createdAt
        self.resolvedAt = resolvedAt
    }

    enum CodingKeys: String, CodingKey {
        case reservationID = "reservation_id", agentID = "agent_id", amount, state, settledAmount = "settled_amount"
        case expiresAt = "expires_at", createdAt = "created_at", resolvedAt = "resolved_at"
    }
}

/// `POST /v1/reservations/{id}/settle`
public struct SettleRequest: Codable, Sendable, Equatable {
    public var amount: Amount
    public init(amount: Amount) { self.amount = amount }
}

/// `POST /v1/agents/{id}/spend`
public struct SpendRequest: Codable, Sendable, Equatable {
    public var amount: Amount
    public var idempotencyKey: String?
    /// The caller's notes on the call (`model`, `input_tokens`...), kept in the transfer's metadata.
    public var metadata: [String: String]?
    public init(amount: Amount, idempotencyKey: String? = nil, metadata: [String: String]? = nil) {
        self.amount = amount
        self.idempotencyKey = idempotencyKey
        self.metadata = metadata
    }

    enum CodingKeys: String, CodingKey {
        case amount, idempotencyKey = "idempotency_key", metadata
    }
}

/// A ledger transfer as stored.
public struct TransferBody: Codable, Sendable, Equatable {
    public var id: String
    public var debitAccount: String
    public var creditAccount: String
    public var amount: Amount
    public var postedAmount: Amount
    public var twoPhase: Bool
    public var state: String
    public var reason: String
    public var metadata: [String: String]
    public var createdAt: String
    public var expiresAt: String?
    public var resolvedAt: String?
    public init(
        id: String, debitAccount: String, creditAccount: String, amount: Amount, postedAmount: Amount,
        twoPhase: Bool, state: String, reason: String, metadata: [String: String], createdAt: String,
        expiresAt: String?, resolvedAt: String?
    ) {
        self.id = id
        self.debitAccount = debitAccount
        self.creditAccount = creditAccount
        self.amount = amount
        self.postedAmount = postedAmount
        self.twoPhase = twoPhase
        self.state = state
        self.reason = reason
        self.metadata = metadata
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.resolvedAt = resolvedAt
    }

    enum CodingKeys: String, CodingKey {
        case id, debitAccount = "debit_account", creditAccount = "credit_account", amount
        case postedAmount = "posted_amount", twoPhase = "two_phase", state, reason, metadata
        case createdAt = "created_at", expiresAt = "expires_at", resolvedAt = "resolved_at"
    }
}
