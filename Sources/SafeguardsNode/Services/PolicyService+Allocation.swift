import SafeguardsCore
import SafeguardsPolicies
import SafeguardsStore

/// Applying a computed allocation (the cost-benefit optimizer's `apply: true`) to agents' budgets.
///
/// Its rules are those of every automatic change: no change to an agent of a frozen pool (the
/// whole apply is refused and nothing is logged as applied), and each agent's change within
/// `max_change_per_step` of its current budget. An operator may ask for the full allocation
/// (`operatorOverride`); those changes are logged as `override.<policy>` decisions, so the log
/// tells a person's override from a policy's step. The changes go to the ledger as one linked
/// batch: every agent is changed, or none is. An apply is a person's request, so the cool-down
/// does not hold it back; it starts the agents' cool-down for the policies' ticks.
extension PolicyService {
    /// Sets each agent's budget toward `allocation` and returns the budget each agent now has.
    ///
    /// - Throws: `conflict` when an agent's pool is frozen, `not_found` for an unknown agent,
    ///   `insufficient_budget` when a pool cannot fund the batch; in each case no agent changed.
    func applyAllocation(
        _ allocation: [AgentID: Amount], policy: String, reason: String, inputs: [String: String], operatorOverride: Bool
    ) async throws(SafeguardsError) -> [AgentID: Amount] {
        var snapshots: [AgentSnapshot] = []
        for agent in allocation.keys.sorted() {
            guard let snapshot = writer.view({ $0.agentSnapshot(agent) }) else { throw .notFound("agent \(agent) does not exist") }
            snapshots.append(snapshot)
        }
        let frozenPools = Set(snapshots.map(\.agent.poolID)).intersection(frozen).sorted()
        guard frozenPools.isEmpty else {
            let names = frozenPools.map(\.rawValue).joined(separator: ", ")
            throw .conflict(
                "pool \(names) is frozen: no automatic change is made to its agents' budgets until it is unfrozen; "
                    + "no agent was changed")
        }
        var changes: [AgentBudgetChange] = []
        var budgets: [AgentID: Amount] = [:]
        for snapshot in snapshots {
            let agent = snapshot.agent.id
            budgets[agent] = snapshot.total
            let proposal = PolicyProposal(
                oldValue: snapshot.total, newValue: allocation[agent] ?? snapshot.total, reason: reason, inputs: inputs)
            var change: PolicyProposal?
            if operatorOverride {
                change = proposal.newValue == proposal.oldValue ? nil : proposal
                change?.reason += "; operator override: not limited to the step"
                change?.inputs["operator_override"] = "true"
            } else {
                change = rails.bound(proposal, lastChange: nil, now: now())
            }
            guard let change else { continue }
            let transfer = nextTransferID(policy)
            let decision = DecisionRecord(
                policy: operatorOverride ? "override.\(policy)" : policy, poolID: snapshot.agent.poolID, agentID: agent,
                oldValue: change.oldValue, newValue: change.newValue, reason: change.reason, inputs: change.inputs,
                transferID: transfer, at: now())
            changes.append(
                AgentBudgetChange(
                    agent: agent, budget: change.newValue, reason: "\(policy): \(change.reason)", transferID: transfer,
                    decision: decision))
            budgets[agent] = change.newValue
        }
        guard !changes.isEmpty else { return budgets }
        _ = try await writer.submitAsCaller(.setAgentBudgets(changes))
        for change in changes { lastChange["agent/\(change.agent)"] = now() }
        return budgets
    }
}
