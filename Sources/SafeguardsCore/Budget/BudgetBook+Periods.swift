/// Budget periods: at each boundary an agent's or a pool's available budget returns to its total.
///
/// The rules, kept by every command here:
/// - **Through the ledger.** A reset is one `period_reset` transfer (reason and kind
///   `period_reset`, metadata naming the period and its start) into the owner's budget account:
///   an agent's from its pool, a pool's from `funding`. Spent budget stays spent: the owner's
///   ``PeriodState/spentBase`` moves up to its lifetime spent instead, so `spent_this_period`
///   starts again from zero while lifetime `spent` keeps growing.
/// - **Once per period.** The reset's transfer id is `reset:<owner>:<period start, unix seconds>`
///   and a reset whose start is not after the current period's start changes nothing, so a
///   replay, a restart or a second scheduler tick never resets twice. A node down across several
///   boundaries is reset once, to the period containing now (the caller picks that start).
/// - **Never overdraw.** An agent's reset takes at most what its pool has available. Short of
///   funds, it moves what there is, says so in the transfer (`requested`, `shortfall`), and the
///   agent's total is lower for that period; ``PeriodState/target`` stays, so the next reset
///   tries to restore the whole budget again. A reset never takes budget back from its owner.
/// - **Reservations keep counting.** Pending reservations are not touched: after a reset
///   `available = total - reserved`, and a reservation settled later counts as spent in the
///   period it is settled in (its posted amount enters the spent sink then).
/// - **Alerts re-arm.** The agent's alert level returns to normal (and is raised again at once if
///   its reservations alone reach a level), so crossing 75% or 90% in the new period alerts again.
/// - **Atomic.** A reset or a period change is one command: one linked batch and its records,
///   written in one group commit before any reader sees it.
extension BudgetBook {
    /// The reason every reset transfer carries.
    public static let periodResetReason = "period_reset"

    mutating func setPeriod(
        _ owner: PeriodOwner, _ setting: PeriodSetting?, startedAt: Timestamp
    ) throws(SafeguardsError) -> BudgetResult {
        let current = periods[owner]
        switch owner {
        case .agent(let id):
            guard let snapshot = agentSnapshot(id) else { throw .notFound("agent \(id) does not exist") }
            // A closed agent's period ended with it: a new one would refill it at the next reset.
            if setting != nil { try requireOpen(id) }
            if current?.setting != setting {
                store(owner, period(current, setting, startedAt: startedAt, total: snapshot.total, spent: snapshot.spent))
            }
            return .agent(agentSnapshot(id) ?? snapshot, replayed: false)
        case .pool(let id):
            guard let snapshot = poolSnapshot(id) else { throw .notFound("pool \(id) does not exist") }
            if setting != nil { try requireOpen(id) }
            if current?.setting != setting {
                store(owner, period(current, setting, startedAt: startedAt, total: snapshot.total, spent: snapshot.spent))
            }
            return .pool(poolSnapshot(id) ?? snapshot, replayed: false)
        }
    }

    /// Runs `command`, then sets the period of the pool or agent it created or changed. Setting a
    /// period cannot fail once its owner exists, so the two are applied together or not at all.
    mutating func executeWithPeriod(
        _ command: BudgetCommand, _ setting: PeriodSetting?, startedAt: Timestamp, now: Timestamp
    ) throws(SafeguardsError) -> BudgetResult {
        let result = try execute(command, now: now)
        if case .agent(let snapshot, true) = result, periods[.agent(snapshot.agent.id)]?.setting != setting {
            throw .conflict("this request was already made with another budget_period")
        }
        if case .pool(let snapshot, true) = result, periods[.pool(snapshot.pool.id)]?.setting != setting {
            throw .conflict("this request was already made with another budget_period")
        }
        switch result {
        case .agent(let snapshot, let replayed):
            guard case .agent(let updated, _) = try setPeriod(.agent(snapshot.agent.id), setting, startedAt: startedAt)
            else { return result }
            return .agent(updated, replayed: replayed)
        case .pool(let snapshot, let replayed):
            guard case .pool(let updated, _) = try setPeriod(.pool(snapshot.pool.id), setting, startedAt: startedAt)
            else { return result }
            return .pool(updated, replayed: replayed)
        default:
            return result
        }
    }

