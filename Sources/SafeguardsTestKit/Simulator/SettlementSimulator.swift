import SafeguardsCore
import SafeguardsFederation

/// A deterministic simulation of 2-3 nodes settling remote budget requests over a faulty
/// network, with crashes: everything random comes from one seed, so a failing seed replays exactly.
///
/// Each step: partitions evolve, down nodes whose time has come restart from their records, an
/// up node may crash at rest, nodes start random work (requests, some over the cap or the limit
/// or from low-trust peers; client retries with the same id; returns; status queries; requests
/// that reuse a decided id with other fields), due messages are delivered, every node ticks, and
/// invariants are checked. A crash may also hit in the middle of an event: the directives after
/// the crash point are lost and the machine with them. After the last step the network heals,
/// every node restarts and the run drains until nothing is on the wire or pending.
public struct SettlementSimulator: Sendable {
    /// The shape of a run.
    public struct Options: Sendable, Hashable {
        /// Nodes (2 or 3); `nil` draws 2 or 3 from the seed.
        public var nodeCount: Int?
        /// Steps of work with faults.
        public var steps: Int
        /// Simulated time per step.
        public var stepDuration: Duration
        /// The network's faults during the work phase.
        public var faults: NetworkFaults
        /// Chance per event that the node crashes in the middle of its directives.
        public var crashInEventPercent: Int
        /// Chance per step and node of a crash between events.
        public var crashAtRestPercent: Int
        /// The longest a crashed node stays down, in steps.
        public var maximumDownSteps: Int
        /// Chance per step and node that the node starts some work.
        public var workPercent: Int
        /// Give up draining after this many steps (a violation: something never resolved).
        public var maximumDrainSteps: Int
        /// Refusals each giver remembers per peer; small, so that givers forget refusals while
        /// their copies and retries are still on the wire.
        public var refusalsKeptPerPeer: Int

        /// Options with every field.
        public init(
            nodeCount: Int? = nil, steps: Int = 60, stepDuration: Duration = .milliseconds(100),
            faults: NetworkFaults = NetworkFaults(), crashInEventPercent: Int = 2, crashAtRestPercent: Int = 2,
            maximumDownSteps: Int = 8, workPercent: Int = 50, maximumDrainSteps: Int = 400,
            refusalsKeptPerPeer: Int = 3
        ) {
            self.nodeCount = nodeCount
            self.steps = steps
            self.stepDuration = stepDuration
            self.faults = faults
            self.crashInEventPercent = crashInEventPercent
            self.crashAtRestPercent = crashAtRestPercent
            self.maximumDownSteps = maximumDownSteps
            self.workPercent = workPercent
            self.maximumDrainSteps = maximumDrainSteps
            self.refusalsKeptPerPeer = refusalsKeptPerPeer
        }
    }

    /// Every giver's `max_metadata_bytes`; some requests carry more (`metadata_too_large`).
    static let maxMetadataBytes = 64

    /// The nodes, in system id order.
    public internal(set) var nodes: [SimulatedNode]
    /// The wire.
    public internal(set) var network: SimulatedNetwork
    /// The report being written.
    public internal(set) var report: SimulationReport
    let options: Options
    /// The nodes' ids, in order.
    let nodeIDs: [SystemID]
    var random: SeededRandom
    var step = 0
    var crashesAllowed = true
    var nextTransactionNumber = 0
    let start = Timestamp(millisecondsSince1970: 1_767_225_600_000)
    /// The budget in the system at the start: agents + credit lines (nothing in flight).
    let initialTotal: Amount
    /// Accepted transfers the giver debited minus those the requester credited, plus accepted
    /// returns the requester released minus those the giver credited: budget between two ledgers.
    var inFlight = Amount.zero
    /// The giver's durable receipt per (requester, id), as an all-seeing observer knows it.
    var giverReceipts: [String: TransferReceipt] = [:]

    /// Runs the simulation for `seed` and returns its report.
    public static func run(seed: UInt64, options: Options = Options()) -> SimulationReport {
        var simulator = SettlementSimulator(seed: seed, options: options)
        simulator.runToEnd()
        return simulator.report
    }

    /// Re-runs exactly the run of `seed` (same options as the failing run, by default the defaults).
    public static func replay(seed: UInt64, options: Options = Options()) -> SimulationReport {
        run(seed: seed, options: options)
    }

