import SafeguardsCore
import SafeguardsFederation

/// One simulated node: a settlement machine (volatile) over records and a ledger (durable).
public struct SimulatedNode: Sendable {
    /// The node's system id.
    public let id: SystemID
    /// What its machine enforces.
    public let configuration: SettlementConfiguration
    /// This node's trust in each peer (what it passes as `peerTrust`).
    public let trust: [SystemID: TrustLevel]
    /// The running machine; `nil` while the node is down.
    public internal(set) var machine: SettlementMachine?
    /// Every record persisted, in order, apart from refusals: what survives a crash.
    public internal(set) var records: [SettlementRecord] = []
    /// Refusals as a bounded store keeps them, by requester and id: a refusal's `forgotten` part
    /// deletes rows here, as the node's SQLite table does.
    public internal(set) var refusals: [String: IncomingRefusal] = [:]
    /// Each requester's refusal horizon, as the store keeps it.
    public internal(set) var refusalHorizons: [SystemID: Timestamp] = [:]
    /// Every transfer and return it started, by id (from its records): what the machine no longer
    /// holds once decided, for the workload and the final checks.
    public internal(set) var started: [TransferID: OutgoingTransfer] = [:]
    /// The transfers still pending, as the node's store finds them at start-up.
    public internal(set) var pending: [TransferID: OutgoingTransfer] = [:]
    /// Each peer's totals, checkpointed with every record as the node's store does.
    public internal(set) var totals: [SystemID: SettlementTotals] = [:]
    /// The decided records, found by id once the machine forgot them.
    public let history = RecordedSettlementHistory()
    /// The durable budget.
    public internal(set) var ledger: SimulatedLedger
    /// While down: the step at which it restarts.
    public internal(set) var downUntil: Int?

    /// A node that is up with no history.
    public init(
        id: SystemID, configuration: SettlementConfiguration, trust: [SystemID: TrustLevel], ledger: SimulatedLedger
    ) {
        self.id = id
        self.configuration = configuration
        self.trust = trust
        self.ledger = ledger
        self.machine = SettlementMachine(configuration: configuration, history: history)
    }

    /// Whether the node is running.
    public var isUp: Bool { machine != nil }

    /// Writes a record to the durable state, as the node's store would.
    mutating func persist(_ record: SettlementRecord) {
        history.write(record)
        let change = SettlementTotals.Change(record)
        if !change.isEmpty {
            totals[change.peer, default: SettlementTotals()].add(change)
        }
        switch record {
        case .outgoingCreated(let transfer):
            started[transfer.transactionID] = transfer
            pending[transfer.transactionID] = transfer
        case .outgoingSettled(let transfer, _):
            pending[transfer.transactionID] = nil
        case .incomingDecided, .incomingRefused:
            break
        }
        guard case .incomingRefused(let refusal, let forgotten) = record else {
            records.append(record)
            return
        }
        if let forgotten {
            for id in forgotten.transactionIDs { refusals.removeValue(forKey: "\(forgotten.peer)/\(id)") }
            refusalHorizons[forgotten.peer] = max(refusalHorizons[forgotten.peer] ?? forgotten.horizon, forgotten.horizon)
        }
        refusals["\(refusal.peer)/\(refusal.transactionID)"] = refusal
    }

    /// The machine rebuilt from the durable state only, as a node restores from its tables: the
    /// checkpointed totals, the pending transfers, the refusals still kept and the horizons.
    /// Decided records stay in ``history``.
    func restoredMachine() throws(SettlementError) -> SettlementMachine {
        try SettlementMachine(
            configuration: configuration, totals: totals,
            pending: pending.values.sorted { $0.transactionID < $1.transactionID },
            refusals: refusals.keys.sorted().compactMap { refusals[$0] }, refusalHorizons: refusalHorizons,
            history: history)
    }

    /// Every decision it stored in full, in order.
    var decisions: [IncomingDecision] {
        records.compactMap { record in
            guard case .incomingDecided(let decision) = record else { return nil }
            return decision
        }
    }
}

/// What one seeded run did and what went wrong.
public struct SimulationReport: Sendable {
    /// The seed; ``SettlementSimulator/replay(seed:options:)`` re-runs exactly this run.
    public var seed: UInt64
    /// Broken invariants, in the order they were found; empty when the run is correct.
    public var violations: [String] = []
    /// Transfers and returns started.
    public var started = 0
    /// Giver decisions by outcome: `accepted`, or the rejection reason.
    public var decisions: [String: Int] = [:]
    /// Refusals givers forgot past their per-peer cap.
    public var forgottenRefusals = 0
    /// Transfers whose requester learned a rejection the giver no longer stores in full: a
    /// refusal it forgot, or an `expired` answer under a horizon.
    public var settledOnForgotten = 0
    /// Crashes (at rest or in the middle of an event's directives).
    public var crashes = 0
    /// Network counters.
    public var sent = 0, lost = 0, duplicated = 0
    /// Steps the drain took until the network was empty and nothing was pending.
    public var drainSteps = 0
    /// The nodes as they ended.
    public var nodes: [SimulatedNode] = []

    /// One line for a failure message: the seed, how to replay it, and the first violations.
    public var summary: String {
        "seed \(seed) (replay with SettlementSimulator.replay(seed: \(seed))): "
            + violations.prefix(5).joined(separator: "; ")
    }
}
