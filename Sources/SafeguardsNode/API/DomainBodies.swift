import SafeguardsAPI
import SafeguardsCore
import SafeguardsStore

// Domain values as API bodies.

extension PoolBody {
    init(_ snapshot: PoolSnapshot) {
        self.init(
            id: snapshot.pool.id.rawValue, name: snapshot.pool.name, priority: snapshot.pool.priority.value,
            total: snapshot.total, available: snapshot.available, allocated: snapshot.allocated, spent: snapshot.spent,
            metadata: snapshot.pool.metadata, createdAt: snapshot.pool.createdAt.description,
            spentThisPeriod: snapshot.period.map { _ in snapshot.spentThisPeriod }, period: PeriodFields(snapshot.period),
            closedAt: snapshot.pool.closedAt?.description)
    }
}

extension AgentBody {
    init(_ snapshot: AgentSnapshot) {
        self.init(
            agentID: snapshot.agent.id.rawValue, poolID: snapshot.agent.poolID.rawValue,
            priority: snapshot.agent.priority.rawValue,
            budget: AgentBudgetBody(
                initial: snapshot.agent.initialBudget, total: snapshot.total, available: snapshot.available,
                reserved: snapshot.reserved, spent: snapshot.spent,
                spentThisPeriod: snapshot.period.map { _ in snapshot.spentThisPeriod }),
            alertLevel: snapshot.agent.alertLevel.name, createdAt: snapshot.agent.createdAt.description,
            period: PeriodFields(snapshot.period), closedAt: snapshot.agent.closedAt?.description)
    }
}

extension ReservationBody {
    init(_ transfer: Transfer) {
        self.init(
            reservationID: transfer.id.rawValue, agentID: transfer.metadata[TransferMetadataKey.agent] ?? "",
            amount: transfer.amount, state: transfer.state.rawValue, settledAmount: transfer.postedAmount,
            expiresAt: transfer.expiresAt?.description, createdAt: transfer.createdAt.description,
            resolvedAt: transfer.resolvedAt?.description)
    }
}

extension TransferBody {
    init(_ transfer: Transfer) {
        self.init(
            id: transfer.id.rawValue, debitAccount: transfer.debitAccount.rawValue,
            creditAccount: transfer.creditAccount.rawValue, amount: transfer.amount,
            postedAmount: transfer.postedAmount, twoPhase: transfer.isPending, state: transfer.state.rawValue,
            reason: transfer.reason, metadata: transfer.metadata, createdAt: transfer.createdAt.description,
            expiresAt: transfer.expiresAt?.description, resolvedAt: transfer.resolvedAt?.description)
    }
}

extension AlertBody {
    init(_ alert: UsageAlert) {
        self.init(
            id: alert.id, agentID: alert.agentID.rawValue, poolID: alert.poolID.rawValue, level: alert.level.name,
            usagePercent: Self.percentText(alert.usageBasisPoints), used: alert.used,
            budget: alert.budget, transferID: alert.transferID.rawValue, createdAt: alert.createdAt.description)
    }

    /// Basis points as a percentage with two decimals: `7650` is `76.50`.
    static func percentText(_ basisPoints: Int64) -> String {
        let fraction = String(basisPoints % 100)
        return "\(basisPoints / 100).\(fraction.count == 1 ? "0" + fraction : fraction)"
    }
}

extension CheckpointCheckBody {
    init(_ check: CheckpointCheck) {
        self.init(
            mode: check.mode.rawValue, consistent: check.isConsistent, accounts: check.accounts,
            mismatchedAccounts: check.mismatchedAccounts.map(\.rawValue), mismatchedCount: check.mismatchedCount,
            memoryMismatchedAccounts: check.memoryMismatchedAccounts?.map(\.rawValue), transfersRead: check.transfersRead)
    }
}

extension LedgerCheckBody {
    init(_ totals: LedgerTotals) {
        self.init(
            balanced: totals.isBalanced, debits: Self.amountText(totals.debitsPosted),
            credits: Self.amountText(totals.creditsPosted), debitsPending: Self.amountText(totals.debitsPending),
            creditsPending: Self.amountText(totals.creditsPending), accounts: totals.accountCount,
            overdrawnAccounts: totals.overdrawnAccounts.map(\.rawValue))
    }

    /// A 128-bit micro-unit sum as a decimal string with six places.
    static func amountText(_ micros: Int128) -> String {
        let magnitude = micros.magnitude
        let fraction = String(magnitude % 1_000_000)
        return (micros < 0 ? "-" : "") + "\(magnitude / 1_000_000)."
            + String(repeating: "0", count: 6 - fraction.count) + fraction
    }
}
