import Foundation
import SafeguardsAPI
import SafeguardsCore
import SafeguardsStore

/// The node's budget operations in API terms: validates requests, turns idempotency keys into
/// transfer ids, and hands commands to the one ``BudgetWriter`` (which stamps their time).
public struct BudgetOperations: Sendable {
    public let writer: BudgetWriter
    public let store: LedgerStore
    let defaultReservationTimeout: Duration
    /// Per-agent rate limits on reserve and spend, when the node enforces them.
    let rateLimits: AgentRateLimits?

    public init(
        writer: BudgetWriter, store: LedgerStore, defaultReservationTimeout: Duration, rateLimits: AgentRateLimits? = nil
    ) {
        self.writer = writer
        self.store = store
        self.defaultReservationTimeout = defaultReservationTimeout
        self.rateLimits = rateLimits
    }

    /// Runs `operation` inside the agent's rate limit: the amount counts as in flight first (or
    /// `rate_limited` is thrown), and in the window once its transfer is committed; a refused,
    /// failed or replayed operation leaves the window as it was.
    func limited(
        _ agent: AgentID, _ amount: Amount, transfer id: TransferID,
        _ operation: () async throws(SafeguardsError) -> (Transfer, replayed: Bool)
    ) async throws(SafeguardsError) -> (Transfer, replayed: Bool) {
        // Most agents have no limit: their calls touch nothing more.
        guard let rateLimits, rateLimits.hasLimit(agent) else { return try await operation() }
        // A retry of a request already made is answered as a replay, never counted again.
        if await writer.read({ $0.ledger.transfer(id) != nil }) { return try await operation() }
        let ticket = try await rateLimits.admit(agent, amount, transfer: id, at: Timestamp.now())
        do {
            let result = try await operation()
            await rateLimits.finish(ticket, committed: result.replayed ? nil : result.0)
            return result
        } catch {
            await rateLimits.finish(ticket, committed: nil)
            throw error
        }
    }

    // MARK: Pools and agents

    public func createPool(_ request: CreatePoolRequest) async throws(SafeguardsError) -> (PoolSnapshot, replayed: Bool) {
        let priority = try PoolPriority(request.priority)
        let key = try Self.key(request.idempotencyKey)
        let id = PoolID(unchecked: "pool_" + Self.randomHex())
        let command = try withPeriod(
            .createPool(id, name: request.name, priority: priority, initialBudget: request.initialBudget,
                metadata: request.metadata ?? [:], key: key),
            period: request.budgetPeriod, timeZone: request.periodTimezone)
        let result = try await writer.submitAsCaller(command)
        guard case .pool(let snapshot, let replayed) = result else { throw Self.unexpected(result) }
        return (snapshot, replayed)
    }

    public func registerAgent(_ request: RegisterAgentRequest) async throws(SafeguardsError) -> (AgentSnapshot, replayed: Bool) {
        let id = try Self.identifier(AgentID.self, request.agentID, field: "agent_id")
        let pool = try Self.identifier(PoolID.self, request.poolID, field: "pool_id")
        let priority = try AgentPriority(parsing: request.priority)
        let key = try Self.key(request.idempotencyKey)
        let command = try withPeriod(
            .registerAgent(id, pool: pool, priority: priority, initialBudget: request.initialBudget, key: key),
            period: request.budgetPeriod, timeZone: request.periodTimezone)
        let result = try await writer.submitAsCaller(command)
        guard case .agent(let snapshot, let replayed) = result else { throw Self.unexpected(result) }
        return (snapshot, replayed)
    }

    public func updateBudget(agent: String, _ request: UpdateBudgetRequest) async throws(SafeguardsError) -> AgentSnapshot {
        let id = try Self.agentID(agent)
        let transferID = try Self.transferID(prefix: "bud", key: request.idempotencyKey)
        let command = try withPeriod(
            .setAgentBudget(id, budget: request.budget, reason: request.reason, transferID: transferID),
            period: request.budgetPeriod, timeZone: request.periodTimezone)
        let result = try await writer.submitAsCaller(command)
        guard case .agent(let snapshot, _) = result else { throw Self.unexpected(result) }
        return snapshot
    }

    public func pool(_ id: String) async throws(SafeguardsError) -> PoolSnapshot {
        let poolID = try Self.identifier(PoolID.self, id, field: "pool id", notFound: true)
        guard let snapshot = writer.view({ $0.poolSnapshot(poolID) }) else {
            throw .notFound("pool \(poolID) does not exist")
        }
        return snapshot
    }

    // Reads show what is committed (``BudgetWriter/view(_:)`` and the store) and never wait for the writer.

    public func pools() async -> [PoolSnapshot] {
        writer.view { $0.poolSnapshots() }
    }

