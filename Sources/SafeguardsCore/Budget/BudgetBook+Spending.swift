/// The commands an agent sends per costly call (reserve, settle, release, spend) and the usage
/// alerts they raise: the node's hot path.
///
/// They reach the agent's two ledger accounts by slot (``AgentAccounts``) and the reservation by
/// the slot its id gives: a reservation or a spend hashes the agent id and the transfer id once
/// each, a settle only the transfer id (its agent is found from the reservation's debit
/// account); none builds an account id, a reason or metadata, and the alert level comes from the
/// two accounts alone.
extension BudgetBook {
    mutating func reserve(
        _ id: AgentID, amount: Amount, reservationID: TransferID, timeout: Duration?, caller: CallerNote, now: Timestamp
    ) throws(SafeguardsError) -> BudgetResult {
        let accounts = try spendingAccounts(of: id)
        guard amount.isPositive else { throw .invalidAmount("amount \(amount) must be greater than zero") }
        if let timeout, timeout <= .zero { throw .invalidRequest("timeout must be positive") }
        let draft = TransferDraft(
            id: reservationID, debit: accounts.budget, credit: accounts.spent, amount: amount, isPending: true,
            timeoutMilliseconds: timeout.map(Transfer.milliseconds), note: .spending(.reservation, id, caller))
        return try applyAgentTransfer(draft, accounts: accounts, now: now)
    }

    mutating func spend(
        _ id: AgentID, amount: Amount, transferID: TransferID, caller: CallerNote, now: Timestamp
    ) throws(SafeguardsError) -> BudgetResult {
        let accounts = try spendingAccounts(of: id)
        guard amount.isPositive else { throw .invalidAmount("amount \(amount) must be greater than zero") }
        let draft = TransferDraft(
            id: transferID, debit: accounts.budget, credit: accounts.spent, amount: amount, isPending: false,
            timeoutMilliseconds: nil, note: .spending(.spend, id, caller))
        return try applyAgentTransfer(draft, accounts: accounts, now: now)
    }

    /// Settles (`.posted`, with the real cost) or releases (`.voided`) a reservation.
    mutating func resolveReservation(
        _ id: TransferID, to target: TransferState, amount: Amount?, now: Timestamp
    ) throws(SafeguardsError) -> BudgetResult {
        guard let slot = ledger.locate(id), let agentID = ledger.transfers[slot: slot].note.reservingAgent
        else { throw .notFound("reservation \(id) does not exist") }
        let agent = agentAccounts(of: agentID, reservation: slot)
        if target == .posted, let amount, !amount.isPositive {
            throw .invalidAmount("settle amount \(amount) must be greater than zero; release the reservation instead")
        }
        let outcome: LedgerOutcome
        do { outcome = try ledger.resolve(slot, to: target, amount: amount, now: now) } catch {
            // A late settle expires the reservation on the spot. That lowers usage like any
            // expiry, so the alert level must follow; otherwise the agent keeps its old level
            // and the next crossing of that level raises no alert.
            if case .pendingExpired = error, (try? ledger.resolve(slot, to: .expired, amount: nil, now: now)) != nil,
                let agent
            {
                updateAlertLevel(agent, transferID: id, now: now)
            }
            throw SafeguardsError(error)
        }
        if !outcome.replayed, let agent { updateAlertLevel(agent, transferID: id, now: now) }
        return .transfer(outcome.transfer ?? ledger.transfers[slot: slot], replayed: outcome.replayed)
    }

    mutating func expireReservations(now: Timestamp) throws(SafeguardsError) -> BudgetResult {
        var expired: [Transfer] = []
        for id in ledger.expiredPendingTransfers(at: now) {
            guard let outcome = try? ledger.apply(.expire(id), now: now), let transfer = outcome.transfer else {
                continue
            }
            expired.append(transfer)
            if let agentID = transfer.metadataValue(TransferMetadataKey.agent).flatMap({ try? AgentID($0) }) {
                updateAlertLevel(agentID, transferID: id, now: now)
            }
        }
        return .expired(expired)
    }

    /// Notes the slots of a registered agent's accounts (both exist once it is registered).
    mutating func trackAccounts(of agent: Agent) {
        guard let budget = ledger.accounts.slot(of: LedgerAccounts.agent(agent.id)),
            let spent = ledger.accounts.slot(of: LedgerAccounts.spent(agent.id))
        else { return }
        agentAccounts.insert(
            AgentAccounts(
                agent: agent.id, budget: budget, spent: spent, alertLevel: agent.alertLevel,
                spentBase: periods[.agent(agent.id)]?.spentBase ?? .zero, isClosed: agent.closedAt != nil))
    }

