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
    /// Every record persisted, in order: what survives a crash.
    public internal(set) var records: [SettlementRecord] = []
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
        self.machine = SettlementMachine(configuration: configuration)
        self.ledger = ledger
    }

    /// Whether the node is running.
    public var isUp: Bool { machine != nil }
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
