import Foundation
import GRDB
import SafeguardsCore

/// A scoped API key as SQLite keeps it: its SHA-256, never the key itself.
public struct APIKeyRecord: Sendable, Hashable {
    /// What a key may do: everything (`admin`), or spend and read for its agents (`agent`).
    public enum Role: String, Sendable, Hashable, CaseIterable {
        case admin
        case agent
    }

    /// `key_` and 16 hex digits; shown in lists and recorded on the changes the key makes.
    public var id: String
    /// SHA-256 of the key's UTF-8 bytes (32 bytes).
    public var keyHash: [UInt8]
    public var name: String
    public var role: Role
    /// For an agent key: the agents it may act for, and the pools whose agents it may act for.
    public var agentIDs: [AgentID]
    public var poolIDs: [PoolID]
    public var expiresAt: Timestamp?
    /// The idempotency key of the request that created it, if it had one.
    public var creationKey: String?
    public var createdAt: Timestamp

    public init(
        id: String, keyHash: [UInt8], name: String, role: Role, agentIDs: [AgentID], poolIDs: [PoolID],
        expiresAt: Timestamp?, creationKey: String?, createdAt: Timestamp
    ) {
        self.id = id
        self.keyHash = keyHash
        self.name = name
        self.role = role
        self.agentIDs = agentIDs
        self.poolIDs = poolIDs
        self.expiresAt = expiresAt
        self.creationKey = creationKey
        self.createdAt = createdAt
    }
}

/// API keys in SQLite. Keys are not budget, so they are written directly (SQLite serialises these
/// writes with the budget writer's), each change in its own durable transaction.
extension LedgerStore {
    /// Every stored key, in id order. The node holds them all in memory (their number is bounded
    /// by `api.max_keys`), so this is read once at start-up.
    public func apiKeys() throws(StoreError) -> [APIKeyRecord] {
        try read("read api keys") { db in
            try Row.fetchAll(db, sql: "SELECT * FROM api_keys ORDER BY id").map(Self.apiKey(from:))
        }
    }

    /// Stores a new key, unless `limit` keys are stored already; returns whether it was stored.
    public func insertAPIKey(_ key: APIKeyRecord, limit: Int) throws(StoreError) -> Bool {
        do {
            return try database.write { db in
                let count = try Int.fetchOne(db, sql: "SELECT count(*) FROM api_keys") ?? 0
                guard count < limit else { return false }
                try db.execute(
                    sql: """
                        INSERT INTO api_keys(id, key_hash, name, role, agent_ids, pool_ids, expires_at, creation_key,
                            created_at)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [
                        key.id, Data(key.keyHash), key.name, key.role.rawValue,
                        Self.encodeList(key.agentIDs.map(\.rawValue)), Self.encodeList(key.poolIDs.map(\.rawValue)),
                        key.expiresAt?.millisecondsSince1970, key.creationKey, key.createdAt.millisecondsSince1970,
                    ])
                return true
            }
        } catch {
            throw StoreError(operation: "save api key \(key.id)", underlying: error)
        }
    }

    /// Removes a key; returns whether it existed.
    @discardableResult
    public func deleteAPIKey(_ id: String) throws(StoreError) -> Bool {
        do {
            return try database.write { db in
                try db.execute(sql: "DELETE FROM api_keys WHERE id = ?", arguments: [id])
                return db.changesCount > 0
            }
        } catch {
            throw StoreError(operation: "delete api key \(id)", underlying: error)
        }
    }

    static func apiKey(from row: Row) throws -> APIKeyRecord {
        let hash: Data = row["key_hash"]
        let expiresAt: Int64? = row["expires_at"]
        let roleText: String = row["role"]
        return APIKeyRecord(
            id: row["id"], keyHash: Array(hash), name: row["name"],
            role: APIKeyRecord.Role(rawValue: roleText) ?? .agent,
            agentIDs: try decodeList(row["agent_ids"]).map(AgentID.init(unchecked:)),
            poolIDs: try decodeList(row["pool_ids"]).map(PoolID.init(unchecked:)),
            expiresAt: expiresAt.map(Timestamp.init(millisecondsSince1970:)), creationKey: row["creation_key"],
            createdAt: Timestamp(millisecondsSince1970: row["created_at"]))
    }

    static func encodeList(_ values: [String]) -> String {
        (try? String(decoding: JSONEncoder().encode(values), as: UTF8.self)) ?? "[]"
    }

    static func decodeList(_ text: String) throws -> [String] {
        try JSONDecoder().decode([String].self, from: Data(text.utf8))
    }
}
