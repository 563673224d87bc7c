/// An operator's changes to a pool's funding, and the closing of agents and pools.
///
/// The rules, kept by every command here:
/// - **Through the ledger.** A top-up is one transfer `funding → pool`, a withdrawal one transfer
///   `pool → funding`, each with the caller's id and reason (kind `pool_top_up`,
///   `pool_withdrawal`). A close is one linked batch of `closing` transfers: an agent's available
///   budget back to its pool, each of its resource budgets back to that resource's funding, and
///   for a pool, finally its whole unallocated budget back to `funding`. Nothing is created or lost.
/// - **Never more than is there.** A withdrawal takes only the pool's unallocated budget; what
///   its agents hold stays theirs (lower an agent's budget, or close it, first).
/// - **Nothing in flight.** A close is refused (`reservations_pending`) while the agent, or any
///   agent of the pool, has a pending reservation or pending transfer; settle or release it first.
/// - **Closed stays closed.** A closed agent refuses reservations, spends and budget changes
///   (`closed`); a closed pool refuses top-ups, withdrawals, resizes and new agents. Their
///   periods end, so no reset refills them. Closing again changes nothing and answers as a
///   replay. Pools and agents stay listed, with the time they closed, as history.
///
/// Transfer ids: a top-up's or withdrawal's comes from the caller (an idempotency key); a close's
/// are `close:agent:<id>`, `close:agent:<id>:<resource type>` and `close:pool:<id>`, as an agent
/// or a pool closes once.
extension BudgetBook {
    mutating func topUpPool(
        _ id: PoolID, amount: Amount, reason: String, transferID: TransferID, now: Timestamp
    ) throws(SafeguardsError) -> BudgetResult {
        try movePoolFunds(id, amount: amount, kind: .poolTopUp, reason: reason, transferID: transferID, now: now)
    }

    mutating func withdrawFromPool(
        _ id: PoolID, amount: Amount, reason: String, transferID: TransferID, now: Timestamp
    ) throws(SafeguardsError) -> BudgetResult {
        try movePoolFunds(id, amount: amount, kind: .poolWithdrawal, reason: reason, transferID: transferID, now: now)
    }

    mutating func closeAgent(_ id: AgentID, reason: String, now: Timestamp) throws(SafeguardsError) -> BudgetResult {
        guard let agent = agents[id] else { throw .notFound("agent \(id) does not exist") }
        try Self.checkReason(reason)
        if agent.closedAt != nil { return .closed([], replayed: true) }
        let operations = try closingOperations(for: [id], reason: reason)
        try applyLinked(operations, now: now)
        markClosed(id, now: now)
        return .closed(Self.created(operations, in: ledger), replayed: false)
    }

    mutating func closePool(_ id: PoolID, reason: String, now: Timestamp) throws(SafeguardsError) -> BudgetResult {
        guard let pool = pools[id] else { throw .notFound("pool \(id) does not exist") }
        try Self.checkReason(reason)
        if pool.closedAt != nil { return .closed([], replayed: true) }
        let open = (agentIDsByPool[id] ?? []).filter { agents[$0]?.closedAt == nil }.sorted()
        var operations = try closingOperations(for: open, reason: reason)
        let account = LedgerAccounts.pool(id)
        let balances = ledger.account(account)
        guard (balances?.debitsPending ?? .zero).isZero, (balances?.creditsPending ?? .zero).isZero else {
            throw SafeguardsError(.reservationsPending, "pool \(id) has pending transfers; resolve them first")
        }
        // What the pool holds once its agents returned theirs: its own budget plus theirs.
        let returned = operations.reduce(into: Int128(balances?.postedBalance.micros ?? 0)) { sum, operation in
            if case .create(let request) = operation, request.creditAccount == account {
                sum += Int128(request.amount.micros)
            }
        }
        if returned > 0 {
            operations.append(
                .create(
                    TransferRequest(
                        id: TransferID(unchecked: "close:pool:\(id.rawValue)"), debit: account,
                        credit: LedgerAccounts.funding, amount: Amount(clamping: returned), reason: reason,
                        metadata: [
                            TransferMetadataKey.kind: TransferKind.closing.rawValue,
                            TransferMetadataKey.pool: id.rawValue,
                        ])))
        }
        try applyLinked(operations, now: now)
        for agent in open { markClosed(agent, now: now) }
        pools[id]?.closedAt = now
        if periods[.pool(id)]?.setting != nil { _ = try setPeriod(.pool(id), nil, startedAt: now) }
        record(.poolClosed(id, at: now))
        return .closed(Self.created(operations, in: ledger), replayed: false)
    }

    /// Refuses a change to a closed pool.
    func requireOpen(_ id: PoolID) throws(SafeguardsError) {
        if let closedAt = pools[id]?.closedAt { throw SafeguardsError(.closed, "pool \(id) was closed at \(closedAt)") }
    }

    /// Refuses a change to a closed agent.
    func requireOpen(_ id: AgentID) throws(SafeguardsError) {
        if let closedAt = agents[id]?.closedAt {
            throw SafeguardsError(.closed, "agent \(id) was closed at \(closedAt)")
        }
    }

    // MARK: Parts

