/// A change to budgets, as the node's writer applies it. Ids and time come from the caller, so
/// applying the same commands to the same book always gives the same result.
public enum BudgetCommand: Sendable, Hashable {
    case createPool(PoolID, name: String, priority: PoolPriority, initialBudget: Amount, metadata: [String: String],
        key: IdempotencyKey?)
    case registerAgent(AgentID, pool: PoolID, priority: AgentPriority, initialBudget: Amount, key: IdempotencyKey?)
    /// Sets the agent's budget (available + reserved + spent) to an absolute value by moving the
    /// difference between pool and agent.
    case setAgentBudget(AgentID, budget: Amount, reason: String, transferID: TransferID)
    /// Sets several agents' budgets in one linked batch, each change with its decision: all of
    /// them are made and logged, or none (see ``AgentBudgetChange``).
    case setAgentBudgets([AgentBudgetChange])
    /// Reserves `amount` from the agent: a pending transfer to its spent sink. `caller` names the
    /// API key that asked and carries the caller's metadata.
    case reserve(
        AgentID, amount: Amount, reservationID: TransferID, timeout: Duration?, caller: CallerNote = .none)
    /// Posts a reservation with the real cost; the rest is released.
    case settle(reservationID: TransferID, amount: Amount)
    /// Releases a reservation in full.
    case release(reservationID: TransferID)
    /// Reserve and settle in one step: a single-phase transfer to the spent sink.
    case spend(AgentID, amount: Amount, transferID: TransferID, caller: CallerNote = .none)
    /// Expires every reservation whose timeout has passed.
    case expireReservations
    /// Sets a pool's total (available + allocated + spent) by moving the difference between the
    /// funding account and the pool; a decrease can take only what the pool has available.
    case setPoolTotal(PoolID, total: Amount, reason: String, transferID: TransferID)
    /// Moves `amount` from the funding account into the pool's unallocated budget.
    case topUpPool(PoolID, amount: Amount, reason: String, transferID: TransferID)
    /// Moves `amount` of the pool's unallocated budget back to the funding account; never more
    /// than the pool has available (what its agents hold stays theirs).
    case withdrawFromPool(PoolID, amount: Amount, reason: String, transferID: TransferID)
    /// Closes an agent: what it has left (its available budget, and each resource budget) returns
    /// to where it came from (its pool, each resource's funding) in one linked batch, and the
    /// agent refuses every later reservation, spend and budget change. Refused while the agent
    /// has pending reservations. Closing a closed agent changes nothing (a replay).
    case closeAgent(AgentID, reason: String)
    /// Closes a pool: each of its open agents is closed as by ``closeAgent(_:reason:)``, then the
    /// pool's unallocated budget (now all it holds) returns to the funding account, all in one
    /// linked batch. Refused while any of its agents has pending reservations. Closing a closed
    /// pool changes nothing (a replay).
    case closePool(PoolID, reason: String)
    /// Sets an agent's budget of each resource type (`api_calls`, `compute_seconds`...) to an
    /// absolute value, each type in ledger accounts of its own.
    case setResourceBudgets(AgentID, budgets: [String: Amount], transferID: TransferID)
    /// Reserves several resources at once: all of them, or none.
    case reserveResources(AgentID, amounts: [String: Amount], reservationID: TransferID, timeout: Duration?)
    /// Settles a resource reservation with the amounts used (each at most what was reserved; a
    /// type not named is released), or releases it whole when `used` is nil.
    case resolveResources(reservationID: TransferID, used: [String: Amount]?)
    /// Sets (a setting), changes or removes (`nil`) the budget period of an agent or a pool.
    /// `startedAt` is when the new period started (now for a duration, the start of the
    /// calendar period containing now otherwise): the caller has the calendar, the book does not.
    case setPeriod(PeriodOwner, PeriodSetting?, startedAt: Timestamp)
    /// Runs a command that creates or changes a pool or an agent, then sets that pool's or
    /// agent's period, in the same batch: both are written or neither.
    indirect case withPeriod(BudgetCommand, PeriodSetting?, startedAt: Timestamp)
    /// Starts the owner's period that begins at `periodStart`: its budget returns to its total
    /// through a `period_reset` transfer. Ignored (replayed) when the current period started at
    /// or after `periodStart`, so a repeated reset never moves budget twice.
    case resetPeriod(PeriodOwner, periodStart: Timestamp)
    /// An automatic change by a policy: the command, and the decision that explains it, written
    /// together or not at all.
    indirect case decided(BudgetCommand, DecisionRecord)
    /// A command made at the request of `actor` (an API key's id, or `admin-token`): the
    /// transfers it creates carry `api_key_id` in their metadata, and a decision it logs names the
    /// actor. An agent's reservation and spend name their key in their ``CallerNote`` instead.
    indirect case acting(BudgetCommand, actor: String)
    /// A federation event's ledger movements and the record that explains them, written in one
    /// transaction: either both are durable or neither is.
    case federation(FederationPosting)
}

/// What one federation event changes: accounts it needs (opened when missing), ledger
/// operations applied as one linked batch, and an opaque record for the store to keep beside them.
public struct FederationPosting: Sendable, Hashable {
    public var accounts: [AccountID: AccountFlags]
    public var operations: [LedgerOperation]
    public var record: FederationRecord?

