/// An agent's ledger accounts by slot, and the alert level it last reached (kept in step with
/// ``Agent/alertLevel``).
struct AgentAccounts: Sendable {
    let agent: AgentID
    /// `agent:<id>`: what the agent may still use.
    let budget: AccountSlot
    /// `spent:<id>`: what it has used.
    let spent: AccountSlot
    var alertLevel: UsageLevel
    /// Lifetime spent when the agent's current period started (``PeriodState/spentBase``), so
    /// usage counts what was spent this period only.
    var spentBase: Amount = .zero
    /// The agent is closed: it reserves and spends nothing more (kept here so the hot path's
    /// refusal costs no second lookup).
    var isClosed = false
}

/// What the hot commands need of each agent, found two ways: by the agent's id (a reservation or
/// a spend names the agent), and by the slot of its budget account (a settle knows the
/// reservation, whose debit account is that slot), the second without hashing anything.
struct AgentAccountIndex: Sendable {
    /// At each agent's budget-account slot, that agent; nil at the slots of other accounts.
    private var byBudgetAccount: [AgentAccounts?] = []
    private var budgetAccountByAgent: [AgentID: AccountSlot] = [:]

    subscript(agent: AgentID) -> AgentAccounts? {
        budgetAccountByAgent[agent].flatMap { byBudgetAccount[$0.index] }
    }

    /// The agent whose budget account is at `slot`, if it is one.
    func owner(ofBudget slot: AccountSlot) -> AgentAccounts? {
        slot.index < byBudgetAccount.count ? byBudgetAccount[slot.index] : nil
    }

    mutating func insert(_ accounts: AgentAccounts) {
        if byBudgetAccount.count <= accounts.budget.index {
            byBudgetAccount.append(contentsOf: repeatElement(nil, count: accounts.budget.index + 1 - byBudgetAccount.count))
        }
        byBudgetAccount[accounts.budget.index] = accounts
        budgetAccountByAgent[accounts.agent] = accounts.budget
    }

    mutating func setSpentBase(_ base: Amount, of agent: AgentID) {
        guard let slot = budgetAccountByAgent[agent] else { return }
        byBudgetAccount[slot.index]?.spentBase = base
    }

    mutating func setClosed(_ agent: AgentID) {
        guard let slot = budgetAccountByAgent[agent] else { return }
        byBudgetAccount[slot.index]?.isClosed = true
    }

    mutating func setAlertLevel(_ level: UsageLevel, of accounts: AgentAccounts) {
        byBudgetAccount[accounts.budget.index]?.alertLevel = level
    }
}
