import SafeguardsCore
import SafeguardsFederation

/// The settlement shell's writes in flight: which records the machine has applied in memory but
/// the store does not hold yet, who waits for them, and when the machine must be rebuilt.
///
/// The machine steps each event at once, in arrival order, and the records it emits are written
/// through group commit while later events step: memory runs ahead of the disk by the writes in
/// flight. These rules keep that invisible to peers and to the API:
/// - **Numbered.** Every record gets the next sequence number when the machine emits it. An event
///   has *seen* every record numbered up to its horizon: the last number given out when it stepped.
/// - **Nothing leaves before what it saw is on disk.** An event sends, replies or schedules only
///   once every record up to its horizon is settled (written, or failed). So a repeat of a request
///   that arrives while the first decision is being written waits for that write, and a retry of a
///   transfer is sent only once its id is durable.
/// - **A failure stops what may have seen it.** After a failed write, no event that stepped before
///   the failure was known acts on its step (it answers "ask again"; its own record, if written,
///   answers the repeat). That is conservative: it also holds events that stepped before the
///   failed record and so never saw it.
/// - **Rebuilt at rest.** After a failure no new event steps (they wait in arrival order) until
///   every write in flight has settled; then the shell rebuilds the machine from the store, which
///   is then exactly what the disk holds, and lets them in.
/// - **Reads see the disk.** Each record in flight, and each failed one until the rebuild, casts a
///   ``Shadow`` over its transfer: the API shows the state before it.
///
/// What it does not undo: a record that reached the disk although a record it saw then failed
/// stays, since it is on disk and the giver's stored decision is final. Its decision was taken with
/// the failed record counted: more credit used, or a drawn amount not yet returned, so
/// conservative, except after a failed accepted return, whose freed credit it may have granted
/// again (the ledger still holds the line within the offer).
struct SettlementWrites {
    /// Which transfer a record is about: outgoing ids are unique on this node, incoming ones per peer.
    enum RecordKey: Hashable {
        case outgoing(TransferID)
        case incoming(SystemID, TransferID)
    }

    /// How the API shows a transfer whose record is not on disk yet.
    enum Shadow: Equatable {
        /// As if absent: the record that would create it is not durable.
        case absent
        /// As still pending: the outcome learned is not durable.
        case pending
    }

    /// One event's step: what it emitted and what it waits for before it acts.
    struct Step {
        /// The directives, in order.
        var directives: [SettlementDirective]
        /// The sequence number of each `.persist` in `directives`, in order.
        var sequences: [Int]
        /// The last sequence number given out when the event stepped (its own records included).
        var horizon: Int
        /// ``failures`` when the event stepped.
        var failuresSeen: Int
    }

    /// Sequence numbers given out so far (the last one).
    private(set) var issued = 0
    /// Every number up to this one is settled.
    private(set) var settledThrough = 0
    /// Numbers past ``settledThrough`` that settled early (writes in one group resume in any order).
    private var settledAhead: Set<Int> = []
    /// Failed writes since the start (it only grows).
    private(set) var failures = 0
    /// A write failed and the machine is not rebuilt yet: new events wait.
    private(set) var rebuildPending = false
    private var shadows: [RecordKey: (sequence: Int, shadow: Shadow)] = [:]
    private var watchers: [(through: Int, continuation: CheckedContinuation<Void, Never>)] = []
    private var gate: [CheckedContinuation<Void, Never>] = []

    /// Whether no write is in flight.
    var isAtRest: Bool { settledThrough == issued }

    /// Numbers the records among `directives`, shadows them, and returns the step.
    mutating func begin(_ directives: [SettlementDirective]) -> Step {
        var sequences: [Int] = []
        for case .persist(let record) in directives {
            issued += 1
            sequences.append(issued)
            let (key, shadow) = Self.shadow(of: record)
            shadows[key] = (issued, shadow)
        }
        return Step(directives: directives, sequences: sequences, horizon: issued, failuresSeen: failures)
    }

    /// Marks `sequence` written (or failed), lifts its shadow when written, and resumes the events
    /// whose horizon is now settled. Returns whether the machine must be rebuilt now (a write
    /// failed and none is in flight any more).
    mutating func settle(_ sequence: Int, record: SettlementRecord, written: Bool) -> Bool {
        if written {
            let key = Self.shadow(of: record).key
            if shadows[key]?.sequence == sequence { shadows[key] = nil }
        } else {
            failures += 1
            rebuildPending = true
        }
        if sequence == settledThrough + 1 {
            settledThrough = sequence
            while settledAhead.remove(settledThrough + 1) != nil { settledThrough += 1 }
        } else {
            settledAhead.insert(sequence)
        }
        var index = 0
        while index < watchers.count, watchers[index].through <= settledThrough {
            watchers[index].continuation.resume()
            index += 1
        }
        watchers.removeFirst(index)
        return rebuildPending && isAtRest
    }

    /// Waits (in the actor that owns this value) until every record up to `horizon` is settled.
    mutating func waitUntilSettled(through horizon: Int, _ continuation: CheckedContinuation<Void, Never>) {
        guard horizon > settledThrough else { return continuation.resume() }
        // Horizons only grow with arrival order, but a retried wait may come later: keep them sorted.
        let index = watchers.firstIndex { $0.through > horizon } ?? watchers.endIndex
        watchers.insert((horizon, continuation), at: index)
    }

    /// Queues an event that must wait for the rebuild.
    mutating func waitForRebuild(_ continuation: CheckedContinuation<Void, Never>) {
        guard rebuildPending else { return continuation.resume() }
        gate.append(continuation)
    }

    /// The machine was rebuilt from the store: no shadow is left (nothing is in flight, and what
    /// failed is gone from memory too), and the waiting events step, in arrival order.
    mutating func rebuilt() {
        rebuildPending = false
        shadows.removeAll()
        let waiting = gate
        gate.removeAll()
        for continuation in waiting { continuation.resume() }
    }

    /// Whether `step` may act: no write failed since it stepped.
    func mayAct(_ step: Step) -> Bool { failures == step.failuresSeen }

    /// The shadow over `key`, if its record is not on disk.
    func shadow(_ key: RecordKey) -> Shadow? { shadows[key]?.shadow }

    /// Whether any shadow is cast (lists then check each row).
    var hasShadows: Bool { !shadows.isEmpty }

    private static func shadow(of record: SettlementRecord) -> (key: RecordKey, shadow: Shadow) {
        switch record {
        case .outgoingCreated(let transfer): return (.outgoing(transfer.transactionID), .absent)
        case .outgoingSettled(let transfer, _): return (.outgoing(transfer.transactionID), .pending)
        case .incomingDecided(let decision): return (.incoming(decision.peer, decision.receipt.transactionID), .absent)
        case .incomingRefused(let refusal, _): return (.incoming(refusal.peer, refusal.transactionID), .absent)
        }
    }
}
