/// The read side of a node's budget state: pool and agent snapshots computed from ledger
/// accounts. ``BudgetBook`` (the writer's state, changes not yet durable included) and
/// ``BudgetView`` (what is committed, for readers) both answer these questions the same way.
public protocol BudgetReading {
    var pools: [PoolID: Pool] { get }
    var poolIDsByName: [String: PoolID] { get }
    var agents: [AgentID: Agent] { get }
    var agentIDsByPool: [PoolID: Set<AgentID>] { get }
    /// Budget periods of agents and pools, including removed ones whose spent base remains.
    var periods: [PeriodOwner: PeriodState] { get }
    /// One ledger account, or `nil`.
    func account(_ id: AccountID) -> Account?
    /// Every ledger account, in no particular order.
    func forEachAccount(_ body: (Account) throws -> Void) rethrows
}

extension BudgetReading {
    public func poolSnapshot(_ id: PoolID) -> PoolSnapshot? {
        pools[id].map(poolSnapshot(of:))
    }

    func poolSnapshot(of pool: Pool) -> PoolSnapshot {
        let id = pool.id
        let available = account(LedgerAccounts.pool(id))?.available ?? .zero
        // Summed in 128 bits: many agents' balances together can pass an amount's range.
        var allocated: Int128 = 0
        var spent: Int128 = 0
        for agentID in agentIDsByPool[id] ?? [] {
            allocated += Int128(account(LedgerAccounts.agent(agentID))?.postedBalance.micros ?? 0)
            spent += Int128(account(LedgerAccounts.spent(agentID))?.postedBalance.micros ?? 0)
        }
        let period = periods[.pool(id)]
        let spentThisPeriod = max(0, spent - Int128(period?.spentBase.micros ?? 0))
        return PoolSnapshot(
            pool: pool, available: available, allocated: Amount(clamping: allocated), spent: Amount(clamping: spent),
            total: Amount(clamping: Int128(available.micros) + allocated + spentThisPeriod), period: period,
            spentThisPeriod: Amount(clamping: spentThisPeriod)
        )
    }

    public func agentSnapshot(_ id: AgentID) -> AgentSnapshot? {
        agents[id].map(agentSnapshot(of:))
    }

    /// The snapshot of `agent`, which must be one of ``agents``.
    public func agentSnapshot(of agent: Agent) -> AgentSnapshot {
        let id = agent.id
        let budget = account(LedgerAccounts.agent(id))
        let available = budget?.available ?? .zero
        let reserved = budget?.debitsPending ?? .zero
        let spent = account(LedgerAccounts.spent(id))?.postedBalance ?? .zero
        let period = periods[.agent(id)]
        let spentThisPeriod = Amount(clamping: max(0, Int128(spent.micros) - Int128(period?.spentBase.micros ?? 0)))
        return AgentSnapshot(
            agent: agent, available: available, reserved: reserved, spent: spent,
            total: Amount.clampedSum([available, reserved, spentThisPeriod]), period: period,
            spentThisPeriod: spentThisPeriod
        )
    }

    /// Pools ordered by name.
    public func poolSnapshots() -> [PoolSnapshot] {
        pools.values.sorted { $0.name < $1.name }.map(poolSnapshot(of:))
    }

    /// Agents ordered by id, optionally of one pool.
    public func agentSnapshots(in pool: PoolID? = nil) -> [AgentSnapshot] {
        let ids = pool.map { Array(agentIDsByPool[$0] ?? []) } ?? Array(agents.keys)
        return ids.sorted().compactMap { agentSnapshot($0) }
    }

    /// One page of agents in id order, optionally of one pool: the first `limit` whose id comes
    /// after `after` (a raw id; `nil` from the start), and whether more follow. One pass over the
    /// ids and `limit` snapshots, with no sort of them all: a page costs the same wherever it is.
    public func agentSnapshots(
        in pool: PoolID? = nil, after: String?, limit: Int
    ) -> (agents: [AgentSnapshot], more: Bool) {
        let limit = max(0, min(limit, Int.max - 1))
        var selection = BoundedSelection<AgentID>(capacity: limit + 1, by: <)
        if let pool {
            for id in agentIDsByPool[pool] ?? [] where after.map({ id.rawValue > $0 }) ?? true { selection.offer(id) }
        } else {
            for id in agents.keys where after.map({ id.rawValue > $0 }) ?? true { selection.offer(id) }
        }
        let ids = selection.sorted()
        return (ids.prefix(limit).compactMap { agentSnapshot($0) }, ids.count > limit)
    }

    /// An agent's resources: type → (total, available, reserved), total = available + reserved + used.
    public func resourceBudgets(of agent: AgentID) -> [String: (total: Amount, available: Amount, reserved: Amount)] {
        let prefix = "res:\(agent.rawValue):"
        var budgets: [String: (total: Amount, available: Amount, reserved: Amount)] = [:]
        forEachAccount { budget in
            guard budget.id.rawValue.hasPrefix(prefix) else { return }
            let type = String(budget.id.rawValue.dropFirst(prefix.count))
            let used = account(LedgerAccounts.resourceUsed(agent, type))?.postedBalance ?? .zero
            budgets[type] = (
                Amount.clampedSum([budget.postedBalance, used]), budget.available, budget.debitsPending
            )
        }
        return budgets
    }

    /// Totals over every account, for the balance check.
    public func ledgerTotals() -> LedgerTotals {
        var totals = LedgerTotals()
        forEachAccount { totals.add($0) }
        totals.overdrawnAccounts.sort()
        return totals
    }
}
