/// Pools, agents, alerts and the ledger under them: the whole budget state of one node.
///
/// Pure and deterministic. Every command is atomic: it validates, applies its ledger operations
/// as one linked batch, and only then records pools, agents and alerts. A refused command
/// changes nothing, with one exception: a settle that arrives after its reservation's timeout
/// expires the reservation (as the next sweep would) before it is refused.
public struct BudgetBook: BudgetReading, Sendable {
    public internal(set) var ledger = Ledger()
    public internal(set) var pools: [PoolID: Pool] = [:]
    public private(set) var poolIDsByName: [String: PoolID] = [:]
    public internal(set) var agents: [AgentID: Agent] = [:]
    public private(set) var agentIDsByPool: [PoolID: Set<AgentID>] = [:]
    /// Budget periods of agents and pools (see `BudgetBook+Periods.swift`).
    public internal(set) var periods: [PeriodOwner: PeriodState] = [:]
    /// The resource types each multi-resource reservation in memory holds (its transfers are
    /// `<reservation id>:<type>`), so a settle finds them without searching the ledger. An entry
    /// leaves with its transfers (``evictRetired(before:through:limit:)``).
    var resourceReservations: [TransferID: [String]] = [:]
    /// Each agent's two ledger accounts by slot, and its alert level: what a reservation, a
    /// spend or a settle needs of the agent.
    var agentAccounts = AgentAccountIndex()
    /// Changes to the book beyond the ledger, not yet taken by the store, each with the number
    /// of the ledger's unsaved changes made before it: ``takeUnsavedChanges()`` merges the two
    /// lists in the order the changes were made.
    var unsavedChanges: [(ledgerChangesBefore: Int, change: BudgetChange)] = []
    /// Who asked for the command being executed (``BudgetCommand/acting(_:actor:)``); nil otherwise.
    var actor: String?

    public init() {}

    /// Rebuilds a book from what the store holds.
    public static func restore(
        ledger: Ledger, pools: [Pool], agents: [Agent], periods: [PeriodOwner: PeriodState] = [:]
    ) -> BudgetBook {
        var book = BudgetBook()
        book.ledger = ledger
        book.periods = periods
        for pool in pools {
            book.pools[pool.id] = pool
            book.poolIDsByName[pool.name] = pool.id
        }
        for agent in agents {
            book.agents[agent.id] = agent
            book.agentIDsByPool[agent.poolID, default: []].insert(agent.id)
            book.trackAccounts(of: agent)
        }
        for transfer in ledger.transfers.values {
            guard let id = transfer.metadataValue("reservation_id").map(TransferID.init(unchecked:)),
                let types = resourceReservationTypes(transfer, of: id)
            else { continue }
            book.resourceReservations[id] = types
        }
        return book
    }

    // MARK: Reading

    public func account(_ id: AccountID) -> Account? { ledger.account(id) }

    public func forEachAccount(_ body: (Account) throws -> Void) rethrows {
        for account in ledger.accounts.values { try body(account) }
    }

    // MARK: Changing

