import NIOHTTP1
import SafeguardsCore

/// A pool's funding and closing: `POST /v1/pools/{id}/top-up|withdraw|close`, `POST /v1/agents/{id}/close`.
extension SafeguardsClient {
    /// Moves `request.amount` from funding into the pool's unallocated budget.
    public func topUpPool(_ id: String, _ request: PoolFundsRequest) async throws(APIClientError) -> PoolFundsBody {
        try await call(.POST, "/v1/pools/\(Self.escape(id))/top-up", body: request)
    }

    /// Moves `request.amount` of the pool's unallocated budget back to funding (`insufficient_budget`
    /// when the pool has less unallocated).
    public func withdrawFromPool(_ id: String, _ request: PoolFundsRequest) async throws(APIClientError)
        -> PoolFundsBody
    {
        try await call(.POST, "/v1/pools/\(Self.escape(id))/withdraw", body: request)
    }

    /// Closes the pool and its agents; their budget returns to funding (`reservations_pending`
    /// while any of its agents has a pending reservation).
    public func closePool(_ id: String, reason: String) async throws(APIClientError) -> PoolClosedBody {
        try await call(.POST, "/v1/pools/\(Self.escape(id))/close", body: CloseRequest(reason: reason))
    }

    /// Closes the agent; its budget returns to its pool (`reservations_pending` while it has a
    /// pending reservation).
    public func closeAgent(_ id: String, reason: String) async throws(APIClientError) -> AgentClosedBody {
        try await call(.POST, "/v1/agents/\(Self.escape(id))/close", body: CloseRequest(reason: reason))
    }
}
