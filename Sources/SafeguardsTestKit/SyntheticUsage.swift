import Foundation
import Logging
import SafeguardsCore
import SafeguardsStore
import Synchronization

/// Weeks of synthetic use written into a node's database before the node starts, through the
/// node's own writer with its clock set to each use's time: the history the learning policies
/// learn from, in tests and in the demo. Uses fall every two hours, a minute into each step.
public enum SyntheticUsage {
    /// Two hours, in milliseconds.
    public static let step: Int64 = 7_200_000

    /// An agent to register and what it uses at step `index` starting at `time` (zero: nothing).
    public struct Agent: Sendable {
        public var id: AgentID
        public var priority: AgentPriority
        public var budget: Amount
        public var use: @Sendable (_ index: Int, _ time: Timestamp, _ random: inout SeededRandom) -> Amount

        public init(
            _ id: String, priority: AgentPriority = .high, budget: Amount,
            use: @escaping @Sendable (_ index: Int, _ time: Timestamp, _ random: inout SeededRandom) -> Amount
        ) {
            self.id = AgentID(unchecked: id)
            self.priority = priority
            self.budget = budget
            self.use = use
        }
    }

    /// A pool to create with its agents.
    public struct Pool: Sendable {
        public var id: PoolID
        public var name: String
        public var budget: Amount
        public var agents: [Agent]

        public init(_ id: String, name: String, budget: Amount, agents: [Agent]) {
            self.id = PoolID(unchecked: id)
            self.name = name
            self.budget = budget
            self.agents = agents
        }
    }

    /// The use in the two hours from `time` (UTC): 10 in office hours (08-18) on weekdays, 2 on
    /// weekday nights, 1 all weekend.
    public static func officeHours(_ time: Timestamp) -> Amount {
        let hour = Int((time.millisecondsSince1970 / 3_600_000) % 24)
        let day = Int((time.millisecondsSince1970 / 86_400_000 + 3) % 7)  // 0 = Monday
        if day >= 5 { return 1 }
        return (8..<18).contains(hour) ? 10 : 2
    }

    /// The steps' times: every two hours over the `weeks` before `now`, a minute into each step.
    public static func times(before now: Timestamp, weeks: Int = 4) -> [Timestamp] {
        let end = now.millisecondsSince1970 - now.millisecondsSince1970 % step
        let count = Int64(weeks * 7 * 12)
        return (1..<count).map { Timestamp(millisecondsSince1970: end - count * step + $0 * step + 60_000) }
    }

    /// Creates the pools and agents, then writes every agent's uses at their times into the
    /// database at `path`. Returns what each agent spent.
    @discardableResult
    public static func record(
        databasePath path: String, pools: [Pool], before now: Timestamp, weeks: Int = 4, seed: UInt64 = 42
    ) async throws -> [AgentID: Amount] {
        let times = times(before: now, weeks: weeks)
        let clock = Mutex(times.first?.advanced(by: .seconds(-3600)) ?? now)
        let store = try LedgerStore(path: path)
        let writer = try BudgetWriter(
            store: store, now: { clock.withLock { $0 } }, logger: Logger(label: "synthetic-usage", factory: { _ in SwiftLogNoOpLogHandler() }))
        for pool in pools {
            _ = try await writer.submit(
                .createPool(pool.id, name: pool.name, priority: try PoolPriority(5), initialBudget: pool.budget, metadata: [:], key: nil))
            for agent in pool.agents {
                _ = try await writer.submit(.registerAgent(agent.id, pool: pool.id, priority: agent.priority, initialBudget: agent.budget, key: nil))
            }
        }
        var random = SeededRandom(seed: seed)
        var spent: [AgentID: Amount] = [:]
        let agents = pools.flatMap(\.agents)
        for (index, time) in times.enumerated() {
            clock.withLock { $0 = time }
            for agent in agents {
                let amount = agent.use(index, time, &random)
                guard amount.isPositive else { continue }
                _ = try await writer.submit(.spend(agent.id, amount: amount, transferID: TransferID(unchecked: "synthetic-\(agent.id)-\(index)")))
                spent[agent.id] = try (spent[agent.id] ?? .zero).adding(amount)
            }
        }
        return spent
    }
}
