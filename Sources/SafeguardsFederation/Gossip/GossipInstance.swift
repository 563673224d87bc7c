import SafeguardsCore

/// How a node gossips.
public struct GossipConfiguration: Sendable, Hashable {
    /// How often a round starts.
    public var interval: Duration
    /// Peers contacted per round, chosen at random weighted by trust.
    public var fanout: Int
    /// Records whose origin this node trusts less than this are not relayed to others.
    public var minimumRelayTrust: TrustLevel
    /// The most record bytes one message carries; the rest goes next round.
    public var maximumDeltaBytes: Int
    /// A peer whose heartbeat has not advanced for this long is `suspect`...
    public var suspectAfter: Duration
    /// ...and for this long `dead`. A dead peer is still contacted, every `deadRetryRounds` rounds.
    public var deadAfter: Duration
    public var deadRetryRounds: Int
    /// Whether each round advances this node's heartbeat (and so its version). The simulator
    /// turns it off to measure how one change spreads.
    public var heartbeats: Bool

    public init(
        interval: Duration = .seconds(1), fanout: Int = 3, minimumRelayTrust: TrustLevel = TrustLevel(clampingBasisPoints: 3000),
        maximumDeltaBytes: Int = 64 * 1024, suspectAfter: Duration? = nil, deadAfter: Duration? = nil,
        deadRetryRounds: Int = 5, heartbeats: Bool = true
    ) {
        self.interval = interval
        self.fanout = max(1, fanout)
        self.minimumRelayTrust = minimumRelayTrust
        self.maximumDeltaBytes = max(1024, maximumDeltaBytes)
        self.suspectAfter = suspectAfter ?? interval * 5
        self.deadAfter = deadAfter ?? interval * 15
        self.deadRetryRounds = max(1, deadRetryRounds)
        self.heartbeats = heartbeats
    }
}

/// What a node knows of a peer's liveness.
public enum PeerLiveness: String, Sendable, Hashable, Codable {
    case alive, suspect, dead
}

/// One node's Scuttlebutt-style anti-entropy, as a pure value.
///
/// It owns one record (its own), signed on every change, and holds the latest record of every
/// other origin it has heard of. A round: ``tick(now:trust:random:)`` picks peers; with each the
/// shell runs an exchange (see `GossipInstance+Exchange.swift`): our view out, and only when the
/// views differ, the peer's digest back, then the records it lacks and what we lack of it.
/// ``merge(_:now:)`` keeps a record only if it is newer than the one held and its origin's
/// signature verifies. No I/O, clock or randomness of its own.
public struct GossipInstance: Sendable {
    public let me: SystemID
    public let configuration: GossipConfiguration
    /// The latest verified record of every origin, this node's own included, as it travels and
    /// as read.
    private var held: [SystemID: (signed: SignedGossipRecord, record: GossipRecord)] = [:]
    /// When each origin's record last advanced here (for failure detection).
    private var lastAdvance: [SystemID: Timestamp] = [:]
    /// The hash of every `(origin, version)` in `held`, kept up to date as records change.
    private var viewHash = GossipView.Accumulator()
    private var rounds = 0
    private let startedAt: Timestamp
    private let sign: @Sendable (GossipRecord) -> SignedGossipRecord
    private let verify: @Sendable (SignedGossipRecord, GossipRecord) -> Bool

    /// - Parameters:
    ///   - generation: new on every start (the shell uses the start time), so this node's records
    ///     after a restart supersede those from before it.
    ///   - sign: signs this node's record with its key.
    ///   - verify: checks a record's signature against its origin's pinned key.
    public init(
        me: SystemID, generation: UInt64, configuration: GossipConfiguration, now: Timestamp,
        summary: GossipSummary = GossipSummary(),
        sign: @escaping @Sendable (GossipRecord) -> SignedGossipRecord,
        verify: @escaping @Sendable (SignedGossipRecord, GossipRecord) -> Bool
    ) {
        self.me = me
        self.configuration = configuration
        self.startedAt = now
        self.sign = sign
        self.verify = verify
        let record = GossipRecord(origin: me, generation: generation, version: 1, heartbeat: 0, summary: summary)
        hold(sign(record), record)
        lastAdvance[me] = now
    }

    // MARK: Reading

    /// The latest verified record of every origin, as it travels.
    public var records: [SystemID: SignedGossipRecord] { held.mapValues(\.signed) }

    /// This node's current record.
    public var local: GossipRecord { held[me]!.record }

    /// The latest record held for `origin`.
    public func record(of origin: SystemID) -> GossipRecord? { held[origin]?.record }

    /// The latest record held for `origin`, as it travels.
    public func signedRecord(of origin: SystemID) -> SignedGossipRecord? { held[origin]?.signed }

    /// `{origin: (generation, version)}` of every record held.
    public func digest() -> [SystemID: RecordVersion] {
        held.mapValues(\.record.recordVersion)
    }

    /// The fingerprint of ``digest()``: what an exchange opens with.
    public func view() -> GossipView { viewHash.view(count: held.count) }