    /// Applies `command` at `now`. Throws a ``SafeguardsError`` and changes nothing when refused.
    @discardableResult
    public mutating func execute(_ command: BudgetCommand, now: Timestamp) throws(SafeguardsError) -> BudgetResult {
        switch command {
        case .createPool(let id, let name, let priority, let initialBudget, let metadata, let key):
            return try createPool(id, name: name, priority: priority, initialBudget: initialBudget,
                metadata: metadata, key: key, now: now)
        case .registerAgent(let id, let pool, let priority, let initialBudget, let key):
            return try registerAgent(id, pool: pool, priority: priority, initialBudget: initialBudget, key: key,
                now: now)
        case .setAgentBudget(let id, let budget, let reason, let transferID):
            return try setAgentBudget(id, budget: budget, reason: reason, transferID: transferID, now: now)
        case .setAgentBudgets(let changes):
            return try setAgentBudgets(changes, now: now)
        case .reserve(let id, let amount, let reservationID, let timeout, let caller):
            return try reserve(
                id, amount: amount, reservationID: reservationID, timeout: timeout, caller: caller, now: now)
        case .settle(let reservationID, let amount):
            return try resolveReservation(reservationID, to: .posted, amount: amount, now: now)
        case .release(let reservationID):
            return try resolveReservation(reservationID, to: .voided, amount: nil, now: now)
        case .spend(let id, let amount, let transferID, let caller):
            return try spend(id, amount: amount, transferID: transferID, caller: caller, now: now)
        case .expireReservations:
            return try expireReservations(now: now)
        case .federation(let posting):
            return try applyFederation(posting, now: now)
        case .setResourceBudgets(let id, let budgets, let transferID):
            return try setResourceBudgets(id, budgets: budgets, transferID: transferID, now: now)
        case .reserveResources(let id, let amounts, let reservationID, let timeout):
            return try reserveResources(id, amounts: amounts, reservationID: reservationID, timeout: timeout, now: now)
        case .resolveResources(let reservationID, let used):
            return try resolveResources(reservationID: reservationID, used: used, now: now)
        case .setPoolTotal(let id, let total, let reason, let transferID):
            return try setPoolTotal(id, total: total, reason: reason, transferID: transferID, now: now)
        case .topUpPool(let id, let amount, let reason, let transferID):
            return try topUpPool(id, amount: amount, reason: reason, transferID: transferID, now: now)
        case .withdrawFromPool(let id, let amount, let reason, let transferID):
            return try withdrawFromPool(id, amount: amount, reason: reason, transferID: transferID, now: now)
        case .closeAgent(let id, let reason):
            return try closeAgent(id, reason: reason, now: now)
        case .closePool(let id, let reason):
            return try closePool(id, reason: reason, now: now)
        case .setPeriod(let owner, let setting, let startedAt):
            return try setPeriod(owner, setting, startedAt: startedAt)
        case .withPeriod(let command, let setting, let startedAt):
            return try executeWithPeriod(command, setting, startedAt: startedAt, now: now)
        case .resetPeriod(let owner, let periodStart):
            return try resetPeriod(owner, periodStart: periodStart, now: now)
        case .decided(let command, let decision):
            let result = try execute(command, now: now)
            var logged = decision
            logged.at = now
            if logged.actor == nil { logged.actor = actor }
            record(.decisionLogged(logged))
            return result
        case .acting(let command, let actor):
            let outer = self.actor
            self.actor = actor
            defer { self.actor = outer }
            return try execute(command, now: now)
        }
    }

    /// `request` with `api_key_id` set to the acting caller, when there is one.
    func stamped(_ request: TransferRequest) -> TransferRequest {
        guard let actor else { return request }
        var stamped = request
        stamped.metadata[TransferMetadataKey.apiKey] = actor
        return stamped
    }

    /// `operations` with each transfer they create stamped with the acting caller.
    func stamped(_ operations: [LedgerOperation]) -> [LedgerOperation] {
        guard actor != nil else { return operations }
        return operations.map { operation in
            guard case .create(let request) = operation else { return operation }
            return .create(stamped(request))
        }
    }

    private mutating func setPoolTotal(
        _ id: PoolID, total: Amount, reason: String, transferID: TransferID, now: Timestamp
    ) throws(SafeguardsError) -> BudgetResult {
        guard let snapshot = poolSnapshot(id) else { throw .notFound("pool \(id) does not exist") }
        guard !total.isNegative else { throw .invalidAmount("total \(total) is negative") }
        guard !reason.isEmpty, reason.count <= 500 else { throw .invalidRequest("reason must be 1-500 characters") }
        if let earlier = ledger.transfer(transferID) {
            guard earlier.metadata[TransferMetadataKey.budget] == total.description,
                earlier.metadata[TransferMetadataKey.pool] == id.rawValue
            else { throw .conflict("transfer id \(transferID) was already used for another pool change") }
            return .pool(snapshot, replayed: true)
        }
        try requireOpen(id)
        guard
            let request = TransferRequest.resizing(
                LedgerAccounts.pool(id), against: LedgerAccounts.funding, from: snapshot.total, to: total, id: transferID,
                reason: reason,
                metadata: [TransferMetadataKey.kind: TransferKind.poolResize.rawValue,
                    TransferMetadataKey.pool: id.rawValue, TransferMetadataKey.budget: total.description])
        else { return .pool(snapshot, replayed: false) }
        do {
            try ledger.apply(.create(stamped(request)), now: now)
        } catch {
            if case .insufficientFunds = error, total < snapshot.total {
                throw SafeguardsError(
                    .insufficientBudget, "pool \(id) has \(snapshot.available) available; its total cannot fall to \(total)")
            }
            throw SafeguardsError(error)
        }
        followTarget(.pool(id), total)
        return .pool(poolSnapshot(id) ?? snapshot, replayed: false)
    }

