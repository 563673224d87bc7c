import NIOHTTP1
import SafeguardsCore

/// The budget period fields an agent or a pool body shows, flat beside its other fields:
/// `budget_period`, `period_timezone`, `period_started_at` and `period_resets_at`, all absent
/// when it has no period.
public struct PeriodFields: Codable, Sendable, Equatable {
    /// `"30d"`, `"daily"`, `"weekly"` or `"monthly"`.
    public var budgetPeriod: String
    /// The IANA zone calendar periods are aligned in.
    public var periodTimezone: String
    /// When the current period started (RFC 3339).
    public var periodStartedAt: String
    /// The next boundary, when the budget returns to its total (RFC 3339).
    public var periodResetsAt: String

    public init(budgetPeriod: String, periodTimezone: String, periodStartedAt: String, periodResetsAt: String) {
        self.budgetPeriod = budgetPeriod
        self.periodTimezone = periodTimezone
        self.periodStartedAt = periodStartedAt
        self.periodResetsAt = periodResetsAt
    }

    enum CodingKeys: String, CodingKey {
        case budgetPeriod = "budget_period", periodTimezone = "period_timezone"
        case periodStartedAt = "period_started_at", periodResetsAt = "period_resets_at"
    }

    /// The fields from an enclosing body's decoder; `nil` when it has no `budget_period`.
    public static func decodeIfPresent(from decoder: any Decoder) throws -> PeriodFields? {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        guard container.contains(.budgetPeriod) else { return nil }
        return try PeriodFields(from: decoder)
    }
}

/// `PUT /v1/pools/{id}/period`: sets, changes or removes a pool's budget period.
///
/// `budget_period` is a duration `"<n>s|m|h|d"` (1 minute to 366 days, as LiteLLM's
/// `budget_duration`), or `"daily"`, `"weekly"` (from Monday) or `"monthly"` aligned in
/// `period_timezone` (an IANA zone, `"UTC"` when absent); `null` or `"none"` removes the period.
public struct PeriodRequest: Codable, Sendable, Equatable {
    /// `"none"` when the period is to be removed.
    public var budgetPeriod: String
    public var periodTimezone: String?

    /// The word that removes a period.
    public static let none = "none"

    public init(budgetPeriod: String?, periodTimezone: String? = nil) {
        self.budgetPeriod = budgetPeriod ?? Self.none
        self.periodTimezone = periodTimezone
    }

    enum CodingKeys: String, CodingKey {
        case budgetPeriod = "budget_period", periodTimezone = "period_timezone"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        guard container.contains(.budgetPeriod) else {
            throw DecodingError.keyNotFound(
                CodingKeys.budgetPeriod, .init(codingPath: [], debugDescription: "budget_period is required"))
        }
        budgetPeriod = try Self.decodePeriod(container, forKey: .budgetPeriod) ?? Self.none
        periodTimezone = try container.decodeIfPresent(String.self, forKey: .periodTimezone)
    }

    /// A `budget_period` member: `nil` when absent, `"none"` when `null`, else its text.
    public static func decodePeriod<Key: CodingKey>(_ container: KeyedDecodingContainer<Key>, forKey key: Key) throws
        -> String?
    {
        guard container.contains(key) else { return nil }
        if try container.decodeNil(forKey: key) { return none }
        return try container.decode(String.self, forKey: key)
    }
}

extension SafeguardsClient {
    /// `PUT /v1/pools/{id}/period`: sets, changes or removes (``PeriodRequest/none``) the pool's
    /// budget period. The new period starts now (a calendar period: the one containing now).
    public func setPoolPeriod(_ pool: String, _ request: PeriodRequest) async throws(APIClientError) -> PoolBody {
        try await call(.PUT, "/v1/pools/\(Self.escape(pool))/period", body: request)
    }
}
