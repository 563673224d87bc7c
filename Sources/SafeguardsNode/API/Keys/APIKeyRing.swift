import Crypto
import Foundation
import SafeguardsAPI
import SafeguardsCore
import SafeguardsStore
import Synchronization

/// The scoped API keys, as the access middleware consults them: every key by the SHA-256 of its
/// text, in memory, loaded from SQLite at start-up and changed only after SQLite changed.
///
/// A key is `sgk_` and 64 hex digits (256 random bits). Such a key cannot be guessed, so a plain
/// SHA-256 is the right thing to store and to look up by: no salt or slow hash is needed, and a
/// dictionary look-up by hash keeps authentication cheap. The key is shown once, in the answer
/// that created it.
final class APIKeyRing: Sendable {
    /// The text every key starts with; a bearer value without it is never looked up.
    static let prefix = "sgk_"
    /// The actor recorded for changes made with the configured token.
    static let adminTokenActor = "admin-token"
    /// At most this many agents, and this many pools, in one key's scope.
    static let maxScopeEntries = 1000
    /// The longest name, in bytes.
    static let maxNameBytes = 200

    private let store: LedgerStore
    /// The most keys kept at once (`api.max_keys`).
    let maxKeys: Int
    private let index: Mutex<Index>

    private struct Index {
        var byHash: [[UInt8]: APIKeyRecord] = [:]
        var byID: [String: APIKeyRecord] = [:]

        mutating func insert(_ key: APIKeyRecord) {
            byHash[key.keyHash] = key
            byID[key.id] = key
        }
    }

    /// Loads every stored key. Throws ``NodeStartupError`` when SQLite cannot be read.
    init(store: LedgerStore, maxKeys: Int) throws(NodeStartupError) {
        self.store = store
        self.maxKeys = maxKeys
        var index = Index()
        do {
            for key in try store.apiKeys() { index.insert(key) }
        } catch {
            throw NodeStartupError("cannot read the api keys: \(error)")
        }
        self.index = Mutex(index)
    }

    /// The key whose text is `key`, when it exists and has not expired at `now`.
    ///
    /// - Throws: `unauthorized` naming the key's id when it expired.
    func authenticate(_ key: Substring, now: () -> Timestamp) throws(SafeguardsError) -> APIKeyRecord? {
        let hash = Self.hash(key)
        guard let record = index.withLock({ $0.byHash[hash] }) else { return nil }
        if let expiresAt = record.expiresAt, expiresAt <= now() {
            throw SafeguardsError(.unauthorized, "api key \(record.id) expired at \(expiresAt)")
        }
        return record
    }

    /// Every key, in id order.
    func all() -> [APIKeyRecord] {
        index.withLock { Array($0.byID.values) }.sorted { $0.id < $1.id }
    }

    func key(_ id: String) throws(SafeguardsError) -> APIKeyRecord {
        guard let record = index.withLock({ $0.byID[id] }) else {
            throw .notFound("api key '\(id.prefix(64))' does not exist")
        }
        return record
    }

    /// Stores a new key and returns it with its text, which exists nowhere else afterwards.
    ///
    /// - Throws: `conflict` when `api.max_keys` keys exist or the idempotency key made a key
    ///   already (its text cannot be shown again); `unavailable` when SQLite fails.
    func create(_ draft: APIKeyRecord.Draft, now: Timestamp) throws(SafeguardsError) -> (APIKeyRecord, key: String) {
        if let creationKey = draft.creationKey,
            let earlier = index.withLock({ $0.byID.values.first { $0.creationKey == creationKey } })
        {
            throw .conflict(
                "idempotency_key '\(creationKey)' already created api key \(earlier.id); its key is shown only once: "
                    + "revoke it and create another if the answer was lost")
        }
        let text = Self.prefix + Self.randomHex(bytes: 32)
        let record = APIKeyRecord(
            id: "key_" + Self.randomHex(bytes: 8), keyHash: Self.hash(Substring(text)), name: draft.name,
            role: draft.role,
            agentIDs: draft.agentIDs, poolIDs: draft.poolIDs, expiresAt: draft.expiresAt,
            creationKey: draft.creationKey, createdAt: now)
        let stored: Bool
        do { stored = try store.insertAPIKey(record, limit: maxKeys) } catch {
            throw SafeguardsError(.unavailable, "cannot store the api key: \(error)")
        }
        guard stored else {
            throw .conflict("\(maxKeys) api keys exist, the most kept (api.max_keys); revoke one first")
        }
        index.withLock { $0.insert(record) }
        return (record, text)
    }

    /// Removes a key from SQLite and from memory before it returns: the next request with it is 401.
    func revoke(_ id: String) throws(SafeguardsError) -> APIKeyRecord {
        let record = try key(id)
        do { try store.deleteAPIKey(id) } catch {
            throw SafeguardsError(.unavailable, "cannot revoke api key \(id): \(error)")
        }
        index.withLock { index in
            index.byID[id] = nil
            index.byHash[record.keyHash] = nil
        }
        return record
    }

    static func hash(_ key: Substring) -> [UInt8] {
        var key = key
        return key.withUTF8 { Array(SHA256.hash(data: UnsafeRawBufferPointer($0))) }
    }

    static func randomHex(bytes: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        var text = ""
        text.reserveCapacity(bytes * 2)
        for _ in 0..<bytes {
            let byte = UInt8.random(in: 0...255, using: &generator)
            text += byte < 16 ? "0" + String(byte, radix: 16) : String(byte, radix: 16)
        }
        return text
    }
}

extension APIKeyRecord {
    /// What a create request asks for, checked; the ring gives it an id, a key and a time.
    struct Draft: Sendable {
        var name: String
        var role: Role
        var agentIDs: [AgentID]
        var poolIDs: [PoolID]
        var expiresAt: Timestamp?
        var creationKey: String?
    }

    /// How the key's scope reads in a refusal: `agent: coder, pool research`.
    var scopeDescription: String {
        switch role {
        case .admin: return "admin"
        case .agent:
            let agents = agentIDs.prefix(5).map { "agent: \($0)" }
            let pools = poolIDs.prefix(5).map { "pool \($0)" }
            let more = agentIDs.count + poolIDs.count > agents.count + pools.count ? ", ..." : ""
            return (agents + pools).joined(separator: ", ") + more
        }
    }

    /// The key as the API shows it; `key` only in the answer that created it.
    func body(key: String? = nil) -> APIKeyBody {
        APIKeyBody(
            id: id, key: key, name: name, role: role.rawValue, agentIDs: agentIDs.map(\.rawValue),
            poolIDs: poolIDs.map(\.rawValue), expiresAt: expiresAt?.description, createdAt: createdAt.description)
    }
}
