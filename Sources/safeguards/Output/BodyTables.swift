import SafeguardsAPI
import SafeguardsCore

/// Tables for the API's bodies, shared by the subcommands and the demo.
enum BodyTables {
    // MARK: Pools

    /// One line per pool. `total = available + allocated + spent`.
    static func pools(_ pools: [PoolBody]) -> TextTable {
        var table = TextTable([
            .left("ID"), .left("NAME"), .right("PRIORITY"), .right("TOTAL"), .right("AVAILABLE"),
            .right("ALLOCATED"), .right("SPENT"),
        ])
        for pool in pools {
            table.append([
                pool.id, pool.name + (pool.closedAt == nil ? "" : " (closed)"), String(pool.priority), pool.total.description, pool.available.description,
                pool.allocated.description, pool.spent.description,
            ])
        }
        return table
    }

    /// One pool, field by field.
    static func pool(_ pool: PoolBody) -> TextTable {
        var pairs = [
            ("id", pool.id), ("name", pool.name), ("priority", String(pool.priority)),
            ("total", pool.total.description), ("available", pool.available.description),
            ("allocated", pool.allocated.description), ("spent", pool.spent.description),
        ]
        for (key, value) in pool.metadata.sorted(by: { $0.key < $1.key }) { pairs.append(("metadata." + key, value)) }
        pairs.append(("created", pool.createdAt))
        if let closedAt = pool.closedAt { pairs.append(("closed", closedAt)) }
        pairs += periodPairs(pool.period, spentThisPeriod: pool.spentThisPeriod)
        return .details(pairs)
    }

    // MARK: Agents

    /// One line per agent; `poolNames` maps pool ids to names where known.
    static func agents(_ agents: [AgentBody], poolNames: [String: String] = [:]) -> TextTable {
        var table = TextTable([
            .left("AGENT"), .left("POOL"), .left("PRIORITY"), .right("BUDGET"), .right("AVAILABLE"),
            .right("RESERVED"), .right("SPENT"), .right("USED"), .left("ALERT"),
        ])
        for agent in agents {
            table.append([
                agent.agentID + (agent.closedAt == nil ? "" : " (closed)"), poolNames[agent.poolID] ?? agent.poolID, agent.priority, agent.budget.total.description,
                agent.budget.available.description, agent.budget.reserved.description, agent.budget.spent.description,
                Usage.percent(of: agent.budget), agent.alertLevel,
            ])
        }
        return table
    }

    /// One agent, field by field.
    static func agent(_ agent: AgentBody, poolName: String? = nil) -> TextTable {
        var closed: [(String, String)] = []
        if let closedAt = agent.closedAt { closed.append(("closed", closedAt)) }
        return .details(
            [
                ("agent", agent.agentID), ("pool", poolName.map { "\($0) (\(agent.poolID))" } ?? agent.poolID),
                ("priority", agent.priority), ("initial budget", agent.budget.initial.description),
                ("budget", agent.budget.total.description), ("available", agent.budget.available.description),
                ("reserved", agent.budget.reserved.description), ("spent", agent.budget.spent.description),
                ("used", Usage.percent(of: agent.budget)), ("alert level", agent.alertLevel),
                ("created", agent.createdAt),
            ] + closed + periodPairs(agent.period, spentThisPeriod: agent.budget.spentThisPeriod))
    }

    /// A budget period's lines, none without a period.
    static func periodPairs(_ period: PeriodFields?, spentThisPeriod: Amount?) -> [(String, String)] {
        guard let period else { return [] }
        return [
            ("period", period.budgetPeriod), ("period timezone", period.periodTimezone),
            ("period started", period.periodStartedAt), ("period resets", period.periodResetsAt),
            ("spent this period", spentThisPeriod?.description ?? "-"),
        ]
    }

    // MARK: Money movements

    /// One reservation, field by field.
    static func reservation(_ reservation: ReservationBody) -> TextTable {
        var pairs = [
            ("reservation", reservation.reservationID), ("agent", reservation.agentID),
            ("amount", reservation.amount.description), ("state", reservation.state),
        ]
        if reservation.state == "posted" { pairs.append(("settled", reservation.settledAmount.description)) }
        pairs.append(("created", reservation.createdAt))
        if let expiresAt = reservation.expiresAt { pairs.append(("expires", expiresAt)) }
        if let resolvedAt = reservation.resolvedAt { pairs.append(("resolved", resolvedAt)) }
        return .details(pairs)
    }

