import SafeguardsAPI
import SafeguardsCore
import SafeguardsStore

/// An operator's changes to a pool's funding, and closing agents and pools (the rules are in
/// `BudgetBook+Closing.swift`). Each goes to the writer as the caller's command, so its transfers
/// name the API key that asked.
extension BudgetOperations {
    /// Moves `request.amount` from funding into the pool: the transfer and the pool after it.
    public func topUpPool(_ pool: String, _ request: PoolFundsRequest) async throws(SafeguardsError)
        -> (PoolSnapshot, Transfer, replayed: Bool)
    {
        try await movePoolFunds(pool, request, prefix: "topup") { id, transferID in
            .topUpPool(id, amount: request.amount, reason: request.reason, transferID: transferID)
        }
    }

    /// Moves `request.amount` of the pool's unallocated budget back to funding.
    public func withdrawFromPool(_ pool: String, _ request: PoolFundsRequest) async throws(SafeguardsError)
        -> (PoolSnapshot, Transfer, replayed: Bool)
    {
        try await movePoolFunds(pool, request, prefix: "withdraw") { id, transferID in
            .withdrawFromPool(id, amount: request.amount, reason: request.reason, transferID: transferID)
        }
    }

    /// Closes the agent: the agent as it now stands and the transfers that returned its budget.
    public func closeAgent(_ agent: String, _ request: CloseRequest) async throws(SafeguardsError)
        -> (AgentSnapshot, [Transfer], replayed: Bool)
    {
        let id = try Self.agentID(agent)
        let (transfers, replayed) = try await close(.closeAgent(id, reason: request.reason))
        return (try await self.agent(id.rawValue), transfers, replayed)
    }

    /// Closes the pool and its agents: the pool, how many agents closed with it, and the transfer
    /// that returned the pool's budget to funding.
    public func closePool(_ pool: String, _ request: CloseRequest) async throws(SafeguardsError)
        -> (PoolSnapshot, agentsClosed: Int, Transfer?, replayed: Bool)
    {
        let id = try Self.identifier(PoolID.self, pool, field: "pool id", notFound: true)
        let (transfers, replayed) = try await close(.closePool(id, reason: request.reason))
        let own = transfers.last { LedgerAccounts.pool(owning: $0.debitAccount) == id }
        let snapshot = try await self.pool(id.rawValue)
        // The agents closed with the pool carry its closing time; none closed on a replay.
        let closedAt = snapshot.pool.closedAt
        let agentsClosed =
            replayed
            ? 0
            : writer.view { view in
                (view.agentIDsByPool[id] ?? []).filter { view.agents[$0]?.closedAt == closedAt }.count
            }
        return (snapshot, agentsClosed, own, replayed)
    }

    /// Submits the command `make` builds for the pool and the transfer id (`<prefix>:KEY`, or
    /// `<prefix>_<hex>` without a key); answers the pool after it and the transfer.
    private func movePoolFunds(
        _ pool: String, _ request: PoolFundsRequest, prefix: String,
        _ make: (PoolID, TransferID) -> BudgetCommand
    ) async throws(SafeguardsError) -> (PoolSnapshot, Transfer, replayed: Bool) {
        let id = try Self.identifier(PoolID.self, pool, field: "pool id", notFound: true)
        let transferID = try Self.transferID(prefix: prefix, key: request.idempotencyKey)
        let (transfer, replayed) = try Self.transfer(try await writer.submitAsCaller(make(id, transferID)))
        return (try await self.pool(id.rawValue), transfer, replayed)
    }

    private func close(_ command: BudgetCommand) async throws(SafeguardsError) -> ([Transfer], replayed: Bool) {
        let result = try await writer.submitAsCaller(command)
        guard case .closed(let transfers, let replayed) = result else { throw Self.unexpected(result) }
        return (transfers, replayed)
    }
}
