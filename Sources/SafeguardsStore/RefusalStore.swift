import GRDB
import SafeguardsCore
import SafeguardsFederation

/// The giver's compact refusals (``IncomingRefusal``), bounded per peer, and each peer's horizon.
extension LedgerStore {
    /// What the store keeps of refusals: the ones still remembered, and each peer's horizon.
    public struct StoredRefusals: Sendable, Equatable {
        /// Remembered refusals, by peer then transaction id.
        public var refusals: [IncomingRefusal] = []
        /// The horizon of each peer that had refusals forgotten.
        public var horizons: [SystemID: Timestamp] = [:]
    }

    /// Every refusal still kept, and the horizons.
    ///
    /// - Throws: ``StoreError`` when the tables cannot be read or a row does not decode.
    public func federationRefusals() throws(StoreError) -> StoredRefusals {
        try read("read federation refusals") { db in
            var stored = StoredRefusals()
            let rows = try Row.fetchCursor(db, sql: "SELECT * FROM federation_refusals ORDER BY peer, transaction_id")
            while let row = try rows.next() { stored.refusals.append(try Self.refusal(from: row)) }
            for row in try Row.fetchAll(db, sql: "SELECT peer, horizon FROM federation_refusal_horizons") {
                stored.horizons[SystemID(unchecked: row["peer"])] = Timestamp(millisecondsSince1970: row["horizon"])
            }
            return stored
        }
    }

    /// How many refusals are kept for `peer`.
    public func federationRefusalCount(peer: SystemID) throws(StoreError) -> Int {
        try read("count federation refusals") { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM federation_refusals WHERE peer = ?", arguments: [peer.rawValue])
                ?? 0
        }
    }

    /// Stores `refusal`, and in the same transaction deletes the `forgotten` ones and raises
    /// their peer's horizon. Returns once committed and synced.
    func recordRefusal(_ refusal: IncomingRefusal, forgetting forgotten: ForgottenRefusals?) throws(StoreError) {
        try write("store a federation refusal") { db in
            if let forgotten {
                for id in forgotten.transactionIDs {
                    try db.execute(
                        sql: "DELETE FROM federation_refusals WHERE peer = ? AND transaction_id = ?",
                        arguments: [forgotten.peer.rawValue, id.rawValue])
                    try db.execute(
                        sql: "DELETE FROM federation_transactions WHERE direction = 'incoming' AND peer = ? AND transaction_id = ?",
                        arguments: [forgotten.peer.rawValue, id.rawValue])
                }
                try db.execute(
                    sql: """
                        INSERT INTO federation_refusal_horizons(peer, horizon) VALUES (?, ?)
                        ON CONFLICT(peer) DO UPDATE SET horizon = max(horizon, excluded.horizon)
                        """,
                    arguments: [forgotten.peer.rawValue, forgotten.horizon.millisecondsSince1970])
            }
            try db.execute(
                sql: """
                    INSERT INTO federation_refusals
                        (peer, transaction_id, kind, agent_id, amount, reason, requested_at, decided_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    refusal.peer.rawValue, refusal.transactionID.rawValue, refusal.kind.rawValue,
                    refusal.agentID.rawValue, refusal.amount.micros, refusal.reason.rawValue,
                    refusal.requestedAt.millisecondsSince1970, refusal.decidedAt.millisecondsSince1970,
                ])
            // Its row in the paged transaction index, deleted with it when forgotten.
            try db.execute(
                sql: """
                    INSERT OR IGNORE INTO federation_transactions(direction, peer, transaction_id, record_seq, pending)
                    VALUES ('incoming', ?, ?, NULL, 0)
                    """,
                arguments: [refusal.peer.rawValue, refusal.transactionID.rawValue])
            try WebhookOutbox.enqueue(.requestRefused(refusal), db)
        }
    }

    static func refusal(from row: Row) throws -> IncomingRefusal {
        let kindText: String = row["kind"]
        guard let kind = SettlementKind(rawValue: kindText) else {
            throw DatabaseError(message: "federation refusal of unknown kind '\(kindText)'")
        }
        return IncomingRefusal(
            kind: kind, transactionID: TransferID(unchecked: row["transaction_id"]), peer: SystemID(unchecked: row["peer"]),
            agentID: AgentID(unchecked: row["agent_id"]), amount: Amount(micros: row["amount"]),
            reason: SettlementRejectReason(rawValue: row["reason"]),
            requestedAt: Timestamp(millisecondsSince1970: row["requested_at"]),
            decidedAt: Timestamp(millisecondsSince1970: row["decided_at"]))
    }
}

extension BudgetWriter {
    /// Stores a giver's refusal (it moves no budget, so it is not a book command) on the writer's
    /// thread, after every commit queued before it. See ``LedgerStore/recordRefusal(_:forgetting:)``.
    public func recordRefusal(_ refusal: IncomingRefusal, forgetting forgotten: ForgottenRefusals?) throws(StoreError) {
        try store.recordRefusal(refusal, forgetting: forgotten)
    }
}
