import GRDB
import SafeguardsCore

/// The columns that make the journal searchable by agent, pool and kind, denormalized onto each
/// `transfers` row (`agent_id`, `pool_id`, `kind`; migration `v10_transfer_history`) and indexed
/// with the creation time next (`v12_history_by_time`), so a filtered history page is a keyset
/// walk of one index.
///
/// - `agent_id`: the agent whose account the transfer debits or credits (see
///   ``LedgerAccounts/agent(owning:)``), never the `agent_id` in its metadata: a giver's movement
///   for a peer names the peer's agent there, which is no agent of this node.
/// - `pool_id`: the pool whose account the transfer touches, else the pool of its agent.
///   Agents never change pools, so the value written once stays right.
/// - `kind`: the ``TransferKind`` in the metadata, when it is one.
struct TransferHistoryColumns: Equatable {
    var agent: AgentID?
    /// The pool from a `pool:` account; the agent's pool is looked up by SQL when this is `nil`.
    var pool: PoolID?
    var kind: TransferKind?

    init(debit: AccountID, credit: AccountID, kind: String?) {
        agent = LedgerAccounts.agent(owning: debit) ?? LedgerAccounts.agent(owning: credit)
        pool = LedgerAccounts.pool(owning: debit) ?? LedgerAccounts.pool(owning: credit)
        self.kind = kind.flatMap(TransferKind.init(rawValue:))
    }

    init(_ transfer: Transfer) {
        self.init(
            debit: transfer.debitAccount, credit: transfer.creditAccount,
            kind: transfer.metadataValue(TransferMetadataKey.kind))
    }

    /// The SQL value of `pool_id` with its two arguments (``arguments``): the pool account's pool,
    /// else the agent's pool.
    static let poolExpression = "COALESCE(?, (SELECT pool_id FROM agents WHERE agents.id = ?))"

    /// The arguments of `agent_id, pool_id, kind` when the pool is written with ``poolExpression``.
    var arguments: StatementArguments {
        [agent?.rawValue, pool?.rawValue, agent?.rawValue, kind?.rawValue]
    }

    /// Fills the columns of every row written before they existed: each row in `seq` order,
    /// derived by the same rules as a new row. Runs once, inside the migration's transaction.
    static func backFill(_ db: Database) throws {
        let update = try db.makeStatement(
            sql: "UPDATE transfers SET agent_id = ?, pool_id = \(poolExpression), kind = ? WHERE seq = ?")
        let rows = try Row.fetchCursor(db, sql: "SELECT seq, debit_account, credit_account, metadata FROM transfers")
        while let row = try rows.next() {
            let metadata = try LedgerStore.decode(row["metadata"])
            let columns = TransferHistoryColumns(
                debit: AccountID(unchecked: row["debit_account"]), credit: AccountID(unchecked: row["credit_account"]),
                kind: metadata[TransferMetadataKey.kind])
            let seq: Int64 = row["seq"]
            try update.execute(arguments: columns.arguments + [seq])
        }
    }
}