    /// Takes the changes made since the last call, ledger changes included, in the order they
    /// were made (the store inserts rows that refer to earlier ones), for the store to write.
    public mutating func takeUnsavedChanges() -> [BudgetChange] {
        let ledgerCount = ledger.unsavedChanges.count
        var changes: [BudgetChange] = []
        changes.reserveCapacity(ledgerCount + unsavedChanges.count)
        var next = 0
        for (ledgerChangesBefore, change) in unsavedChanges {
            while next < ledgerChangesBefore {
                changes.append(.ledger(ledger.change(ledger.unsavedChanges[next])))
                next += 1
            }
            changes.append(change)
        }
        while next < ledgerCount {
            changes.append(.ledger(ledger.change(ledger.unsavedChanges[next])))
            next += 1
        }
        ledger.clearUnsavedChanges()
        unsavedChanges.removeAll(keepingCapacity: true)
        return changes
    }

    /// Records a change to the book, after the ledger changes that led to it.
    mutating func record(_ change: BudgetChange) {
        unsavedChanges.append((ledger.unsavedChanges.count, change))
    }

    private mutating func createPool(
        _ id: PoolID, name: String, priority: PoolPriority, initialBudget: Amount, metadata: [String: String],
        key: IdempotencyKey?, now: Timestamp
    ) throws(SafeguardsError) -> BudgetResult {
        try Pool.validateName(name)
        if let key, let earlier = pools.values.first(where: { $0.creationKey == key }) {
            let funded = ledger.transfer(TransferID(unchecked: "fund:\(earlier.id)"))?.amount ?? .zero
            guard earlier.name == name, earlier.priority == priority, earlier.metadata == metadata,
                funded == initialBudget, let snapshot = poolSnapshot(earlier.id)
            else { throw .conflict("idempotency key \(key) was already used to create another pool") }
            return .pool(snapshot, replayed: true)
        }
        if let existingID = poolIDsByName[name] {
            throw .conflict("a pool named '\(name)' already exists (\(existingID))")
        }
        guard pools[id] == nil else { throw .conflict("pool id \(id) already exists") }
        guard !initialBudget.isNegative else { throw .invalidAmount("initial_budget \(initialBudget) is negative") }

        var operations: [LedgerOperation] = [
            .openAccount(LedgerAccounts.funding, []),
            .openAccount(LedgerAccounts.pool(id), .debitsMustNotExceedCredits),
        ]
        if initialBudget.isPositive {
            operations.append(
                .create(
                    TransferRequest(
                        id: TransferID(unchecked: "fund:\(id)"), debit: LedgerAccounts.funding,
                        credit: LedgerAccounts.pool(id), amount: initialBudget,
                        reason: "initial budget of pool \(name)",
                        metadata: [TransferMetadataKey.kind: TransferKind.poolFunding.rawValue,
                            TransferMetadataKey.pool: id.rawValue])))
        }
        try applyLinked(operations, now: now)
        let pool = Pool(id: id, name: name, priority: priority, metadata: metadata, createdAt: now, creationKey: key)
        pools[id] = pool
        poolIDsByName[name] = id
        record(.poolCreated(pool))
        return .pool(poolSnapshot(of: pool), replayed: false)
    }