    /// One ledger transfer, field by field.
    static func transfer(_ transfer: TransferBody) -> TextTable {
        var pairs = [
            ("transfer", transfer.id), ("debit account", transfer.debitAccount),
            ("credit account", transfer.creditAccount), ("amount", transfer.amount.description),
            ("kind", transfer.twoPhase ? "two-phase" : "single-phase"), ("state", transfer.state),
        ]
        if transfer.twoPhase { pairs.append(("posted amount", transfer.postedAmount.description)) }
        if !transfer.reason.isEmpty { pairs.append(("reason", transfer.reason)) }
        for (key, value) in transfer.metadata.sorted(by: { $0.key < $1.key }) {
            pairs.append(("metadata." + key, value))
        }
        pairs.append(("created", transfer.createdAt))
        if let expiresAt = transfer.expiresAt { pairs.append(("expires", expiresAt)) }
        if let resolvedAt = transfer.resolvedAt { pairs.append(("resolved", resolvedAt)) }
        return .details(pairs)
    }

    /// One line per ledger transfer, as the history lists them.
    static func transfers(_ transfers: [TransferBody]) -> TextTable {
        var table = TextTable([
            .left("TRANSFER"), .left("KIND"), .left("STATE"), .left("DEBIT"), .left("CREDIT"), .right("AMOUNT"),
            .right("POSTED"), .left("CREATED"), .left("METADATA"),
        ])
        for transfer in transfers {
            table.append([
                transfer.id, transfer.metadata["kind"] ?? "-", transfer.state, transfer.debitAccount,
                transfer.creditAccount, transfer.amount.description, transfer.postedAmount.description,
                transfer.createdAt, metadataSummary(transfer.metadata),
            ])
        }
        return table
    }

    /// The metadata beyond the kind and agent (which the row shows already), `key=value` in key
    /// order, cut at 60 characters: `api_key_id=key_1f... model=gpt-5`. `--json` shows it whole.
    static func metadataSummary(_ metadata: [String: String]) -> String {
        let shown = metadata.filter { $0.key != "kind" && $0.key != "agent_id" }.sorted { $0.key < $1.key }
        guard !shown.isEmpty else { return "-" }
        let text = shown.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        return text.count > 60 ? String(text.prefix(57)) + "..." : text
    }

    // MARK: Alerts and the ledger

    /// One line per usage alert.
    static func alerts(_ alerts: [AlertBody]) -> TextTable {
        var table = TextTable([
            .left("LEVEL"), .left("AGENT"), .right("USED"), .right("BUDGET"), .right("USAGE"), .left("TRANSFER"),
            .left("AT"),
        ])
        for alert in alerts {
            table.append([
                alert.level, alert.agentID, alert.used.description, alert.budget.description, alert.usagePercent + "%",
                alert.transferID, alert.createdAt,
            ])
        }
        return table
    }

    /// The ledger's sums.
    static func ledgerCheck(_ check: LedgerCheckBody) -> TextTable {
        var pairs = [
            ("balanced", check.balanced ? "yes" : "NO"), ("accounts", String(check.accounts)),
            ("debits", check.debits), ("credits", check.credits),
            ("pending debits", check.debitsPending),
            ("pending credits", check.creditsPending),
        ]
        if !check.overdrawnAccounts.isEmpty {
            pairs.append(("overdrawn", check.overdrawnAccounts.joined(separator: ", ")))
        }
        if let checkpoint = check.checkpoint {
            pairs.append(("checkpoint (\(checkpoint.mode))", checkpoint.consistent ? "matches" : "DIFFERS"))
            if checkpoint.mismatchedCount > 0 {
                pairs.append(
                    ("differs from journal",
                        "\(checkpoint.mismatchedCount): " + checkpoint.mismatchedAccounts.joined(separator: ", ")))
            }
            if let memory = checkpoint.memoryMismatchedAccounts, !memory.isEmpty {
                pairs.append(("differs from memory", memory.joined(separator: ", ")))
            }
            if let read = checkpoint.transfersRead { pairs.append(("transfers read", String(read))) }
        }
        return .details(pairs)
    }
}
