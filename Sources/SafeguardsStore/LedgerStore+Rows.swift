import Foundation
import GRDB
import SafeguardsCore

/// Mapping between domain values and rows. Amounts are stored as micro-units, times as
/// milliseconds since 1970, metadata as sorted JSON. Each statement is compiled once per
/// connection and reused (`cachedStatement`).
extension LedgerStore {
    static func apply(_ change: BudgetChange, _ db: Database) throws {
        switch change {
        case .ledger(.accountOpened(let id, let flags)):
            try execute(
                db, sql: "INSERT INTO accounts(id, flags) VALUES (?, ?)", arguments: [id.rawValue, flags.rawValue])
        case .ledger(.transferCreated(let transfer)):
            try execute(
                db, sql: insertTransfer,
                arguments: [
                    transfer.id.rawValue, transfer.debitAccount.rawValue, transfer.creditAccount.rawValue,
                    transfer.amount.micros, transfer.isPending, transfer.timeoutMilliseconds, transfer.reason,
                    encode(transfer.metadata), transfer.createdAt.millisecondsSince1970,
                    transfer.state.rawValue, transfer.postedAmount.micros,
                    transfer.resolvedAt?.millisecondsSince1970,
                ] + TransferHistoryColumns(transfer).arguments)
        case .ledger(.transferResolved(let transfer)):
            try execute(
                db, sql: "UPDATE transfers SET state = ?, posted_amount = ?, resolved_at = ? WHERE id = ? AND state = 'pending'",
                arguments: [
                    transfer.state.rawValue, transfer.postedAmount.micros, transfer.resolvedAt?.millisecondsSince1970,
                    transfer.id.rawValue,
                ])
            guard db.changesCount == 1 else {
                throw DatabaseError(message: "transfer \(transfer.id) was not pending in the journal")
            }
            if transfer.state == .expired {
                let agent = TransferHistoryColumns(transfer).agent
                try WebhookOutbox.enqueue(.reservationExpired(transfer, agent: agent), db)
            }
        case .poolCreated(let pool):
            try execute(
                db, sql: "INSERT INTO pools(id, name, priority, metadata, creation_key, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                arguments: [
                    pool.id.rawValue, pool.name, pool.priority.value, encode(pool.metadata),
                    pool.creationKey?.rawValue, pool.createdAt.millisecondsSince1970,
                ])
        case .agentRegistered(let agent):
            try execute(
                db, sql: """
                    INSERT INTO agents(id, pool_id, priority, initial_budget, creation_key, alert_level, created_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    agent.id.rawValue, agent.poolID.rawValue, agent.priority.rawValue, agent.initialBudget.micros,
                    agent.creationKey?.rawValue, agent.alertLevel.rawValue, agent.createdAt.millisecondsSince1970,
                ])
        case .federationRecorded(let record):
            try execute(
                db, sql: "INSERT INTO federation_records(kind, record_id, peer, body) VALUES (?, ?, ?, ?)",
                arguments: [record.kind, record.recordID, record.peer, record.body])
            if let settlement = record.settlement {
                try Self.index(db, settlement, peer: record.peer, recordSeq: db.lastInsertedRowID)
            }
            if let event = record.event { try WebhookOutbox.enqueue(event, db) }
        case .decisionLogged(let decision):
            try execute(
                db, sql: """
                    INSERT INTO decisions(
                        policy, pool_id, agent_id, old_value, new_value, reason, inputs, transfer_id, at, actor)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    decision.policy, decision.poolID?.rawValue, decision.agentID?.rawValue, decision.oldValue.micros,
                    decision.newValue.micros, decision.reason, encode(decision.inputs), decision.transferID?.rawValue,
                    decision.at.millisecondsSince1970, decision.actor,
                ])
            try WebhookOutbox.enqueue(.policyDecision(decision, sequence: db.lastInsertedRowID), db)
        case .periodChanged(let owner, let state):
            try savePeriod(owner, state, db)
        case .poolClosed(let id, let at):
            try execute(
                db, sql: "UPDATE pools SET closed_at = ? WHERE id = ?",
                arguments: [at.millisecondsSince1970, id.rawValue])
        case .agentClosed(let id, let at):
            try execute(
                db, sql: "UPDATE agents SET closed_at = ? WHERE id = ?",
                arguments: [at.millisecondsSince1970, id.rawValue])
        case .agentAlertLevel(let id, let level):
            try execute(
                db, sql: "UPDATE agents SET alert_level = ? WHERE id = ?", arguments: [level.rawValue, id.rawValue])
        case .alertRaised(let alert):
            try execute(
                db, sql: """
                    INSERT INTO alerts(id, agent_id, pool_id, level, used, budget, transfer_id, created_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    alert.id, alert.agentID.rawValue, alert.poolID.rawValue, alert.level.rawValue, alert.used.micros,
                    alert.budget.micros, alert.transferID.rawValue, alert.createdAt.millisecondsSince1970,
                ])
            try WebhookOutbox.enqueue(.alert(alert), db)
        }
    }

    /// Made once: the statement cache is keyed by this text.
    private static let insertTransfer = """
        INSERT INTO transfers(id, debit_account, credit_account, amount, is_pending, timeout_ms, reason,
            metadata, created_at, state, posted_amount, resolved_at, agent_id, pool_id, kind)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, \(TransferHistoryColumns.poolExpression), ?)
        """

    /// Runs `sql` through the connection's statement cache: compiled on first use, then reused.
    private static func execute(_ db: Database, sql: String, arguments: StatementArguments) throws {
        try db.cachedStatement(sql: sql).execute(arguments: arguments)
    }

    static func transfer(from row: Row) throws -> Transfer {
        guard let state = TransferState(rawValue: row["state"]) else {
            throw DatabaseError(message: "unknown transfer state in row \(row)")
        }
        let resolvedAt: Int64? = row["resolved_at"]
        return Transfer(
            id: TransferID(unchecked: row["id"]), debitAccount: AccountID(unchecked: row["debit_account"]),
            creditAccount: AccountID(unchecked: row["credit_account"]), amount: Amount(micros: row["amount"]),
            isPending: row["is_pending"], timeoutMilliseconds: row["timeout_ms"], reason: row["reason"],
            metadata: try decode(row["metadata"]), createdAt: Timestamp(millisecondsSince1970: row["created_at"]),
            state: state, postedAmount: Amount(micros: row["posted_amount"]),
            resolvedAt: resolvedAt.map(Timestamp.init(millisecondsSince1970:)))
    }

    static func pool(from row: Row) throws -> Pool {
        let key: String? = row["creation_key"]
        return Pool(
            id: PoolID(unchecked: row["id"]), name: row["name"], priority: try PoolPriority(row["priority"]),
            metadata: try decode(row["metadata"]), createdAt: Timestamp(millisecondsSince1970: row["created_at"]),
            creationKey: key.map(IdempotencyKey.init(unchecked:)), closedAt: closedAt(row))
    }

    /// `closed_at` of a pool's or an agent's row: NULL while it is open.
    private static func closedAt(_ row: Row) -> Timestamp? {
        let milliseconds: Int64? = row["closed_at"]
        return milliseconds.map(Timestamp.init(millisecondsSince1970:))
    }

    static func agent(from row: Row) throws -> Agent {
        let key: String? = row["creation_key"]
        return Agent(
            id: AgentID(unchecked: row["id"]), poolID: PoolID(unchecked: row["pool_id"]),
            priority: try AgentPriority(parsing: row["priority"]), initialBudget: Amount(micros: row["initial_budget"]),
            createdAt: Timestamp(millisecondsSince1970: row["created_at"]),
            creationKey: key.map(IdempotencyKey.init(unchecked:)),
            alertLevel: UsageLevel(rawValue: row["alert_level"]) ?? .normal, closedAt: closedAt(row))
    }

    static func alert(from row: Row) throws -> UsageAlert {
        UsageAlert(
            id: row["id"], agentID: AgentID(unchecked: row["agent_id"]), poolID: PoolID(unchecked: row["pool_id"]),
            level: UsageLevel(rawValue: row["level"]) ?? .warning, used: Amount(micros: row["used"]),
            budget: Amount(micros: row["budget"]), transferID: TransferID(unchecked: row["transfer_id"]),
            createdAt: Timestamp(millisecondsSince1970: row["created_at"]))
    }

    /// Metadata as a JSON object with its keys in byte order: the same text for the same map.
    static func encode(_ metadata: [String: String]) -> String {
        guard !metadata.isEmpty else { return "{}" }
        var text = "{"
        for (index, key) in metadata.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }).enumerated() {
            if index > 0 { text += "," }
            appendQuoted(key, to: &text)
            text += ":"
            appendQuoted(metadata[key] ?? "", to: &text)
        }
        return text + "}"
    }

    /// Appends `value` as a JSON string: quotes, backslashes and control characters escaped.
    private static func appendQuoted(_ value: String, to text: inout String) {
        text += "\""
        var plain = true
        for byte in value.utf8 where byte < 0x20 || byte == 0x22 || byte == 0x5C {
            plain = false
            break
        }
        if plain {
            text += value
        } else {
            for scalar in value.unicodeScalars {
                switch scalar {
                case "\"": text += "\\\""
                case "\\": text += "\\\\"
                case "\n": text += "\\n"
                case "\r": text += "\\r"
                case "\t": text += "\\t"
                case _ where scalar.value < 0x20:
                    let hex = String(scalar.value, radix: 16)
                    text += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                default: text.unicodeScalars.append(scalar)
                }
            }
        }
        text += "\""
    }

    static func decode(_ text: String) throws -> [String: String] {
        try JSONDecoder().decode([String: String].self, from: Data(text.utf8))
    }
}