    public init(accounts: [AccountID: AccountFlags] = [:], operations: [LedgerOperation], record: FederationRecord?) {
        self.accounts = accounts
        self.operations = operations
        self.record = record
    }
}

/// A federation record as the store keeps it: which kind, for which id and peer, and its JSON.
/// The federation module gives it meaning; the ledger only carries it to disk.
public struct FederationRecord: Sendable, Hashable {
    public var kind: String
    public var recordID: String
    public var peer: String
    public var body: String
    /// For a settlement record: its transaction's row in the paged index and its change to the
    /// peer's checkpointed totals, written in the same transaction as the record.
    public var settlement: FederationSettlementIndex?
    /// The notification the record causes (a rejected request), written to the outbox with it.
    public var event: OutboxEvent?

    public init(
        kind: String, recordID: String, peer: String, body: String, settlement: FederationSettlementIndex? = nil,
        event: OutboxEvent? = nil
    ) {
        self.kind = kind
        self.recordID = recordID
        self.peer = peer
        self.body = body
        self.settlement = settlement
        self.event = event
    }
}

/// What a command returned.
public enum BudgetResult: Sendable, Hashable {
    case pool(PoolSnapshot, replayed: Bool)
    case agent(AgentSnapshot, replayed: Bool)
    case transfer(Transfer, replayed: Bool)
    case expired([Transfer])
    case federation([Transfer])
    case resources([Transfer], replayed: Bool)
    /// A pool or an agent closed: the transfers that returned its budget (none when it held
    /// nothing, or when it was already closed: `replayed`).
    case closed([Transfer], replayed: Bool)
    /// The agents a batch changed, as they now stand.
    case agents([AgentSnapshot], replayed: Bool)
}

/// A durable change to the book beyond the ledger, in order, for the store to write.
public enum BudgetChange: Sendable, Hashable {
    case ledger(LedgerChange)
    case poolCreated(Pool)
    case agentRegistered(Agent)
    case agentAlertLevel(AgentID, UsageLevel)
    case alertRaised(UsageAlert)
    case federationRecorded(FederationRecord)
    case decisionLogged(DecisionRecord)
    /// An agent's or a pool's period state, as it now stands.
    case periodChanged(PeriodOwner, PeriodState)
    /// The pool was closed at this time.
    case poolClosed(PoolID, at: Timestamp)
    /// The agent was closed at this time.
    case agentClosed(AgentID, at: Timestamp)
}

/// One automatic budget change, as the decision log keeps it: which policy, on what, from which
/// value to which, why, and what it saw.
public struct DecisionRecord: Sendable, Hashable, Codable {
    public var policy: String
    public var poolID: PoolID?
    public var agentID: AgentID?
    public var oldValue: Amount
    public var newValue: Amount
    public var reason: String
    public var inputs: [String: String]
    public var transferID: TransferID?
    public var at: Timestamp
    /// The API key whose request made the decision (`admin-token` for the configured token); nil
    /// for a decision the node made on its own (a policy's tick).
    public var actor: String?

    public init(
        policy: String, poolID: PoolID?, agentID: AgentID?, oldValue: Amount, newValue: Amount, reason: String,
        inputs: [String: String] = [:], transferID: TransferID? = nil, at: Timestamp, actor: String? = nil
    ) {
        self.policy = policy
        self.poolID = poolID
        self.agentID = agentID
        self.oldValue = oldValue
        self.newValue = newValue
        self.reason = reason
        self.inputs = inputs
        self.transferID = transferID
        self.at = at
        self.actor = actor
    }
}

/// The transfer metadata keys the book writes, so readers know what a transfer was for.
public enum TransferMetadataKey {
    public static let kind = "kind"
    public static let agent = "agent_id"
    public static let pool = "pool_id"
    public static let budget = "budget"
    public static let resource = "resource"
    public static let peer = "peer"
    public static let period = "budget_period"
    /// The API key whose request made the transfer (`admin-token` for the configured token).
    public static let apiKey = "api_key_id"

    /// Keys the node writes itself: a caller's metadata may not set them.
    public static let reserved: Set<String> = [kind, agent, pool, budget, resource, peer, apiKey, period]
}

/// The values of ``TransferMetadataKey/kind``.
public enum TransferKind: String, Sendable, CaseIterable {
    case poolFunding = "pool_funding"
    case agentAllocation = "agent_allocation"
    case budgetUpdate = "budget_update"
    case poolResize = "pool_resize"
    case resourceBudget = "resource_budget"
    case resourceReservation = "resource_reservation"
    case reservation
    case spend
    /// Federation: a credit line offered to a peer, a grant learned, remote budget in and out.
    case creditLine = "credit_line"
    case grant
    case remoteTransfer = "remote_transfer"
    case remoteReturn = "remote_return"
    /// A budget period's boundary: the agent's or pool's available budget returned to its total.
    case periodReset = "period_reset"
    /// An operator's change to a pool's budget: funding in, or unallocated budget back out.
    case poolTopUp = "pool_top_up"
    case poolWithdrawal = "pool_withdrawal"
    /// What a closed agent or pool had left, returned to its pool or to funding.
    case closing
}