    public func agent(_ id: String) async throws(SafeguardsError) -> AgentSnapshot {
        let agentID = try Self.agentID(id)
        guard let snapshot = writer.view({ $0.agentSnapshot(agentID) }) else {
            throw .notFound("agent \(agentID) does not exist")
        }
        return snapshot
    }

    /// One page of agents in id order (see ``BudgetReading/agentSnapshots(in:after:limit:)``):
    /// the committed view is held for one pass over the ids, however many agents there are.
    public func agents(
        pool: String?, after: String?, limit: Int
    ) async throws(SafeguardsError) -> (agents: [AgentSnapshot], more: Bool) {
        let poolID = try pool.map { (text) throws(SafeguardsError) in try Self.identifier(PoolID.self, text, field: "pool_id") }
        return writer.view { $0.agentSnapshots(in: poolID, after: after, limit: limit) }
    }

    // MARK: Spending

    /// Reserves for `agent`; `caller` (the API key that asked, the caller's metadata) is kept
    /// with the transfer. A retry with the same idempotency key and another `caller` is a conflict.
    public func reserve(
        agent: String, _ request: ReserveRequest, caller: CallerNote = .none
    ) async throws(SafeguardsError) -> (Transfer, replayed: Bool) {
        let id = try Self.agentID(agent)
        let reservationID = try Self.transferID(prefix: "rsv", key: request.idempotencyKey)
        var timeout = defaultReservationTimeout
        if let seconds = request.timeoutSeconds {
            guard (1...2_592_000).contains(seconds) else {
                throw .invalidRequest("timeout_seconds must be between 1 and 2592000 (30 days)")
            }
            timeout = .seconds(seconds)
        }
        return try await limited(id, request.amount, transfer: reservationID) { () async throws(SafeguardsError) in
            try Self.transfer(
                try await writer.submit(.reserve(
                    id, amount: request.amount, reservationID: reservationID, timeout: timeout, caller: caller)))
        }
    }

    public func settle(reservation: String, amount: Amount) async throws(SafeguardsError) -> (Transfer, replayed: Bool) {
        let id = try Self.identifier(TransferID.self, reservation, field: "reservation id", notFound: true)
        return try await resolving(id) { () async throws(SafeguardsError) in
            try Self.transfer(try await writer.submit(.settle(reservationID: id, amount: amount)))
        }
    }

    public func release(reservation: String) async throws(SafeguardsError) -> (Transfer, replayed: Bool) {
        let id = try Self.identifier(TransferID.self, reservation, field: "reservation id", notFound: true)
        return try await resolving(id) { () async throws(SafeguardsError) in
            try Self.transfer(try await writer.submit(.release(reservationID: id)))
        }
    }

    /// Runs a settle or release of reservation `id` and tells the agent's rate limit how it
    /// ended, so its window counts what was settled rather than what was reserved.
    private func resolving(
        _ id: TransferID, _ operation: () async throws(SafeguardsError) -> (Transfer, replayed: Bool)
    ) async throws(SafeguardsError) -> (Transfer, replayed: Bool) {
        guard let rateLimits else { return try await operation() }
        do {
            let result = try await operation()
            if !result.replayed, let agent = Self.reservingAgent(result.0), rateLimits.hasLimit(agent) {
                await rateLimits.resolved(result.0)
            }
            return result
        } catch {
            // A settle that came too late expires the reservation on the spot and answers an
            // error: the window learns that from the journal.
            if let transfer = await writer.read({ $0.ledger.transfer(id) }), transfer.state == .expired,
                let agent = Self.reservingAgent(transfer), rateLimits.hasLimit(agent)
            {
                await rateLimits.recount(agent)
            }
            throw error
        }
    }

    /// The agent whose reservation or spend `transfer` is.
    static func reservingAgent(_ transfer: Transfer) -> AgentID? {
        transfer.metadataValue(TransferMetadataKey.agent).flatMap { try? AgentID($0) }
    }

    /// Reserve and settle in one step; `caller` as in ``reserve(agent:_:caller:)``.
    public func spend(
        agent: String, _ request: SpendRequest, caller: CallerNote = .none
    ) async throws(SafeguardsError) -> (Transfer, replayed: Bool) {
        let id = try Self.agentID(agent)
        let transferID = try Self.transferID(prefix: "spd", key: request.idempotencyKey)
        return try await limited(id, request.amount, transfer: transferID) { () async throws(SafeguardsError) in
            try Self.transfer(try await writer.submit(.spend(
                id, amount: request.amount, transferID: transferID, caller: caller)))
        }
    }

