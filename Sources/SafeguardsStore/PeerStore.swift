import Foundation
import GRDB
import SafeguardsCore
import SafeguardsFederation

/// Peer records in SQLite. Peers are not budget, so they are written directly (SQLite serialises
/// these writes with the budget writer's), each change in its own durable transaction.
extension LedgerStore {
    /// Every stored peer, ordered by system id.
    public func peers() throws(StoreError) -> [PeerRecord] {
        try read("read peers") { db in
            try Row.fetchAll(db, sql: "SELECT * FROM peers ORDER BY system_id").map(Self.peer(from:))
        }
    }

    /// Inserts or replaces a peer record.
    public func savePeer(_ peer: PeerRecord) throws(StoreError) {
        do {
            try database.write { db in
                try db.execute(
                    sql: """
                        INSERT INTO peers(system_id, address, public_key, trust_configured, trust_effective,
                            good_messages, bad_messages, last_contact, source, created_at, last_offense_at)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        ON CONFLICT(system_id) DO UPDATE SET address = excluded.address,
                            public_key = excluded.public_key, trust_configured = excluded.trust_configured,
                            trust_effective = excluded.trust_effective, good_messages = excluded.good_messages,
                            bad_messages = excluded.bad_messages, last_contact = excluded.last_contact,
                            source = excluded.source, last_offense_at = excluded.last_offense_at
                        """,
                    arguments: [
                        peer.systemID.rawValue, peer.address, Data(peer.publicKey), peer.trust.configured.basisPoints,
                        peer.trust.floor.basisPoints, peer.trust.goodMessages, peer.trust.badMessages,
                        peer.lastContact?.millisecondsSince1970, peer.source.rawValue,
                        peer.createdAt.millisecondsSince1970, peer.trust.lastOffenseAt?.millisecondsSince1970,
                    ])
            }
        } catch {
            throw StoreError(operation: "save peer \(peer.systemID)", underlying: error)
        }
    }

    /// Removes a peer; returns whether it existed.
    @discardableResult
    public func deletePeer(_ id: SystemID) throws(StoreError) -> Bool {
        do {
            return try database.write { db in
                try db.execute(sql: "DELETE FROM peers WHERE system_id = ?", arguments: [id.rawValue])
                return db.changesCount > 0
            }
        } catch {
            throw StoreError(operation: "delete peer \(id)", underlying: error)
        }
    }

    static func peer(from row: Row) throws -> PeerRecord {
        let lastContact: Int64? = row["last_contact"]
        let lastOffense: Int64? = row["last_offense_at"]
        let configured = TrustLevel(clampingBasisPoints: row["trust_configured"])
        let publicKey: Data = row["public_key"]
        return PeerRecord(
            systemID: SystemID(unchecked: row["system_id"]), address: row["address"], publicKey: Array(publicKey),
            trust: TrustState(
                configured: configured, floor: TrustLevel(clampingBasisPoints: row["trust_effective"]),
                lastOffenseAt: lastOffense.map(Timestamp.init(millisecondsSince1970:)),
                goodMessages: row["good_messages"], badMessages: row["bad_messages"]),
            lastContact: lastContact.map(Timestamp.init(millisecondsSince1970:)),
            source: PeerRecord.Source(rawValue: row["source"]) ?? .api,
            createdAt: Timestamp(millisecondsSince1970: row["created_at"]))
    }
}