    mutating func resetPeriod(_ owner: PeriodOwner, periodStart: Timestamp, now: Timestamp)
        throws(SafeguardsError) -> BudgetResult
    {
        guard var state = periods[owner], let setting = state.setting else {
            throw .invalidRequest("\(owner) has no budget period")
        }
        let transferID = PeriodState.resetTransferID(owner, start: periodStart)
        switch owner {
        case .agent(let id):
            guard let snapshot = agentSnapshot(id) else { throw .notFound("agent \(id) does not exist") }
            guard periodStart > state.startedAt else { return .agent(snapshot, replayed: true) }
            let pool = snapshot.agent.poolID
            let need = Self.shortOf(state.target, has: [snapshot.available, snapshot.reserved])
            let funds = account(LedgerAccounts.pool(pool))?.available ?? .zero
            try refill(
                LedgerAccounts.agent(id), from: LedgerAccounts.pool(pool), need: need, funds: funds, id: transferID,
                metadata: [TransferMetadataKey.agent: id.rawValue, TransferMetadataKey.pool: pool.rawValue],
                setting: setting, periodStart: periodStart, now: now)
            state.startedAt = periodStart
            state.spentBase = snapshot.spent
            store(owner, state)
            rearmAlerts(of: id, transferID: transferID, now: now)
            return .agent(agentSnapshot(id) ?? snapshot, replayed: false)
        case .pool(let id):
            guard let snapshot = poolSnapshot(id) else { throw .notFound("pool \(id) does not exist") }
            guard periodStart > state.startedAt else { return .pool(snapshot, replayed: true) }
            let need = Self.shortOf(state.target, has: [snapshot.available, snapshot.allocated])
            try refill(
                LedgerAccounts.pool(id), from: LedgerAccounts.funding, need: need, funds: .max, id: transferID,
                metadata: [TransferMetadataKey.pool: id.rawValue], setting: setting, periodStart: periodStart,
                now: now)
            state.startedAt = periodStart
            state.spentBase = snapshot.spent
            store(owner, state)
            return .pool(poolSnapshot(id) ?? snapshot, replayed: false)
        }
    }

    /// Keeps a period's target in step with a budget or total set by hand or by a policy.
    mutating func followTarget(_ owner: PeriodOwner, _ total: Amount) {
        guard var state = periods[owner], state.setting != nil, state.target != total else { return }
        state.target = total
        store(owner, state)
    }

    private func period(
        _ current: PeriodState?, _ setting: PeriodSetting?, startedAt: Timestamp, total: Amount, spent: Amount
    ) -> PeriodState {
        guard let setting else {
            // Removed: no more resets; the base stays so spent_this_period (and the total) do not jump.
            return PeriodState(
                setting: nil, startedAt: current?.startedAt ?? startedAt, spentBase: current?.spentBase ?? .zero,
                target: current?.target ?? total)
        }
        // Set or changed: the new period starts now (or at the calendar period containing now);
        // what was spent since the last reset keeps counting until the next boundary.
        return PeriodState(setting: setting, startedAt: startedAt, spentBase: current?.spentBase ?? .zero, target: total)
    }

    private mutating func store(_ owner: PeriodOwner, _ state: PeriodState) {
        periods[owner] = state
        if case .agent(let id) = owner { agentAccounts.setSpentBase(state.spentBase, of: id) }
        record(.periodChanged(owner, state))
    }

    /// Moves what `account` is short of, as far as `funds` go, in one transfer (none when nothing
    /// is missing or nothing can be moved).
    private mutating func refill(
        _ account: AccountID, from source: AccountID, need: Amount, funds: Amount, id: TransferID,
        metadata: [String: String], setting: PeriodSetting, periodStart: Timestamp, now: Timestamp
    ) throws(SafeguardsError) {
        let amount = min(need, max(funds, .zero))
        guard amount.isPositive else { return }
        var metadata = metadata
        metadata[TransferMetadataKey.kind] = TransferKind.periodReset.rawValue
        metadata[TransferMetadataKey.period] = setting.period.description
        metadata["period_timezone"] = setting.timeZone
        metadata["period_start"] = periodStart.description
        if amount < need {
            metadata["requested"] = need.description
            metadata["shortfall"] = Amount(micros: need.micros - amount.micros).description
        }
        let request = TransferRequest(
            id: id, debit: source, credit: account, amount: amount, reason: Self.periodResetReason, metadata: metadata)
        do { try ledger.apply(.create(request), now: now) } catch { throw SafeguardsError(error) }
    }

    /// The alert level back to normal, then raised again if reservations alone reach a level.
    private mutating func rearmAlerts(of id: AgentID, transferID: TransferID, now: Timestamp) {
        if let level = agents[id]?.alertLevel, level != .normal, let accounts = agentAccounts[id] {
            agents[id]?.alertLevel = .normal
            agentAccounts.setAlertLevel(.normal, of: accounts)
            record(.agentAlertLevel(id, .normal))
        }
        updateAlertLevel(id, transferID: transferID, now: now)
    }

    /// `target` minus the sum of `parts`, at least zero.
    private static func shortOf(_ target: Amount, has parts: [Amount]) -> Amount {
        Amount(clamping: max(0, Int128(target.micros) - Amount.exactSum(parts)))
    }
}
