import Crypto
import Foundation
import NIOCore
import NIOPosix
import SafeguardsCore
import SafeguardsFederation
import SafeguardsStore
import SafeguardsTransport

/// The node's peers: records kept in memory for every frame and written through to SQLite on
/// every change, so trust and counters survive a restart.
///
/// Trust follows ``TrustState``: offenses cost, good messages only count, and trust recovers by
/// time with ``recoveryHalfLife``. An offense that arrives on a connection costs at most once
/// there: the connection is charged its worst offense, and further offenses on it are counted
/// but cost nothing more. A certificate for a peer's name can be held by someone else (a CA
/// that issued it by mistake, or the public development CA), so what arrives on a channel with
/// the peer's TLS identity is not all provably the peer's doing; to cost more, a stranger needs
/// another connection, and connections are bounded by the listener.
///
/// Like the budget writer, the registry runs on a thread of its own: its synchronous SQLite
/// writes never block Swift's cooperative pool or an event loop.
public actor PeerRegistry {
    private let store: LedgerStore
    /// The gap between effective and configured trust halves every half-life after an offense.
    public nonisolated let recoveryHalfLife: Duration
    private var records: [SystemID: PeerRecord]
    /// What each recent connection of a peer already cost, in basis points.
    private var charged: [SystemID: [ConnectionID: Int]] = [:]
    private var lastWritten: [SystemID: Timestamp] = [:]
    private var unsaved: Set<SystemID> = []
    private let thread: MultiThreadedEventLoopGroup
    private let executor: any SerialExecutor

    public nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }

    /// Loads the stored peers.
    public init(store: LedgerStore, recoveryHalfLife: Duration = .seconds(3600)) throws(StoreError) {
        self.store = store
        self.recoveryHalfLife = recoveryHalfLife
        self.records = Dictionary(uniqueKeysWithValues: try store.peers().map { ($0.systemID, $0) })
        self.thread = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        self.executor = thread.next().executor
    }

    deinit {
        thread.shutdownGracefully { _ in }
    }

    public func all() -> [PeerRecord] { records.values.sorted { $0.systemID < $1.systemID } }
    public func peer(_ id: SystemID) -> PeerRecord? { records[id] }

    /// The trust the node acts on for `id` at `now` (zero for a peer it does not know).
    public func effectiveTrust(of id: SystemID, now: Timestamp) -> TrustLevel {
        records[id]?.trust.effective(at: now, halfLife: recoveryHalfLife) ?? .zero
    }

    /// The effective trust of every registered peer at `now`.
    public func effectiveTrust(now: Timestamp) -> [SystemID: TrustLevel] {
        records.mapValues { $0.trust.effective(at: now, halfLife: recoveryHalfLife) }
    }

    /// The peer's record, or `unknown_peer`.
    public func registered(_ id: SystemID) throws(SafeguardsError) -> PeerRecord {
        guard let record = records[id] else { throw SafeguardsError(.unknownPeer, "peer \(id) is not registered") }
        return record
    }

    /// Adds or updates a peer (see ``record(updating:id:address:trust:publicKeyBase64:source:now:)``).
    @discardableResult
    public func upsert(
        _ id: SystemID, address: HostPort, trust: TrustLevel, publicKeyBase64: String, source: PeerRecord.Source,
        now: Timestamp
    ) throws(SafeguardsError) -> PeerRecord {
        let record = try Self.record(
            updating: records[id], id: id, address: address, trust: trust, publicKeyBase64: publicKeyBase64,
            source: source, now: now)
        try save(record)
        return record
    }

    /// A new record, or `existing` updated. Updating keeps the peer's history: the gap its
    /// offenses left below the configured level stays, and goes on recovering
    /// (``TrustState/reconfigure(_:)``).
    static func record(
        updating existing: PeerRecord?, id: SystemID, address: HostPort, trust: TrustLevel, publicKeyBase64: String,
        source: PeerRecord.Source, now: Timestamp
    ) throws(SafeguardsError) -> PeerRecord {
        let key: [UInt8]
        do { key = Array(try SigningKeys.publicKey(base64: publicKeyBase64).rawRepresentation) } catch {
            throw .invalidRequest("public_key: \(error)")
        }
        guard var record = existing else {
            return PeerRecord(
                systemID: id, address: address.description, publicKey: key, trust: TrustState(configured: trust),
                source: source, createdAt: now)
        }
        record.address = address.description
        record.publicKey = key
        record.source = source
        record.trust.reconfigure(trust)
        return record
    }

    /// Removes a peer; throws `not_found` when there is none.
    public func remove(_ id: SystemID) throws(SafeguardsError) {
        guard records[id] != nil else { throw .notFound("peer \(id) is not registered") }
        do { try store.deletePeer(id) } catch { throw SafeguardsError(.unavailable, error.description) }
        records[id] = nil
        charged[id] = nil
    }

    /// A verified message arrived from `id`: it is counted and contact is recorded; it earns
    /// no trust.
    ///
    /// The counter and the last contact are written at most every ``goodMessageWriteInterval``
    /// per peer (and by ``flush()`` at shutdown), so a busy channel does not cost an fsync per message.
    public func recordGood(_ id: SystemID, now: Timestamp) {
        guard var record = records[id] else { return }
        record.trust.recordGood()
        record.lastContact = now
        let due = lastWritten[id].map { now.millisecondsSince1970 &- $0.millisecondsSince1970 >= Self.goodMessageWriteInterval }
            ?? true
        if due {
            try? save(record)
            lastWritten[id] = now
        } else {
            records[id] = record
            unsaved.insert(id)
        }
    }

    /// Writes every record that changed since it was last written.
    public func flush() {
        for id in unsaved { if let record = records[id] { try? save(record) } }
        unsaved.removeAll()
    }

    /// Milliseconds between writes of a peer's good-message counter.
    static let goodMessageWriteInterval: Int64 = 5_000

    /// Connections remembered per peer: past this many, the oldest are forgotten (an offense
    /// on a forgotten connection that is still open costs again).
    static let connectionsRemembered = 256

    /// `id` sent something refused, and is counted for it (written at once).
    ///
    /// With a `connection` (an offense any holder of a certificate in the peer's name could
    /// commit), effective trust falls by what the offense's penalty exceeds the connection's
    /// earlier offenses. Without one (a promise broken in a message signed with the peer's own
    /// key), it falls by the whole penalty.
    /// - Returns: the basis points charged.
    @discardableResult
    public func recordOffense(
        _ id: SystemID, _ offense: TrustOffense, connection: ConnectionID? = nil, now: Timestamp
    ) -> Int {
        guard var record = records[id] else { return 0 }
        let already = connection.flatMap { charged[id]?[$0] } ?? 0
        let charge = record.trust.recordOffense(offense, at: now, halfLife: recoveryHalfLife, alreadyCharged: already)
        if let connection, charge > 0 {
            var seen = charged[id, default: [:]]
            seen[connection] = already + charge
            if seen.count > Self.connectionsRemembered, let oldest = seen.keys.min() { seen[oldest] = nil }
            charged[id] = seen
        }
        record.lastContact = now
        try? save(record)
        return charge
    }

    private func save(_ record: PeerRecord) throws(SafeguardsError) {
        do { try store.savePeer(record) } catch { throw SafeguardsError(.unavailable, error.description) }
        records[record.systemID] = record
        unsaved.remove(record.systemID)
    }
}
