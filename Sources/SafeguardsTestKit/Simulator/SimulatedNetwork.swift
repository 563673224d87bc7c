import SafeguardsCore
import SafeguardsFederation

/// How badly the simulated network behaves. Percentages are per message (or per step for
/// partitions); delays are in simulator steps.
public struct NetworkFaults: Sendable, Hashable {
    /// Chance a message is lost.
    public var lossPercent: Int
    /// Chance a message is delivered twice (each copy with its own delay).
    public var duplicatePercent: Int
    /// The longest extra delay; delays are uniform in 0...this, which also reorders messages.
    public var maximumDelaySteps: Int
    /// Chance per step that a partition between two random nodes starts.
    public var partitionPercent: Int
    /// The longest partition.
    public var maximumPartitionSteps: Int

    /// Faults with every field.
    public init(
        lossPercent: Int = 10, duplicatePercent: Int = 10, maximumDelaySteps: Int = 4, partitionPercent: Int = 3,
        maximumPartitionSteps: Int = 15
    ) {
        self.lossPercent = lossPercent
        self.duplicatePercent = duplicatePercent
        self.maximumDelaySteps = maximumDelaySteps
        self.partitionPercent = partitionPercent
        self.maximumPartitionSteps = maximumPartitionSteps
    }

    /// A perfect network (messages still take one step).
    public static let none = NetworkFaults(
        lossPercent: 0, duplicatePercent: 0, maximumDelaySteps: 0, partitionPercent: 0, maximumPartitionSteps: 0)
}

/// A message on the simulated wire. `from` is what the channel (TLS identity) says.
public struct SimulatedMessage: Sendable, Hashable {
    /// The authenticated sender.
    public var from: SystemID
    /// The receiver.
    public var to: SystemID
    /// The payload.
    public var message: SettlementMessage
    /// The step at which it arrives.
    public var deliverAt: Int
    /// Send order, to keep delivery order deterministic among messages due at the same step.
    public var sequence: Int
}

/// An in-memory network with loss, duplication, delay (and so reordering) and partitions, all
/// drawn from one ``SeededRandom``. A partition cuts both directions; messages already on the
/// wire between the two sides are lost when they arrive during it.
public struct SimulatedNetwork: Sendable {
    /// Current faults (the simulator turns them off to drain).
    public var faults: NetworkFaults
    /// Messages on the wire.
    public private(set) var inFlight: [SimulatedMessage] = []
    /// An unordered pair of nodes (stored in order), the key of a partition.
    public struct Pair: Hashable, Sendable {
        var first: String
        var second: String
        init(_ a: SystemID, _ b: SystemID) {
            (first, second) = a.rawValue < b.rawValue ? (a.rawValue, b.rawValue) : (b.rawValue, a.rawValue)
        }
    }

    /// Partitions by unordered pair, with the step at which each heals.
    public private(set) var partitions: [Pair: Int] = [:]
    /// Counters for the report.
    public private(set) var sent = 0, lost = 0, duplicated = 0, delivered = 0
    private var random: SeededRandom
    private var nextSequence = 0

    /// A network drawing its faults from `random`.
    public init(faults: NetworkFaults, random: SeededRandom) {
        self.faults = faults
        self.random = random
    }

    /// Whether nothing is on the wire.
    public var isEmpty: Bool { inFlight.isEmpty }

    /// Puts a message on the wire at `step`.
    public mutating func send(from: SystemID, to: SystemID, _ message: SettlementMessage, step: Int) {
        sent += 1
        guard !isPartitioned(from, to, at: step), !random.percent(faults.lossPercent) else {
            lost += 1
            return
        }
        enqueue(SimulatedMessage(from: from, to: to, message: message, deliverAt: 0, sequence: 0), step: step)
        if random.percent(faults.duplicatePercent) {
            duplicated += 1
            enqueue(SimulatedMessage(from: from, to: to, message: message, deliverAt: 0, sequence: 0), step: step)
        }
    }

    /// Starts a partition with chance ``NetworkFaults/partitionPercent`` and heals expired ones.
    public mutating func evolvePartitions(nodes: [SystemID], step: Int) {
        if !partitions.isEmpty { partitions = partitions.filter { $0.value > step } }
        guard nodes.count > 1, random.percent(faults.partitionPercent) else { return }
        let first = Int(random.next(below: UInt64(nodes.count)))
        let offset = 1 + Int(random.next(below: UInt64(nodes.count - 1)))
        let pair = Pair(nodes[first], nodes[(first + offset) % nodes.count])
        partitions[pair] = step + 1 + random.int(in: 0...max(0, faults.maximumPartitionSteps))
    }

    /// Heals every partition at once.
    public mutating func healAll() {
        partitions = [:]
    }

    /// Removes and returns the messages due at `step`, in arrival order; those that arrive
    /// across a partition are lost.
    public mutating func takeDue(at step: Int) -> [SimulatedMessage] {
        var due: [SimulatedMessage] = []
        var rest: [SimulatedMessage] = []
        for message in inFlight {
            if message.deliverAt <= step { due.append(message) } else { rest.append(message) }
        }
        inFlight = rest
        due.sort { ($0.deliverAt, $0.sequence) < ($1.deliverAt, $1.sequence) }
        let arriving = due.filter { !isPartitioned($0.from, $0.to, at: step) }
        lost += due.count - arriving.count
        delivered += arriving.count
        return arriving
    }

    /// Drops a message addressed to a node that is down (counted as lost).
    public mutating func dropAtDownNode() {
        delivered -= 1
        lost += 1
    }

    private func isPartitioned(_ a: SystemID, _ b: SystemID, at step: Int) -> Bool {
        guard !partitions.isEmpty, let until = partitions[Pair(a, b)] else { return false }
        return until > step
    }

    private mutating func enqueue(_ message: SimulatedMessage, step: Int) {
        var copy = message
        copy.deliverAt = step + 1 + random.int(in: 0...max(0, faults.maximumDelaySteps))
        copy.sequence = nextSequence
        nextSequence += 1
        inFlight.append(copy)
    }
}