    private mutating func registerAgent(
        _ id: AgentID, pool poolID: PoolID, priority: AgentPriority, initialBudget: Amount, key: IdempotencyKey?,
        now: Timestamp
    ) throws(SafeguardsError) -> BudgetResult {
        if let existing = agents[id] {
            guard let key, existing.creationKey == key, existing.poolID == poolID, existing.priority == priority,
                existing.initialBudget == initialBudget, let snapshot = agentSnapshot(id)
            else { throw .conflict("agent \(id) is already registered") }
            return .agent(snapshot, replayed: true)
        }
        guard let pool = pools[poolID] else { throw .notFound("pool \(poolID) does not exist") }
        try requireOpen(poolID)
        guard !initialBudget.isNegative else { throw .invalidAmount("initial_budget \(initialBudget) is negative") }

        var operations: [LedgerOperation] = [
            .openAccount(LedgerAccounts.agent(id), .debitsMustNotExceedCredits),
            .openAccount(LedgerAccounts.spent(id), []),
        ]
        if initialBudget.isPositive {
            operations.append(
                .create(
                    TransferRequest(
                        id: TransferID(unchecked: "alloc:\(id)"), debit: LedgerAccounts.pool(poolID),
                        credit: LedgerAccounts.agent(id), amount: initialBudget,
                        reason: "initial budget of agent \(id) from pool \(pool.name)",
                        metadata: [TransferMetadataKey.kind: TransferKind.agentAllocation.rawValue,
                            TransferMetadataKey.agent: id.rawValue, TransferMetadataKey.pool: poolID.rawValue])))
        }
        try applyLinked(operations, now: now)
        let agent = Agent(
            id: id, poolID: poolID, priority: priority, initialBudget: initialBudget, createdAt: now,
            creationKey: key)
        agents[id] = agent
        agentIDsByPool[poolID, default: []].insert(id)
        trackAccounts(of: agent)
        record(.agentRegistered(agent))
        return .agent(agentSnapshot(of: agent), replayed: false)
    }

    private mutating func setAgentBudget(
        _ id: AgentID, budget: Amount, reason: String, transferID: TransferID, now: Timestamp
    ) throws(SafeguardsError) -> BudgetResult {
        let snapshot: AgentSnapshot
        let request: TransferRequest
        switch try budgetTransfer(id, budget: budget, reason: reason, transferID: transferID) {
        case .replay(let earlier): return .agent(earlier, replayed: true)
        case .unchanged(let current): return .agent(current, replayed: false)
        case .transfer(let current, let resize): (snapshot, request) = (current, resize)
        }
        do {
            try ledger.apply(.create(stamped(request)), now: now)
        } catch {
            if case .insufficientFunds = error, budget < snapshot.total {
                let used = Amount.clampedSum([snapshot.spent, snapshot.reserved])
                throw SafeguardsError(
                    .insufficientBudget, "agent \(id) has spent or reserved \(used); its budget cannot be set below that")
            }
            throw SafeguardsError(error)
        }
        followTarget(.agent(id), budget)
        updateAlertLevel(id, transferID: transferID, now: now)
        return .agent(agents[id].map(agentSnapshot(of:)) ?? snapshot, replayed: false)
    }

    /// Opens the accounts the posting needs, applies its operations as one linked batch, and
    /// keeps its record for the store. A refused batch changes nothing and keeps no record.
    private mutating func applyFederation(_ posting: FederationPosting, now: Timestamp) throws(SafeguardsError)
        -> BudgetResult
    {
        var operations: [LedgerOperation] = posting.accounts.keys.sorted().compactMap { id in
            ledger.account(id) == nil ? .openAccount(id, posting.accounts[id] ?? []) : nil
        }
        operations += posting.operations
        if !operations.isEmpty { try applyLinked(operations, now: now) }
        if let posted = posting.record { record(.federationRecorded(posted)) }
        let transfers = posting.operations.compactMap { operation -> Transfer? in
            switch operation {
            case .create(let request): return ledger.transfer(request.id)
            case .post(let id, _), .void(let id), .expire(let id): return ledger.transfer(id)
            case .openAccount: return nil
            }
        }
        return .federation(transfers)
    }

    mutating func applyLinked(_ operations: [LedgerOperation], now: Timestamp) throws(SafeguardsError) {
        do { try ledger.apply(linked: stamped(operations), now: now) } catch { throw SafeguardsError(error) }
    }
}