    /// Raises an alert when usage first reaches a level, and re-arms below the warning level.
    mutating func updateAlertLevel(_ id: AgentID, transferID: TransferID, now: Timestamp) {
        guard let accounts = agentAccounts[id] else { return }
        updateAlertLevel(accounts, transferID: transferID, now: now)
    }

    /// The agent of the reservation at `slot`: found from its debit account, which is the agent's
    /// budget account for every reservation the book made; by the agent's id otherwise.
    private func agentAccounts(of agent: AgentID, reservation slot: TransferSlot) -> AgentAccounts? {
        let legs = ledger.transferLegs[slot.index]
        if let owner = agentAccounts.owner(ofBudget: legs.debit), owner.spent == legs.credit, owner.agent == agent {
            return owner
        }
        return agentAccounts[agent]
    }

    private func spendingAccounts(of id: AgentID) throws(SafeguardsError) -> AgentAccounts {
        if let accounts = agentAccounts[id] {
            if accounts.isClosed { try requireOpen(id) }
            return accounts
        }
        // Registered, yet its accounts are missing: a journal that lost rows.
        if agents[id] != nil { throw SafeguardsError(LedgerError.accountNotFound(LedgerAccounts.agent(id))) }
        throw .notFound("agent \(id) does not exist")
    }

    private mutating func applyAgentTransfer(
        _ draft: TransferDraft, accounts: AgentAccounts, now: Timestamp
    ) throws(SafeguardsError) -> BudgetResult {
        let outcome: LedgerOutcome
        do { outcome = try ledger.create(draft, now: now) } catch { throw SafeguardsError(error) }
        guard let transfer = outcome.transfer else { throw .invalidRequest("no transfer was created") }
        if !outcome.replayed { updateAlertLevel(accounts, transferID: transfer.id, now: now) }
        return .transfer(transfer, replayed: outcome.replayed)
    }

    /// The level from the agent's two accounts, with the same sums as ``agentSnapshot(_:)``.
    private mutating func updateAlertLevel(_ accounts: AgentAccounts, transferID: TransferID, now: Timestamp) {
        let id = accounts.agent
        let usage = AgentUsage(
            budget: ledger.accounts[slot: accounts.budget].balances, spent: ledger.accounts[slot: accounts.spent].balances,
            spentBase: accounts.spentBase)
        let level = UsageLevel.of(used: usage.used, budget: usage.total)
        if level > accounts.alertLevel {
            guard let agent = agents[id] else { return }
            let alert = UsageAlert(
                id: "\(id):\(transferID)", agentID: id, poolID: agent.poolID, level: level, used: usage.used,
                budget: usage.total, transferID: transferID, createdAt: now)
            record(.alertRaised(alert))
        } else if level != .normal || accounts.alertLevel == .normal {
            return
        }
        agents[id]?.alertLevel = level
        agentAccounts.setAlertLevel(level, of: accounts)
        record(.agentAlertLevel(id, level))
    }
}

/// An agent's usage: spent this period plus reserved, out of its budget (available + reserved +
/// spent this period), each sum clamped like ``Amount/clampedSum(_:)``.
struct AgentUsage {
    let used: Amount
    let total: Amount

    init(budget: AccountBalances, spent sink: AccountBalances, spentBase: Amount) {
        let available = Int128(budget.available.micros)
        let reserved = Int128(budget.debitsPending.micros)
        let spent = max(0, Int128(sink.postedBalance.micros) - Int128(spentBase.micros))
        used = Amount(clamping: spent + reserved)
        total = Amount(clamping: available + reserved + spent)
    }
}

extension TransferNote {
    /// The agent whose reservation this is (kind `reservation`, with an `agent_id`); nil for
    /// every other transfer.
    fileprivate var reservingAgent: AgentID? {
        switch self {
        case .agent(.reservation, let agent, _): return agent
        case .agent(.spend, _, _): return nil
        case .text(_, let metadata):
            guard metadata[TransferMetadataKey.kind] == TransferKind.reservation.rawValue else { return nil }
            return metadata[TransferMetadataKey.agent].flatMap { try? AgentID($0) }
        }
    }
}