    /// Alive, suspect or dead, from how long ago `origin`'s record last advanced here (since this
    /// node started, for an origin never heard of).
    public func liveness(of origin: SystemID, now: Timestamp) -> PeerLiveness {
        let since = (lastAdvance[origin] ?? startedAt).duration(to: now)
        if since >= configuration.deadAfter { return .dead }
        if since >= configuration.suspectAfter { return .suspect }
        return lastAdvance[origin] == nil ? .suspect : .alive
    }

    // MARK: Events

    /// Replaces this node's summary; a change raises its version and is signed anew.
    public mutating func updateLocal(_ summary: GossipSummary, now: Timestamp) {
        guard var record = held[me]?.record, record.summary != summary else { return }
        record.summary = summary
        record.version += 1
        store(record, now: now)
    }

    /// Starts a round: advances the heartbeat and picks up to `fanout` peers among `trust`'s
    /// keys, weighted by trust; dead peers only every `deadRetryRounds` rounds. Peers in `busy`
    /// (an exchange with them still running) are not picked, so the round's fanout goes to others.
    ///
    /// The heartbeat advances on every call, whatever the peers do: a node that cannot reach
    /// one peer still shows the others it is alive.
    public mutating func tick<R: RandomNumberGenerator>(
        now: Timestamp, trust: [SystemID: TrustLevel], busy: Set<SystemID> = [], random: inout R
    ) -> [SystemID] {
        rounds += 1
        if configuration.heartbeats, var record = held[me]?.record {
            record.heartbeat += 1
            record.version += 1
            store(record, now: now)
        }
        var candidates: [(SystemID, Int)] = []
        for (peer, level) in trust.sorted(by: { $0.key < $1.key }) where peer != me && !busy.contains(peer) {
            if liveness(of: peer, now: now) == .dead && rounds % configuration.deadRetryRounds != 0 { continue }
            candidates.append((peer, level.basisPoints + 1))
        }
        var chosen: [SystemID] = []
        while chosen.count < configuration.fanout, !candidates.isEmpty {
            let total = candidates.reduce(0) { $0 + $1.1 }
            var pick = Int.random(in: 0..<total, using: &random)
            var index = 0
            while pick >= candidates[index].1 {
                pick -= candidates[index].1
                index += 1
            }
            chosen.append(candidates.remove(at: index).0)
        }
        return chosen
    }

    /// The records `peer` lacks according to its `digest`, oldest version first, within the byte
    /// bound. Records of origins this node trusts less than the relay minimum are not relayed
    /// (this node's own record always goes).
    ///
    /// - Parameter onlyListed: consider only the origins `digest` names (a `wanted` list), not
    ///   every origin held.
    public func delta(
        for digest: [SystemID: RecordVersion], to peer: SystemID, trust: [SystemID: TrustLevel], onlyListed: Bool = false
    ) -> [SignedGossipRecord] {
        var candidates: [(GossipRecord, SignedGossipRecord)] = []
        for (origin, entry) in held where origin != peer {
            if onlyListed && digest[origin] == nil { continue }
            if let known = digest[origin], known >= entry.record.recordVersion { continue }
            if origin != me, (trust[origin] ?? .zero) < configuration.minimumRelayTrust { continue }
            candidates.append((entry.record, entry.signed))
        }
        candidates.sort { ($0.0.version, $0.0.origin) < ($1.0.version, $1.0.origin) }
        var bytes = 0
        var chosen: [SignedGossipRecord] = []
        for (_, signed) in candidates {
            guard bytes + signed.wireSize <= configuration.maximumDeltaBytes || chosen.isEmpty else { break }
            bytes += signed.wireSize
            chosen.append(signed)
        }
        return chosen
    }

    /// What merging a batch of records did.
    public struct MergeOutcome: Sendable, Hashable {
        /// Origins whose record was newer and is now held.
        public var updated: [SystemID] = []
        /// Records not newer than the one held (ignored).
        public var stale = 0
        /// Records that did not decode or whose signature did not verify (ignored).
        public var rejected = 0
    }

    /// Keeps each record that is newer than the one held and verifies against its origin's key.
    /// Never lets another node overwrite this node's own record.
    public mutating func merge(_ incoming: [SignedGossipRecord], now: Timestamp) -> MergeOutcome {
        var outcome = MergeOutcome()
        for signed in incoming {
            guard let record = signed.decoded(), verify(signed, record) else {
                outcome.rejected += 1
                continue
            }
            if record.origin == me {
                // A copy of our own record from an earlier life is news only in that it is old.
                outcome.stale += 1
                continue
            }
            if let known = held[record.origin], known.record.recordVersion >= record.recordVersion {
                outcome.stale += 1
                continue
            }
            hold(signed, record)
            lastAdvance[record.origin] = now
            outcome.updated.append(record.origin)
        }
        return outcome
    }

    private mutating func store(_ record: GossipRecord, now: Timestamp) {
        hold(sign(record), record)
        lastAdvance[me] = now
    }

    /// Holds `record` in place of its origin's previous one, and keeps the view's hash in step.
    private mutating func hold(_ signed: SignedGossipRecord, _ record: GossipRecord) {
        if let previous = held[record.origin] { viewHash.toggle(record.origin, previous.record.recordVersion) }
        viewHash.toggle(record.origin, record.recordVersion)
        held[record.origin] = (signed, record)
    }
}
