/// What readers see of a node's budget state: pools, agents and ledger balances as of the last
/// durable commit.
///
/// The writer applies commands to its ``BudgetBook`` ahead of the disk (the next group is
/// applied while the previous one is being synced), so readers never look at the book. After
/// each commit the writer hands this view the ``BudgetViewDelta`` of the group it committed: the
/// accounts, pools and agents the group changed, as they stood when the group was taken. A
/// reader therefore never sees a change that is not yet durable, and never waits for the writer.
///
/// It holds no transfers: those are read from the store, which shows only what is committed.
public struct BudgetView: BudgetReading, Sendable {
    public private(set) var pools: [PoolID: Pool] = [:]
    public private(set) var poolIDsByName: [String: PoolID] = [:]
    public private(set) var agents: [AgentID: Agent] = [:]
    public private(set) var agentIDsByPool: [PoolID: Set<AgentID>] = [:]
    public private(set) var accounts: [AccountID: Account] = [:]
    public private(set) var periods: [PeriodOwner: PeriodState] = [:]

    public init() {}

    /// The view of everything `book` holds (for a book loaded from the store, all of it durable).
    public init(_ book: BudgetBook) {
        pools = book.pools
        poolIDsByName = book.poolIDsByName
        agents = book.agents
        agentIDsByPool = book.agentIDsByPool
        periods = book.periods
        book.forEachAccount { accounts[$0.id] = $0 }
    }

    public func account(_ id: AccountID) -> Account? { accounts[id] }

    public func forEachAccount(_ body: (Account) throws -> Void) rethrows {
        for account in accounts.values { try body(account) }
    }

    /// Takes in what a committed group changed.
    public mutating func apply(_ delta: BudgetViewDelta) {
        for account in delta.accounts { accounts[account.id] = account }
        for pool in delta.pools {
            pools[pool.id] = pool
            poolIDsByName[pool.name] = pool.id
        }
        for agent in delta.agents {
            if let previous = agents[agent.id], previous.poolID != agent.poolID {
                agentIDsByPool[previous.poolID]?.remove(agent.id)
            }
            agents[agent.id] = agent
            agentIDsByPool[agent.poolID, default: []].insert(agent.id)
        }
        for (owner, period) in delta.periods { periods[owner] = period }
    }
}

/// The accounts, pools and agents one group of changes touched, with their values right after
/// the group: what ``BudgetView/apply(_:)`` needs once the group is durable.
public struct BudgetViewDelta: Sendable {
    public var accounts: [Account] = []
    public var pools: [Pool] = []
    public var agents: [Agent] = []
    public var periods: [(PeriodOwner, PeriodState)] = []

    public init() {}

    public var isEmpty: Bool { accounts.isEmpty && pools.isEmpty && agents.isEmpty && periods.isEmpty }
}

extension BudgetBook {
    /// What `changes` (just taken from this book) touched, as the book holds it now.
    public func viewDelta(of changes: [BudgetChange]) -> BudgetViewDelta {
        var delta = BudgetViewDelta()
        var accountIDs: Set<AccountID> = []
        var agentIDs: Set<AgentID> = []
        for change in changes {
            switch change {
            case .ledger(.accountOpened(let id, _)):
                accountIDs.insert(id)
            case .ledger(.transferCreated(let transfer)), .ledger(.transferResolved(let transfer)):
                accountIDs.insert(transfer.debitAccount)
                accountIDs.insert(transfer.creditAccount)
            case .poolCreated(let pool):
                delta.pools.append(pools[pool.id] ?? pool)
            case .agentRegistered(let agent):
                agentIDs.insert(agent.id)
            case .agentAlertLevel(let id, _), .agentClosed(let id, _):
                agentIDs.insert(id)
            case .poolClosed(let id, _):
                if let pool = pools[id] { delta.pools.append(pool) }
            case .periodChanged(let owner, _):
                if let period = periods[owner] { delta.periods.append((owner, period)) }
            case .federationRecorded, .decisionLogged, .alertRaised:
                break
            }
        }
        delta.accounts = accountIDs.compactMap { account($0) }
        delta.agents = agentIDs.compactMap { agents[$0] }
        return delta
    }
}
