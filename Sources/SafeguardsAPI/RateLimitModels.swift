import NIOHTTP1
import SafeguardsCore

/// `GET /v1/agents/{id}/rate-limit` and the answer of its `DELETE`: an agent's limit and what its
/// window holds now (reservations count what they reserved while pending, what they settled once
/// settled).
public struct RateLimitStatusBody: Codable, Sendable, Equatable {
    public var agentID: String
    public var maxBudget: Amount
    public var timeWindowSeconds: Int
    /// What the agent reserved and spent in the last window, operations in flight included.
    public var used: Amount
    /// What it may still reserve or spend now: `max_budget − used`, never below zero.
    public var available: Amount

    public init(agentID: String, maxBudget: Amount, timeWindowSeconds: Int, used: Amount, available: Amount) {
        self.agentID = agentID
        self.maxBudget = maxBudget
        self.timeWindowSeconds = timeWindowSeconds
        self.used = used
        self.available = available
    }

    enum CodingKeys: String, CodingKey {
        case agentID = "agent_id", maxBudget = "max_budget", timeWindowSeconds = "time_window_seconds", used, available
    }
}

/// `GET /v1/agents/{id}/rate-limit/check?amount=`: whether `amount` would pass the agent's rate
/// limit now, and if not how long to wait. Asking counts nothing.
public struct RateLimitCheckBody: Codable, Sendable, Equatable {
    public var agentID: String
    public var amount: Amount
    /// Whether the agent has a rate limit at all; without one every amount is allowed.
    public var limited: Bool
    public var allowed: Bool
    /// Seconds until `amount` would pass: 0 when it passes now; absent when it never can (more
    /// than the whole limit).
    public var retryAfterSeconds: Int?
    /// The limit and what the window holds, when the agent has a limit.
    public var maxBudget: Amount?
    public var timeWindowSeconds: Int?
    public var used: Amount?

    public init(
        agentID: String, amount: Amount, limited: Bool, allowed: Bool, retryAfterSeconds: Int?, maxBudget: Amount? = nil,
        timeWindowSeconds: Int? = nil, used: Amount? = nil
    ) {
        self.agentID = agentID
        self.amount = amount
        self.limited = limited
        self.allowed = allowed
        self.retryAfterSeconds = retryAfterSeconds
        self.maxBudget = maxBudget
        self.timeWindowSeconds = timeWindowSeconds
        self.used = used
    }

    enum CodingKeys: String, CodingKey {
        case agentID = "agent_id", amount, limited, allowed, retryAfterSeconds = "retry_after_seconds",
            maxBudget = "max_budget", timeWindowSeconds = "time_window_seconds", used
    }
}

extension SafeguardsClient {
    /// The agent's rate limit and what its window holds; `not_found` when it has none.
    public func rateLimit(agent: String) async throws(APIClientError) -> RateLimitStatusBody {
        try await call(.GET, "/v1/agents/\(Self.escape(agent))/rate-limit")
    }

    /// Removes the agent's rate limit and answers the limit it had; `not_found` when it had none.
    public func removeRateLimit(agent: String) async throws(APIClientError) -> RateLimitStatusBody {
        try await call(.DELETE, "/v1/agents/\(Self.escape(agent))/rate-limit")
    }

    /// Whether `amount` (by default the smallest amount: anything at all) would pass the agent's
    /// rate limit now, and the seconds to wait if not; the original's `check_rate_limit` and
    /// `get_retry_after`. Counts nothing.
    public func checkRateLimit(agent: String, amount: Amount? = nil) async throws(APIClientError) -> RateLimitCheckBody {
        try await call(
            .GET, Self.path("/v1/agents/\(Self.escape(agent))/rate-limit/check", query: [("amount", amount?.description)]))
    }
}