    /// A simulator at step 0 for `seed`.
    public init(seed: UInt64, options: Options) {
        var random = SeededRandom(seed: seed)
        let count = options.nodeCount.map { min(max($0, 2), 3) } ?? random.int(in: 2...3)
        let ids = ["system_a", "system_b", "system_c"].prefix(count).map { SystemID(unchecked: $0) }
        let trustSteps = [3000, 6000, 8000, 10_000]
        var nodes: [SimulatedNode] = []
        var total = Amount.zero
        for id in ids {
            var offers: [SystemID: Amount] = [:]
            var trust: [SystemID: TrustLevel] = [:]
            var limits: [SystemID: Amount] = [:]
            for peer in ids where peer != id {
                let level = TrustLevel(clampingBasisPoints: trustSteps[Int(random.next(below: 4))])
                trust[peer] = level
                // One pair in five has no offer: its requests are `unknown_peer`.
                guard random.percent(80) else { continue }
                offers[peer] = 100
                limits[peer] = (try? level.applied(to: 100)) ?? .zero
            }
            let configuration = SettlementConfiguration(
                me: id, offers: offers, minimumTrust: TrustLevel(clampingBasisPoints: 5000), perRequestCap: 50,
                rateLimit: RateLimitPolicy(maximumRequests: 4, window: .seconds(1)),
                retry: RetryPolicy(initial: .milliseconds(200), maximum: .seconds(2)),
                maxMetadataBytes: Self.maxMetadataBytes, refusalsKeptPerPeer: options.refusalsKeptPerPeer)
            let agents: [AgentID: Amount] = [AgentID(unchecked: "agent-1"): 20, AgentID(unchecked: "agent-2"): 20]
            let ledger = SimulatedLedger(agentBalances: agents, creditLimits: limits)
            total = (try? total.adding(ledger.total)) ?? .max
            nodes.append(SimulatedNode(id: id, configuration: configuration, trust: trust, ledger: ledger))
        }
        self.nodes = nodes
        self.nodeIDs = ids
        self.network = SimulatedNetwork(faults: options.faults, random: random.split())
        self.random = random
        self.options = options
        self.initialTotal = total
        self.report = SimulationReport(seed: seed)
    }

    /// Simulated time at the current step.
    var now: Timestamp { start.advanced(by: options.stepDuration * step) }

    /// Runs the work phase, drains, and checks the final invariants.
    public mutating func runToEnd() {
        for _ in 0..<options.steps {
            runStep(withWork: true)
            if report.violations.count > 20 { break }
        }
        drain()
        checkFinal()
        report.sent = network.sent
        report.lost = network.lost
        report.duplicated = network.duplicated
        report.nodes = nodes
    }

    mutating func runStep(withWork: Bool) {
        step += 1
        network.evolvePartitions(nodes: nodeIDs, step: step)
        for index in nodes.indices {
            if let until = nodes[index].downUntil, until <= step { restart(index) }
        }
        if crashesAllowed {
            for index in nodes.indices where nodes[index].isUp && random.percent(options.crashAtRestPercent) {
                crash(index)
            }
        }
        if withWork {
            for index in nodes.indices where nodes[index].isUp && random.percent(options.workPercent) {
                doSomeWork(index)
            }
        }
        for message in network.takeDue(at: step) { deliver(message) }
        for index in nodes.indices {
            guard var machine = nodes[index].machine else { continue }
            nodes[index].machine = nil  // keep the machine's storage unique while it mutates
            let directives = machine.tick(now: now)
            nodes[index].machine = machine
            execute(directives, at: index)
        }
        checkStep()
    }

    mutating func drain() {
        crashesAllowed = false
        network.faults = .none
        network.healAll()
        for index in nodes.indices where !nodes[index].isUp { restart(index) }
        var steps = 0
        while !(network.isEmpty && nodes.allSatisfy({ $0.machine.map { !$0.hasPending } ?? false })) {
            guard steps < options.maximumDrainSteps else {
                report.violations.append("did not drain in \(steps) steps: \(network.inFlight.count) on the wire")
                return
            }
            runStep(withWork: false)
            steps += 1
        }
        report.drainSteps = steps
    }
}
