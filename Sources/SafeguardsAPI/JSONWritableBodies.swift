import SafeguardsCore

// The bodies of the busiest routes (health, agents, reservations, spends) and of errors, written
// directly (see `JSONWritable`). Keys in the encoder's order: ascending by UTF-8 bytes.

extension HealthBody: JSONWritable {
    public func write(to writer: inout JSONBodyWriter) {
        writer.beginObject()
        writer.key("status")
        writer.string(status)
        writer.key("system_id")
        writer.string(systemID)
        writer.endObject()
    }
}

extension AgentBudgetBody: JSONWritable {
    public func write(to writer: inout JSONBodyWriter) {
        writer.beginObject()
        writer.key("available")
        writer.amount(available)
        writer.key("initial")
        writer.amount(initial)
        writer.key("reserved")
        writer.amount(reserved)
        writer.key("spent")
        writer.amount(spent)
        if let spentThisPeriod {
            writer.key("spent_this_period")
            writer.amount(spentThisPeriod)
        }
        writer.key("total")
        writer.amount(total)
        writer.endObject()
    }
}

extension AgentBody: JSONWritable {
    public func write(to writer: inout JSONBodyWriter) {
        writer.beginObject()
        writer.key("agent_id")
        writer.string(agentID)
        writer.key("alert_level")
        writer.string(alertLevel)
        writer.key("budget")
        budget.write(to: &writer)
        if let period {
            writer.key("budget_period")
            writer.string(period.budgetPeriod)
        }
        if let closedAt {
            writer.key("closed_at")
            writer.string(closedAt)
        }
        writer.key("created_at")
        writer.string(createdAt)
        if let period {
            writer.key("period_resets_at")
            writer.string(period.periodResetsAt)
            writer.key("period_started_at")
            writer.string(period.periodStartedAt)
            writer.key("period_timezone")
            writer.string(period.periodTimezone)
        }
        writer.key("pool_id")
        writer.string(poolID)
        writer.key("priority")
        writer.string(priority)
        writer.endObject()
    }
}

extension ReservationBody: JSONWritable {
    public func write(to writer: inout JSONBodyWriter) {
        writer.beginObject()
        writer.key("agent_id")
        writer.string(agentID)
        writer.key("amount")
        writer.amount(amount)
        writer.key("created_at")
        writer.string(createdAt)
        if let expiresAt {
            writer.key("expires_at")
            writer.string(expiresAt)
        }
        writer.key("reservation_id")
        writer.string(reservationID)
        if let resolvedAt {
            writer.key("resolved_at")
            writer.string(resolvedAt)
        }
        writer.key("settled_amount")
        writer.amount(settledAmount)
        writer.key("state")
        writer.string(state)
        writer.endObject()
    }
}

extension TransferBody: JSONWritable {
    public func write(to writer: inout JSONBodyWriter) {
        writer.beginObject()
        writer.key("amount")
        writer.amount(amount)
        writer.key("created_at")
        writer.string(createdAt)
        writer.key("credit_account")
        writer.string(creditAccount)
        writer.key("debit_account")
        writer.string(debitAccount)
        if let expiresAt {
            writer.key("expires_at")
            writer.string(expiresAt)
        }
        writer.key("id")
        writer.string(id)
        writer.key("metadata")
        writer.stringMap(metadata)
        writer.key("posted_amount")
        writer.amount(postedAmount)
        writer.key("reason")
        writer.string(reason)
        if let resolvedAt {
            writer.key("resolved_at")
            writer.string(resolvedAt)
        }
        writer.key("state")
        writer.string(state)
        writer.key("two_phase")
        writer.bool(twoPhase)
        writer.endObject()
    }
}

extension ProblemBody: JSONWritable {
    public func write(to writer: inout JSONBodyWriter) {
        writer.beginObject()
        writer.key("code")
        writer.string(code)
        writer.key("detail")
        writer.string(detail)
        if let retryAfterSeconds {
            writer.key("retry_after_seconds")
            writer.integer(Int64(retryAfterSeconds))
        }
        writer.key("status")
        writer.integer(Int64(status))
        writer.key("title")
        writer.string(title)
        writer.key("type")
        writer.string(type)
        writer.endObject()
    }
}