    /// Releases every reservation whose timeout has passed; returns how many.
    @discardableResult
    public func expireReservations() async throws(SafeguardsError) -> Int {
        guard case .expired(let transfers) = try await writer.submit(.expireReservations) else { return 0 }
        if let rateLimits {
            for transfer in transfers {
                guard let agent = Self.reservingAgent(transfer), rateLimits.hasLimit(agent) else { continue }
                await rateLimits.resolved(transfer)
            }
        }
        return transfers.count
    }

    // MARK: Reading the journal

    public func transfer(_ id: String) async throws(SafeguardsError) -> Transfer {
        let transferID = try Self.identifier(TransferID.self, id, field: "transfer id", notFound: true)
        let stored: Transfer?
        do { stored = try store.transfer(transferID) } catch {
            throw SafeguardsError(.unavailable, "cannot read transfer \(transferID)")
        }
        guard let transfer = stored else { throw .notFound("transfer \(transferID) does not exist") }
        return transfer
    }

    public func reservation(_ id: String) async throws(SafeguardsError) -> Transfer {
        let transfer = try await transfer(id)
        guard transfer.metadata[TransferMetadataKey.kind] == TransferKind.reservation.rawValue else {
            throw .notFound("reservation \(id) does not exist")
        }
        return transfer
    }

    /// Alerts (of `agent`), newest first: at most `limit` older than the row `before`.
    public func alerts(agent: String?, before: Int64?, limit: Int) async throws(SafeguardsError)
        -> [(sequence: Int64, item: UsageAlert)]
    {
        let agentID = try agent.map { (text) throws(SafeguardsError) in
            try Self.identifier(AgentID.self, text, field: "agent_id")
        }
        do { return try store.alertPage(agent: agentID, before: before, limit: limit) } catch {
            throw SafeguardsError(.unavailable, "cannot read the alerts")
        }
    }

    public func ledgerTotals() async -> LedgerTotals {
        writer.view { $0.ledgerTotals() }
    }

    /// Compares the checkpointed balances with the journal: in SQL, or (`full`) by reading every
    /// transfer again and comparing memory too. The committed view is published right after
    /// each commit, so a commit between reading it and reading the database can make them differ
    /// for a moment: a memory mismatch is looked at again before it is reported.
    public func checkCheckpoint(full: Bool) async throws(SafeguardsError) -> CheckpointCheck {
        do {
            guard full else { return try store.checkCheckpoint() }
            var check = CheckpointCheck(mode: .full)
            for _ in 0..<3 {
                let memory = writer.view { $0.accounts }
                check = try store.checkCheckpointFully(against: memory)
                if check.memoryMismatchedAccounts?.isEmpty ?? true { break }
            }
            return check
        } catch {
            throw SafeguardsError(.unavailable, "cannot check the checkpoint: \(error)")
        }
    }

    // MARK: Helpers

    static func randomHex() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<2).map { _ in
            let hex = String(generator.next() as UInt64, radix: 16)
            return String(repeating: "0", count: 16 - hex.count) + hex
        }.joined()
    }

    /// A transfer id from an idempotency key (`rsv:KEY`), or a fresh random one (`rsv_HEX`).
    static func transferID(prefix: String, key: String?) throws(SafeguardsError) -> TransferID {
        if let key = try Self.key(key) { return TransferID(unchecked: "\(prefix):\(key.rawValue)") }
        return TransferID(unchecked: "\(prefix)_\(randomHex())")
    }

    /// A key is 1-128 characters like any identifier; the transfer id made from one (`rsv:KEY`)
    /// stays valid, as ``TransferID`` allows room for the prefixes.
    static func key(_ text: String?) throws(SafeguardsError) -> IdempotencyKey? {
        guard let text else { return nil }
        do { return try IdempotencyKey(text) } catch { throw .invalidRequest(error.description) }
    }

    static func agentID(_ text: String) throws(SafeguardsError) -> AgentID {
        try identifier(AgentID.self, text, field: "agent id", notFound: true)
    }

    /// Validates an id. An id in a path that cannot exist is reported as not found.
    static func identifier<ID: Identifier>(
        _ type: ID.Type, _ text: String, field: String, notFound: Bool = false
    ) throws(SafeguardsError) -> ID {
        do { return try ID(text) } catch {
            if notFound { throw .notFound("\(field) '\(text.prefix(64))' does not exist") }
            throw .invalidRequest("\(field): \(error.description)")
        }
    }

    static func transfer(_ result: BudgetResult) throws(SafeguardsError) -> (Transfer, replayed: Bool) {
        guard case .transfer(let transfer, let replayed) = result else { throw unexpected(result) }
        return (transfer, replayed)
    }

    static func unexpected(_ result: BudgetResult) -> SafeguardsError {
        SafeguardsError(.unavailable, "internal error: unexpected result \(result)")
    }
}

extension Timestamp {
    /// The current wall-clock time.
    public static func now() -> Timestamp {
        Timestamp(millisecondsSince1970: Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)))
    }
}
