/// One agent's new budget in a batch (``BudgetCommand/setAgentBudgets(_:)``), and the decision
/// that explains it, logged only when the whole batch is applied.
public struct AgentBudgetChange: Sendable, Hashable {
    public var agent: AgentID
    public var budget: Amount
    public var reason: String
    public var transferID: TransferID
    public var decision: DecisionRecord?

    public init(agent: AgentID, budget: Amount, reason: String, transferID: TransferID, decision: DecisionRecord? = nil) {
        self.agent = agent
        self.budget = budget
        self.reason = reason
        self.transferID = transferID
        self.decision = decision
    }
}

extension BudgetBook {
    /// At most this many agents in one batch.
    public static let maxAgentBudgetChanges = 1000

    /// Sets several agents' budgets as one linked batch: every change is made, or none is and the
    /// error names the agent that could not be changed. Decreases go first, so what an agent gives
    /// back to its pool can fund another agent's increase in the same batch. Each change is a
    /// transfer between the agent and its pool, as ``BudgetCommand/setAgentBudget(_:budget:reason:transferID:)``
    /// makes it; the decisions are logged after the batch, with it or not at all. A batch whose
    /// transfer ids are all in the ledger already, for the same budgets, is a replay.
    mutating func setAgentBudgets(_ changes: [AgentBudgetChange], now: Timestamp) throws(SafeguardsError)
        -> BudgetResult
    {
        guard !changes.isEmpty, changes.count <= Self.maxAgentBudgetChanges else {
            throw .invalidRequest("a batch sets 1 to \(Self.maxAgentBudgetChanges) agents' budgets")
        }
        guard Set(changes.map(\.agent)).count == changes.count, Set(changes.map(\.transferID)).count == changes.count else {
            throw .invalidRequest("a batch names each agent and each transfer id once")
        }
        var planned: [(change: AgentBudgetChange, request: TransferRequest, decrease: Bool)] = []
        var replayed = 0
        var unchanged = 0
        for change in changes {
            switch try budgetTransfer(change.agent, budget: change.budget, reason: change.reason, transferID: change.transferID) {
            case .replay: replayed += 1
            case .unchanged: unchanged += 1
            case .transfer(let snapshot, let request): planned.append((change, request, change.budget < snapshot.total))
            }
        }
        if replayed > 0 {
            // A batch is applied whole, so a replay finds all of its transfers.
            guard replayed + unchanged == changes.count else { throw .conflict("part of this batch's transfer ids were already used") }
            return .agents(changes.compactMap { agentSnapshot($0.agent) }, replayed: true)
        }
        let ordered = planned.filter(\.decrease) + planned.filter { !$0.decrease }
        do {
            try ledger.apply(linked: stamped(ordered.map { .create($0.request) }), now: now)
        } catch {
            guard case .linkedBatchFailed(let index, let underlying) = error else { throw SafeguardsError(error) }
            let change = ordered[index].change
            let cause = SafeguardsError(underlying)
            throw SafeguardsError(
                cause.code, "agent \(change.agent)'s budget cannot be set to \(change.budget): \(cause.message); no agent was changed")
        }
        for item in ordered {
            followTarget(.agent(item.change.agent), item.change.budget)
            updateAlertLevel(item.change.agent, transferID: item.change.transferID, now: now)
        }
        for change in changes {
            guard var decision = change.decision else { continue }
            decision.at = now
            if decision.actor == nil { decision.actor = actor }
            record(.decisionLogged(decision))
        }
        return .agents(changes.compactMap { agentSnapshot($0.agent) }, replayed: false)
    }

    /// What setting `agent`'s budget to `budget` under `transferID` takes: a replay of an earlier
    /// change with that id, nothing (it has that budget), or a transfer between agent and pool.
    ///
    /// - Throws: `not_found`, `invalid_amount`, `invalid_request` (reason), or `conflict` when the
    ///   id was used for another change.
    func budgetTransfer(_ agent: AgentID, budget: Amount, reason: String, transferID: TransferID)
        throws(SafeguardsError) -> BudgetTransfer
    {
        guard let snapshot = agentSnapshot(agent) else { throw .notFound("agent \(agent) does not exist") }
        guard !budget.isNegative else { throw .invalidAmount("budget \(budget) is negative") }
        guard !reason.isEmpty, reason.count <= 500 else { throw .invalidRequest("reason must be 1-500 characters") }
        if let earlier = ledger.transfer(transferID) {
            guard earlier.metadata[TransferMetadataKey.budget] == budget.description,
                earlier.metadata[TransferMetadataKey.agent] == agent.rawValue
            else { throw .conflict("transfer id \(transferID) was already used for another budget change") }
            return .replay(snapshot)
        }
        try requireOpen(agent)
        guard
            let request = TransferRequest.resizing(
                LedgerAccounts.agent(agent), against: LedgerAccounts.pool(snapshot.agent.poolID), from: snapshot.total,
                to: budget, id: transferID, reason: reason,
                metadata: [TransferMetadataKey.kind: TransferKind.budgetUpdate.rawValue,
                    TransferMetadataKey.agent: agent.rawValue, TransferMetadataKey.budget: budget.description])
        else { return .unchanged(snapshot) }
        return .transfer(snapshot, request)
    }
}

/// What setting an agent's budget takes (see ``BudgetBook/budgetTransfer(_:budget:reason:transferID:)``).
enum BudgetTransfer {
    case replay(AgentSnapshot)
    case unchanged(AgentSnapshot)
    case transfer(AgentSnapshot, TransferRequest)
}
