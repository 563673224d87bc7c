import SafeguardsAPI
import SafeguardsCore
import SafeguardsFederation
import SafeguardsStore

/// Where the settlement shell makes its records durable. In a node this is the one
/// ``BudgetWriter``: a posting goes through group commit, so concurrent writes share one SQLite
/// commit. Both calls return only once the record is durable, or throw when it is not.
protocol SettlementStorage: Sendable {
    /// Writes a settlement record with its ledger movement in one transaction.
    /// - Throws: the writer's refusal or ``SafeguardsError/Code/unavailable`` when it could not be made durable.
    func write(_ posting: FederationPosting) async throws(SafeguardsError)

    /// Stores a giver's refusal compactly, forgetting the peer's oldest refusals past the cap.
    /// - Throws: ``StoreError`` when it could not be made durable.
    func recordRefusal(_ refusal: IncomingRefusal, forgetting forgotten: ForgottenRefusals?) async throws(StoreError)
}

extension BudgetWriter: SettlementStorage {
    func write(_ posting: FederationPosting) async throws(SafeguardsError) {
        _ = try await submit(.federation(posting))
    }
}
