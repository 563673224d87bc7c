import Crypto
import Foundation
import NIOCore
import NIOPosix
import SafeguardsCore
import SafeguardsFederation
import SafeguardsStore

/// The node's peers: records kept in memory for every frame and written through to SQLite on
/// every change, so effective trust and counters survive a restart.
///
/// Like the budget writer, the registry runs on a thread of its own: its synchronous SQLite
/// writes never block Swift's cooperative pool or an event loop.
public actor PeerRegistry {
    private let store: LedgerStore
    private var records: [SystemID: PeerRecord]
    private var lastWritten: [SystemID: Timestamp] = [:]
    private var unsaved: Set<SystemID> = []
    private let thread: MultiThreadedEventLoopGroup
    private let executor: any SerialExecutor

    public nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }

    /// Loads the stored peers.
    public init(store: LedgerStore) throws(StoreError) {
        self.store = store
        self.records = Dictionary(uniqueKeysWithValues: try store.peers().map { ($0.systemID, $0) })
        self.thread = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        self.executor = thread.next().executor
    }

    deinit {
        thread.shutdownGracefully { _ in }
    }

    public func all() -> [PeerRecord] { records.values.sorted { $0.systemID < $1.systemID } }
    public func peer(_ id: SystemID) -> PeerRecord? { records[id] }

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

    /// A new record, or `existing` updated. Updating keeps the peer's history; lowering the
    /// configured trust lowers the effective trust with it, raising it lets effective trust
    /// recover toward the new level.
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
        record.trust = TrustState(
            configured: trust, effective: min(record.trust.effective, trust), goodMessages: record.trust.goodMessages,
            badMessages: record.trust.badMessages)
        return record
    }

    /// Removes a peer; throws `not_found` when there is none.
    public func remove(_ id: SystemID) throws(SafeguardsError) {
        guard records[id] != nil else { throw .notFound("peer \(id) is not registered") }
        do { try store.deletePeer(id) } catch { throw SafeguardsError(.unavailable, error.description) }
        records[id] = nil
    }

    /// A verified message arrived from `id`: trust recovers a little, contact is recorded.
    ///
    /// A change of effective trust is written at once. A message that only moves the counter and
    /// the last contact is written at most every ``goodMessageWriteInterval`` per peer (and by
    /// ``flush()`` at shutdown), so a busy channel does not cost an fsync per message.
    public func recordGood(_ id: SystemID, now: Timestamp) {
        guard var record = records[id] else { return }
        let before = record.trust.effective
        record.trust.recordGood()
        record.lastContact = now
        let due = lastWritten[id].map { now.millisecondsSince1970 &- $0.millisecondsSince1970 >= Self.goodMessageWriteInterval }
            ?? true
        if record.trust.effective != before || due {
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

    /// `id` sent something refused: effective trust falls by the offense's penalty.
    public func recordOffense(_ id: SystemID, _ offense: TrustOffense, now: Timestamp) {
        guard var record = records[id] else { return }
        record.trust.recordInvalid(offense)
        record.lastContact = now
        try? save(record)
    }

    private func save(_ record: PeerRecord) throws(SafeguardsError) {
        do { try store.savePeer(record) } catch { throw SafeguardsError(.unavailable, error.description) }
        records[record.systemID] = record
        unsaved.remove(record.systemID)
    }
}
