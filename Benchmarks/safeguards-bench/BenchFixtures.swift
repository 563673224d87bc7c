import Foundation
import SafeguardsCore

/// The pool and agents every figure spends from: one pool funded for all its agents, each agent
/// with a budget far larger than a run can use, so no command is refused for lack of budget and
/// no usage alert is raised.
enum BenchBudget {
    /// Each agent's budget (whole units).
    static let agentBudget: Amount = 1_000_000
    /// What one reservation holds, and what settling it spends (the rest is released).
    static let reserveAmount: Amount = 1
    static let settleAmount = Amount(micros: 250_000)

    /// Creates a pool with enough budget for `agentCount` agents.
    static func createPool(_ id: PoolID, agentCount: Int) throws(SafeguardsError) -> BudgetCommand {
        .createPool(
            id, name: "bench-\(id.rawValue)", priority: try PoolPriority(5),
            initialBudget: Amount(micros: agentBudget.micros * Int64(agentCount)), metadata: [:], key: nil)
    }

    /// Agents `\(prefix)0`, `\(prefix)1`... and the commands that register them in `pool`.
    static func registerAgents(
        _ count: Int, prefix: String, in pool: PoolID
    ) -> [(id: AgentID, command: BudgetCommand)] {
        (0..<count).map { index in
            let id = AgentID(unchecked: "\(prefix)\(index)")
            return (id, .registerAgent(id, pool: pool, priority: .medium, initialBudget: agentBudget, key: nil))
        }
    }
}

/// A fresh folder for one figure's SQLite files, removed when the figure is done.
struct ScratchDirectory {
    let path: String

    /// Creates `safeguards-bench-<label>-<uuid>` inside `parent` (default: the temporary folder).
    static func create(in parent: String?, label: String) throws -> ScratchDirectory {
        let base = parent ?? FileManager.default.temporaryDirectory.path
        let path = (base as NSString).appendingPathComponent("safeguards-bench-\(label)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return ScratchDirectory(path: path)
    }

    func file(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}
