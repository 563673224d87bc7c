import SafeguardsCore

/// `POST /v1/pools/{id}/top-up` and `POST /v1/pools/{id}/withdraw`: an amount moved between the
/// funding account and the pool's unallocated budget, with the reason the transfer keeps.
public struct PoolFundsRequest: Codable, Sendable, Equatable {
    public var amount: Amount
    public var reason: String
    /// Makes the request safe to retry: the same key returns the first transfer.
    public var idempotencyKey: String?

    public init(amount: Amount, reason: String, idempotencyKey: String? = nil) {
        self.amount = amount
        self.reason = reason
        self.idempotencyKey = idempotencyKey
    }

    enum CodingKeys: String, CodingKey {
        case amount, reason, idempotencyKey = "idempotency_key"
    }
}

/// The answer to a top-up or a withdrawal: the pool as it now stands and the transfer that moved.
public struct PoolFundsBody: Codable, Sendable, Equatable {
    public var pool: PoolBody
    public var transfer: TransferBody

    public init(pool: PoolBody, transfer: TransferBody) {
        self.pool = pool
        self.transfer = transfer
    }
}

/// `POST /v1/agents/{id}/close` and `POST /v1/pools/{id}/close`: why it closes, kept by the
/// transfers that return its budget.
public struct CloseRequest: Codable, Sendable, Equatable {
    public var reason: String

    public init(reason: String) {
        self.reason = reason
    }
}

/// The answer to closing an agent: the agent, closed, and the transfers that returned its budget
/// (none when it held nothing, or when it was closed before).
public struct AgentClosedBody: Codable, Sendable, Equatable {
    public var agent: AgentBody
    public var transfers: [TransferBody]

    public init(agent: AgentBody, transfers: [TransferBody]) {
        self.agent = agent
        self.transfers = transfers
    }
}

/// The answer to closing a pool: the pool, closed; how many of its agents closed with it; and the
/// transfer that returned the pool's budget to funding (absent when it held nothing, or when it
/// was closed before). Each agent's own `closing` transfer is in the history
/// (`GET /v1/transfers?pool_id=...&kind=closing`).
public struct PoolClosedBody: Codable, Sendable, Equatable {
    public var pool: PoolBody
    public var agentsClosed: Int
    public var transfer: TransferBody?

    public init(pool: PoolBody, agentsClosed: Int, transfer: TransferBody?) {
        self.pool = pool
        self.agentsClosed = agentsClosed
        self.transfer = transfer
    }

    enum CodingKeys: String, CodingKey {
        case pool, agentsClosed = "agents_closed", transfer
    }
}
