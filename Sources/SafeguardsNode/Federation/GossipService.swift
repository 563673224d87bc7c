import Crypto
import Foundation
import Logging
import SafeguardsAPI
import SafeguardsCore
import SafeguardsFederation
import SafeguardsStore
import ServiceLifecycle
import Synchronization

/// The shell around the pure ``GossipInstance``: every interval it refreshes this node's record
/// (pool balances, credit lines, settlement digests), starts a round with the peers the instance
/// picks, answers other nodes' rounds, and asks for reconciliation when a peer's settlement digest
/// disagrees with ours. Stops on graceful shutdown.
///
/// A peer that is down or cut off cannot hold the others hostage:
/// - a round does not wait for its exchanges: the heartbeat advances every interval, and each
///   exchange runs on its own;
/// - a round's exchange gives up at its deadline (``exchangeTimeout``, at most the interval), also
///   while the dialer backs off from the peer;
/// - there is never more than one exchange with a peer at a time: a round skips a peer whose
///   exchange is still running, and `POST /v1/sync` waits for it.
public actor GossipService: Service {
    private var instance: GossipInstance
    /// How long one exchange of a round (digest out, records back, records out) may take.
    let exchangeTimeout: Duration
    /// One exchange with a peer at a time.
    private var exchangeLocks: [SystemID: EventLock] = [:]
    /// Peers with an exchange started by a round and not finished yet.
    private var exchanging: Set<SystemID> = []
    private let federation: FederationNode
    private let settlement: SettlementService
    private let writer: BudgetWriter
    private let now: @Sendable () -> Timestamp
    private let logger: Logger
    /// Pinned signing keys of the registered peers (and ours), read by the instance's verifier.
    private let keys: KeyBox
    private let ownKey: Curve25519.Signing.PublicKey
    private var random = SystemRandomNumberGenerator()
    private var trust: [SystemID: TrustLevel] = [:]
    private var peers: [SystemID: PeerSync] = [:]
    /// Peers declared dead and not heard since: each gets one `peer.dead` event when it goes dead.
    private var deadPeers: Set<SystemID> = []

    /// What this node knows of its exchanges with one peer.
    struct PeerSync {
        var lastSync: Timestamp?
        var lastError: String?
        /// The version of our record the peer held at its last digest.
        var theirViewOfUs: RecordVersion?
        var disagreements = 0
        /// Whether the peer refused our view (a node of an older version): it gets full digests.
        var understandsOnlyFullDigests = false
    }

    /// - Parameter exchangeTimeout: the deadline of one exchange; at most `configuration.interval`
    ///   is used, so an exchange never outlives the round that started it by more than one interval.
    init(
        me: SystemID, configuration: GossipConfiguration, exchangeTimeout: Duration,
        signingKey: Curve25519.Signing.PrivateKey, federation: FederationNode, settlement: SettlementService,
        writer: BudgetWriter, now: @escaping @Sendable () -> Timestamp, logger: Logger
    ) {
        self.exchangeTimeout = min(exchangeTimeout, configuration.interval)
        let keyBox = KeyBox([me: signingKey.publicKey])
        let start = now()
        self.instance = GossipInstance(
            me: me, generation: UInt64(max(0, start.millisecondsSince1970)), configuration: configuration, now: start,
            sign: { record in SignedGossipRecord(signing: record, with: signingKey) },
            verify: { signed, record in keyBox.verify(signed, origin: record.origin) })
        self.keys = keyBox
        self.ownKey = signingKey.publicKey
        self.federation = federation
        self.settlement = settlement
        self.writer = writer
        self.now = now
        self.logger = logger
    }

    /// Lets the instance's `@Sendable` verifier read the current keys.
    private final class KeyBox: Sendable {
        private let keys: Mutex<[SystemID: Curve25519.Signing.PublicKey]>
        init(_ keys: [SystemID: Curve25519.Signing.PublicKey]) { self.keys = Mutex(keys) }
        func set(_ newKeys: [SystemID: Curve25519.Signing.PublicKey]) { keys.withLock { $0 = newKeys } }
        func knows(_ origin: SystemID) -> Bool { keys.withLock { $0[origin] != nil } }
        func knowsAll(_ origins: [SystemID]) -> Bool { keys.withLock { keys in origins.allSatisfy { keys[$0] != nil } } }
        func verify(_ signed: SignedGossipRecord, origin: SystemID) -> Bool {
            guard let key = keys.withLock({ $0[origin] }) else { return false }
            return signed.isSigned(by: key)
        }
    }

    // MARK: Running

    /// Starts a round every interval, on time whatever the exchanges of earlier rounds are doing.
    /// Graceful shutdown cancels the wait for the next round and every running exchange, which
    /// gives up at once (the dialer stops waiting for a cancelled request), so gossip never holds
    /// a node's shutdown for a peer that does not answer.
    public func run() async throws {
        let interval = instance.configuration.interval
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { exchanges in
                var next = ContinuousClock.now
                while !Task.isCancelled {
                    for peer in await self.round() {
                        exchanges.addTask { await self.roundExchange(with: peer) }
                    }
                    next = max(next + interval, .now)
                    try? await Task.sleep(until: next, clock: .continuous)
                }
            }
        }
    }

    /// One round: refreshes our record and advances the heartbeat; returns the peers the
    /// instance picked that have no exchange running, marked as exchanging.
    func round() async -> [SystemID] {
        await refresh()
        let time = now()
        let targets = instance.tick(now: time, trust: trust, busy: exchanging, random: &random)
        exchanging.formUnion(targets)
        reportDeadPeers(at: time)
        return targets
    }

    /// Writes a `peer.dead` event for each registered peer that went dead since the last round.
    /// The liveness is the instance's (no heartbeat for `dead_after`); it is not persisted, so a
    /// restarted node reports a peer that is still dead once more.
    private func reportDeadPeers(at time: Timestamp) {
        for peer in trust.keys {
            let dead = instance.liveness(of: peer, now: time) == .dead
            guard dead != deadPeers.contains(peer) else { continue }
            guard dead else {
                deadPeers.remove(peer)
                continue
            }
            deadPeers.insert(peer)
            logger.info("peer declared dead", metadata: ["peer.system_id": "\(peer)"])
            do { try writer.recordEvent(.peerDead(peer, at: time)) } catch {
                logger.warning("cannot record a peer.dead event", metadata: ["error": "\(error)"])
            }
        }
    }

    /// A round's exchange with `peer`, which gives up after ``exchangeTimeout``.
    private func roundExchange(with peer: SystemID) async {
        _ = await exchange(with: peer, within: exchangeTimeout)
        exchanging.remove(peer)
    }

    /// Runs an exchange with every registered peer now (`POST /v1/sync`), each after the one
    /// already running with that peer, if any. Asked for by an operator, these wait for answers
    /// as any request does (the dialer's request timeout), not just one gossip interval.
    public func synchronize() async -> SyncResultsBody {
        await refresh()
        var results: [String: SyncResultBody] = [:]
        let targets = trust.keys.sorted()
        let outcomes = await withTaskGroup(of: (SystemID, String?).self, returning: [(SystemID, String?)].self) { group in
            for peer in targets { group.addTask { (peer, await self.exchange(with: peer, within: nil)) } }
            var collected: [(SystemID, String?)] = []
            for await outcome in group { collected.append(outcome) }
            return collected
        }
        for (peer, error) in outcomes {
            results[peer.rawValue] = SyncResultBody(
                success: error == nil, lastSync: peers[peer]?.lastSync?.description, error: error)
        }
        return SyncResultsBody(results: results)
    }

    /// Reads the registry's trust levels and pinned keys; returns the registered peers.
    @discardableResult
    private func refreshKeys() async -> [PeerRecord] {
        let registered = await federation.registry.all()
        trust = await federation.registry.effectiveTrust(now: now())
        var pinned: [SystemID: Curve25519.Signing.PublicKey] = [instance.me: ownKey]
        for record in registered { if let key = record.signingKey { pinned[record.systemID] = key } }
        keys.set(pinned)
        return registered
    }

    /// Reads the registry (trust, keys) and this node's books into our record.
    private func refresh() async {
        let registered = await refreshKeys()
        // What peers are told must be durable: the committed view, not the writer's book.
        let balances = writer.view { book in
            Dictionary(uniqueKeysWithValues: book.poolSnapshots().map { ($0.pool.name, $0.available) })
        }
        let view = await settlement.gossipView(peers: registered.map(\.systemID))
        instance.updateLocal(
            GossipSummary(
                balances: balances, creditGiven: view.creditGiven, creditTaken: view.creditTaken,
                settlementDigests: view.digests, pendingTransfers: view.pending),
            now: now())
    }

    /// An exchange with `peer` (see `GossipInstance+Exchange.swift`): our view out; its view back,
    /// and its digest when the views differ; then the records it lacks and what we want of it, and
    /// those records back. All within `limit` once it starts (`nil`: each request waits as long
    /// as the dialer allows), and only after any other exchange with `peer` ended. Returns an
    /// error message, or `nil` on success.
    @discardableResult
    func exchange(with peer: SystemID, within limit: Duration?) async -> String? {
        let lock = exchangeLocks[peer] ?? EventLock()
        exchangeLocks[peer] = lock
        return await lock.run { await exchangeNow(with: peer, deadline: limit.map { ContinuousClock.now + $0 }) }
    }

    private func exchangeNow(with peer: SystemID, deadline: ContinuousClock.Instant?) async -> String? {
        do {
            let answer = try await open(with: peer, deadline: deadline)
            await absorb(answer.records, from: peer)
            if let seen = instance.versionOfMe(seenIn: answer.origins, view: answer.view) {
                peers[peer, default: PeerSync()].theirViewOfUs = seen
            }
            if let followUp = instance.followUp(after: answer, to: peer, trust: trust) {
                let reply = try await federation.exchange(followUp, with: peer, deadline: deadline)
                // A node of an older version answers a follow-up with an empty delta: it ignores `wanted`.
                if reply.type == .gossipDelta, let records = try? GossipDeltaBody(decodingBody: reply.body) {
                    await absorb(records.records, from: peer)
                }
            }
            peers[peer, default: PeerSync()].lastSync = now()
            peers[peer, default: PeerSync()].lastError = nil
            return nil
        } catch {
            let message = "\(error)"
            peers[peer, default: PeerSync()].lastError = message
            logger.debug("gossip with a peer failed", metadata: ["peer.system_id": "\(peer)", "error": "\(message)"])
            return message
        }
    }

    /// Steps 1 and 2 of an exchange: our view out, the answer back. A node of an older version
    /// refuses a view as a malformed digest; it is then sent full digests from here on.
    private func open(with peer: SystemID, deadline: ContinuousClock.Instant?) async throws -> GossipDeltaBody {
        let full = peers[peer]?.understandsOnlyFullDigests ?? false
        let answer: Envelope
        do throws(SafeguardsError) {
            answer = try await federation.exchange(
                full ? instance.fullOpening() : instance.opening(), with: peer, deadline: deadline)
        } catch {
            guard !full, error.code == .peerRefused, error.message.contains("refused: malformed") else { throw error }
            logger.info(
                "a peer refused our gossip view; it gets full digests", metadata: ["peer.system_id": "\(peer)"])
            peers[peer, default: PeerSync()].understandsOnlyFullDigests = true
            answer = try await federation.exchange(instance.fullOpening(), with: peer, deadline: deadline)
        }
        guard answer.type == .gossipDelta, let delta = try? GossipDeltaBody(decodingBody: answer.body) else {
            throw SafeguardsError(.peerRefused, "\(peer) answered a digest with \(answer.type)")
        }
        return delta
    }

    /// Answers another node's gossip message. A body that does not decode (not JSON, a list over
    /// its bound, a view that cannot be one) is refused as malformed and costs the peer trust.
    func handle(_ envelope: Envelope, from peer: SystemID) async -> any MessageBody {
        switch envelope.type {
        case .gossipDigest:
            let body: GossipDigestBody
            do throws(WireError) { body = try GossipDigestBody(decodingBody: envelope.body) } catch {
                return await refuse(error, from: peer)
            }
            if let seen = instance.versionOfMe(seenIn: body.origins, view: body.view) {
                peers[peer, default: PeerSync()].theirViewOfUs = seen
            }
            peers[peer, default: PeerSync()].lastSync = now()
            return instance.answer(body, from: peer, trust: trust)
        case .gossipDelta:
            let body: GossipDeltaBody
            do throws(WireError) { body = try GossipDeltaBody(decodingBody: envelope.body) } catch {
                return await refuse(error, from: peer)
            }
            await absorb(body.records, from: peer)
            return instance.answer(wanted: body, from: peer, trust: trust)
        default:
            return ErrorBody(code: .unknownType, message: "not a gossip message: \(envelope.type)")
        }
    }

    /// Logs a gossip body that did not decode, counts it against `peer`, and says why.
    private func refuse(_ error: WireError, from peer: SystemID) async -> ErrorBody {
        logger.warning(
            "refused a malformed gossip message", metadata: ["peer.system_id": "\(peer)", "error": "\(error)"])
        await federation.registry.recordOffense(peer, .malformed, now: now())
        return ErrorBody(error)
    }

    /// Merges records, counts forgeries against the peer that relayed them, and reconciles with
    /// every origin whose settlement digest for us differs from ours.
    private func absorb(_ records: [SignedGossipRecord], from peer: SystemID) async {
        guard !records.isEmpty else { return }
        // An origin whose key we lack may have been registered since our last round: read the
        // registry again then. A record of an origin still unknown cannot be checked: it is left
        // out, and is no offense of the peer that relayed it (the origin may be unknown to us).
        let origins = records.map { $0.decoded()?.origin }
        if !keys.knowsAll(origins.compactMap { $0 }) { await refreshKeys() }
        let checkable = zip(records, origins).filter { _, origin in origin.map(keys.knows) ?? true }.map(\.0)
        let outcome = instance.merge(checkable, now: now())
        if outcome.rejected > 0 {
            logger.warning(
                "refused gossip records that do not verify",
                metadata: ["peer.system_id": "\(peer)", "count": "\(outcome.rejected)"])
            await federation.registry.recordOffense(peer, .invalidSignature, now: now())
        }
        for origin in outcome.updated {
            guard let record = instance.record(of: origin),
                let theirs = record.summary.settlementDigests[instance.me.rawValue]
            else { continue }
            let ours = await settlement.settlementDigest(with: origin)
            if theirs != ours {
                peers[origin, default: PeerSync()].disagreements += 1
                await settlement.reconcile(with: origin)
            }
        }
    }

    // MARK: Status

    public func status() async -> SyncStatusBody {
        let registered = await federation.registry.all()
        let time = now()
        let local = instance.local
        var bodies: [SyncPeerBody] = []
        for peer in registered {
            let record = instance.record(of: peer.systemID)
            let sync = peers[peer.systemID] ?? PeerSync()
            var behind: UInt64 = local.version
            if let seen = sync.theirViewOfUs, seen.generation == local.generation {
                behind = local.version > seen.version ? local.version - seen.version : 0
            }
            let repaired = await settlement.repairedCount(with: peer.systemID)
            bodies.append(
                SyncPeerBody(
                    systemID: peer.systemID.rawValue, state: instance.liveness(of: peer.systemID, now: time).rawValue,
                    trustLevel: peer.trust.configured.description,
                    effectiveTrust: peer.trust.effective(at: time, halfLife: federation.registry.recoveryHalfLife)
                        .description,
                    lastSync: sync.lastSync?.description, lastSeenVersion: record.map { "\($0.recordVersion)" },
                    versionsBehind: Int(min(behind, UInt64(Int.max))),
                    pendingTransfers: await settlement.pendingCount(with: peer.systemID),
                    disagreementsFound: sync.disagreements, disagreementsRepaired: repaired,
                    balances: record?.summary.balances ?? [:], lastError: sync.lastError))
        }
        return SyncStatusBody(
            systemID: instance.me.rawValue, generation: String(local.generation), version: String(local.version),
            peers: bodies)
    }
}
