import NIOHTTP1
import SafeguardsCore

// Multi-resource budgets: an agent's budget per resource type, reserved and settled all or none.

/// `POST /v1/agents/{id}/resources`.
public struct ResourceBudgetsRequest: Codable, Sendable, Equatable {
    public var budgets: [String: Amount]
    public var idempotencyKey: String?
    public init(budgets: [String: Amount], idempotencyKey: String? = nil) {
        self.budgets = budgets
        self.idempotencyKey = idempotencyKey
    }

    enum CodingKeys: String, CodingKey {
        case budgets, idempotencyKey = "idempotency_key"
    }
}

/// An agent's budget of each resource type.
public struct ResourcesBody: Codable, Sendable, Equatable {
    public struct Budget: Codable, Sendable, Equatable {
        public var total: Amount
        public var available: Amount
        public var reserved: Amount
        public init(total: Amount, available: Amount, reserved: Amount) {
            self.total = total
            self.available = available
            self.reserved = reserved
        }
    }

    public var agentID: String
    public var budgets: [String: Budget]
    public init(agentID: String, budgets: [String: Budget]) {
        self.agentID = agentID
        self.budgets = budgets
    }

    enum CodingKeys: String, CodingKey {
        case agentID = "agent_id", budgets
    }
}

/// `POST /v1/agents/{id}/resources/reserve`: several resources at once, all or none.
public struct ResourceReserveRequest: Codable, Sendable, Equatable {
    public var amounts: [String: Amount]
    public var idempotencyKey: String?
    public var timeoutSeconds: Int?
    public init(amounts: [String: Amount], idempotencyKey: String? = nil, timeoutSeconds: Int? = nil) {
        self.amounts = amounts
        self.idempotencyKey = idempotencyKey
        self.timeoutSeconds = timeoutSeconds
    }

    enum CodingKeys: String, CodingKey {
        case amounts, idempotencyKey = "idempotency_key", timeoutSeconds = "timeout_seconds"
    }
}

/// A resource reservation: what each type holds and where it stands.
public struct ResourceReservationBody: Codable, Sendable, Equatable {
    public var reservationID: String
    public var agentID: String
    public var amounts: [String: Amount]
    /// Per type: pending, posted (settled), voided (released) or expired.
    public var states: [String: String]
    public init(reservationID: String, agentID: String, amounts: [String: Amount], states: [String: String]) {
        self.reservationID = reservationID
        self.agentID = agentID
        self.amounts = amounts
        self.states = states
    }

    enum CodingKeys: String, CodingKey {
        case reservationID = "reservation_id", agentID = "agent_id", amounts, states
    }
}

/// `POST /v1/resource-reservations/{id}/settle`: what was used of each type (the rest is released).
public struct ResourceSettleRequest: Codable, Sendable, Equatable {
    public var used: [String: Amount]
    public init(used: [String: Amount]) { self.used = used }
}

extension SafeguardsClient {
    public func setResources(agent: String, _ request: ResourceBudgetsRequest) async throws(APIClientError) -> ResourcesBody {
        try await call(.POST, "/v1/agents/\(Self.escape(agent))/resources", body: request)
    }

    public func resources(agent: String) async throws(APIClientError) -> ResourcesBody {
        try await call(.GET, "/v1/agents/\(Self.escape(agent))/resources")
    }

    public func reserveResources(agent: String, _ request: ResourceReserveRequest) async throws(APIClientError)
        -> ResourceReservationBody
    {
        try await call(.POST, "/v1/agents/\(Self.escape(agent))/resources/reserve", body: request)
    }

    public func settleResources(reservation: String, _ request: ResourceSettleRequest) async throws(APIClientError)
        -> ResourceReservationBody
    {
        try await call(.POST, "/v1/resource-reservations/\(Self.escape(reservation))/settle", body: request)
    }

    public func releaseResources(reservation: String) async throws(APIClientError) -> ResourceReservationBody {
        try await call(.POST, "/v1/resource-reservations/\(Self.escape(reservation))/release")
    }
}