    private mutating func movePoolFunds(
        _ id: PoolID, amount: Amount, kind: TransferKind, reason: String, transferID: TransferID, now: Timestamp
    ) throws(SafeguardsError) -> BudgetResult {
        guard pools[id] != nil else { throw .notFound("pool \(id) does not exist") }
        try Self.checkReason(reason)
        guard amount.isPositive else { throw .invalidAmount("amount \(amount) must be greater than zero") }
        if let earlier = ledger.transfer(transferID) {
            guard earlier.metadata[TransferMetadataKey.kind] == kind.rawValue,
                earlier.metadata[TransferMetadataKey.pool] == id.rawValue, earlier.amount == amount
            else { throw .conflict("transfer id \(transferID) was already used for another change") }
            return .transfer(earlier, replayed: true)
        }
        try requireOpen(id)
        let pool = LedgerAccounts.pool(id)
        let topUp = kind == .poolTopUp
        let request = TransferRequest(
            id: transferID, debit: topUp ? LedgerAccounts.funding : pool, credit: topUp ? pool : LedgerAccounts.funding,
            amount: amount, reason: reason,
            metadata: [TransferMetadataKey.kind: kind.rawValue, TransferMetadataKey.pool: id.rawValue])
        do {
            try ledger.apply(.create(stamped(request)), now: now)
        } catch {
            if case .insufficientFunds = error.root, !topUp {
                let available = ledger.account(pool)?.available ?? .zero
                throw SafeguardsError(
                    .insufficientBudget,
                    "pool \(id) has \(available) unallocated; cannot withdraw \(amount)"
                        + " (what its agents hold stays theirs)")
            }
            throw SafeguardsError(error)
        }
        let total = poolSnapshot(id)?.total ?? .zero
        followTarget(.pool(id), total)
        guard let transfer = ledger.transfer(transferID) else { throw .invalidRequest("no transfer was created") }
        return .transfer(transfer, replayed: false)
    }

    /// The transfers that empty `ids`' budget accounts (to their pool) and resource accounts (to
    /// each resource's funding). Refused when any of them has a pending transfer.
    private func closingOperations(for ids: [AgentID], reason: String) throws(SafeguardsError) -> [LedgerOperation] {
        guard !ids.isEmpty else { return [] }
        let closing = Set(ids)
        var operations: [LedgerOperation] = []
        var resources: [(AgentID, String, Account)] = []
        // One pass over the accounts finds every resource budget of the agents being closed.
        forEachAccount { account in
            guard account.id.rawValue.hasPrefix("res:"), let owner = LedgerAccounts.agent(owning: account.id),
                closing.contains(owner)
            else { return }
            resources.append((owner, String(account.id.rawValue.dropFirst("res:\(owner.rawValue):".count)), account))
        }
        for id in ids {
            guard let agent = agents[id], let budget = ledger.account(LedgerAccounts.agent(id)) else {
                throw .notFound("agent \(id) does not exist")
            }
            try Self.checkNothingPending(budget, agent: id)
            if budget.postedBalance.isPositive {
                operations.append(
                    .create(
                        TransferRequest(
                            id: TransferID(unchecked: "close:agent:\(id.rawValue)"), debit: budget.id,
                            credit: LedgerAccounts.pool(agent.poolID), amount: budget.postedBalance, reason: reason,
                            metadata: [
                                TransferMetadataKey.kind: TransferKind.closing.rawValue,
                                TransferMetadataKey.agent: id.rawValue, TransferMetadataKey.pool: agent.poolID.rawValue,
                            ])))
            }
        }
        for (agent, type, account) in resources.sorted(by: { ($0.0, $0.1) < ($1.0, $1.1) }) {
            try Self.checkNothingPending(account, agent: agent)
            guard account.postedBalance.isPositive else { continue }
            operations.append(
                .create(
                    TransferRequest(
                        id: TransferID(unchecked: "close:agent:\(agent.rawValue):\(type)"), debit: account.id,
                        credit: LedgerAccounts.resourceFunding(type), amount: account.postedBalance, reason: reason,
                        metadata: [
                            TransferMetadataKey.kind: TransferKind.closing.rawValue,
                            TransferMetadataKey.agent: agent.rawValue, TransferMetadataKey.resource: type,
                        ])))
        }
        return operations
    }

    private mutating func markClosed(_ id: AgentID, now: Timestamp) {
        agents[id]?.closedAt = now
        agentAccounts.setClosed(id)
        if periods[.agent(id)]?.setting != nil { _ = try? setPeriod(.agent(id), nil, startedAt: now) }
        record(.agentClosed(id, at: now))
    }

    private static func checkNothingPending(_ account: Account, agent: AgentID) throws(SafeguardsError) {
        guard account.debitsPending.isZero, account.creditsPending.isZero else {
            throw SafeguardsError(
                .reservationsPending,
                "agent \(agent) has \(account.debitsPending) reserved and \(account.creditsPending) incoming in pending"
                    + " transfers; settle or release them first")
        }
    }

    private static func checkReason(_ reason: String) throws(SafeguardsError) {
        guard !reason.isEmpty, reason.count <= 500 else { throw .invalidRequest("reason must be 1-500 characters") }
    }

    /// The transfers `operations` created, as the ledger now holds them.
    private static func created(_ operations: [LedgerOperation], in ledger: Ledger) -> [Transfer] {
        operations.compactMap { operation in
            guard case .create(let request) = operation else { return nil }
            return ledger.transfer(request.id)
        }
    }
}
