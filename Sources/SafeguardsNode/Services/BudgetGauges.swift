import SafeguardsCore

/// The per-agent and per-pool gauges of `/metrics`, in Prometheus' text format, read from the
/// committed book at each scrape.
///
/// They are written as text rather than kept as registry gauges: values are exact decimals (the
/// text format takes `12.500000` as it is, with no trip through `Double`), and a series is never
/// stale, since each scrape shows the agents and pools that exist then.
///
/// - `safeguards_agent_available`, `_reserved`, `_spent`, `_spent_this_period`, `_total` `{agent, pool}`:
///   the agent's budget.
/// - `safeguards_agent_alert_level` `{agent, pool}`: 0 normal, 1 warning, 2 critical.
/// - `safeguards_pool_available`, `_allocated`, `_spent`, `_spent_this_period`, `_total` `{pool, name}`.
/// - `safeguards_pool_agents_alerting` `{pool, name, level}`: the pool's agents at each alert level.
///
/// A scrape shows at most ``maximumAgents`` agents (in id order); `safeguards_agents_not_exported`
/// counts the others, so a node with very many agents keeps a scrape of bounded size.
struct BudgetGauges {
    static let maximumAgents = 10_000

    /// The gauges of `pools` and `agents` (agents in id order), as exposition text.
    static func render(pools: [PoolSnapshot], agents: [AgentSnapshot], maximumAgents: Int = maximumAgents) -> String {
        var text = ""
        text.reserveCapacity(256 + 160 * min(agents.count, maximumAgents) * 5 + 200 * pools.count * 6)
        let exported = agents.prefix(maximumAgents)

        let agentFigures: [(name: String, help: String, value: (AgentSnapshot) -> String)] = [
            ("available", "Budget the agent may still reserve or spend", { $0.available.description }),
            ("reserved", "Budget held by the agent's pending reservations", { $0.reserved.description }),
            ("spent", "Budget the agent has spent in its lifetime", { $0.spent.description }),
            ("spent_this_period", "Budget the agent has spent since its budget period started", {
                $0.spentThisPeriod.description
            }),
            ("total", "The agent's budget: available + reserved + spent this period", { $0.total.description }),
            ("alert_level", "The agent's usage alert level: 0 normal, 1 warning, 2 critical", {
                String($0.agent.alertLevel.rawValue)
            }),
        ]
        for figure in agentFigures {
            header(&text, "safeguards_agent_\(figure.name)", figure.help)
            for agent in exported {
                text += "safeguards_agent_\(figure.name){agent=\"\(escaped(agent.agent.id.rawValue))\","
                text += "pool=\"\(escaped(agent.agent.poolID.rawValue))\"} \(figure.value(agent))\n"
            }
        }
        header(&text, "safeguards_agents_not_exported", "Agents left out of the per-agent gauges (beyond \(maximumAgents))")
        text += "safeguards_agents_not_exported \(agents.count - exported.count)\n"

        let poolFigures: [(name: String, help: String, value: (PoolSnapshot) -> String)] = [
            ("available", "Budget in the pool not allocated to an agent", { $0.available.description }),
            ("allocated", "Budget the pool's agents hold, available or reserved", { $0.allocated.description }),
            ("spent", "Budget the pool's agents have spent in its lifetime", { $0.spent.description }),
            ("spent_this_period", "Budget the pool's agents have spent since its budget period started", {
                $0.spentThisPeriod.description
            }),
            ("total", "The pool's budget: available + allocated + spent this period", { $0.total.description }),
        ]
        for figure in poolFigures {
            header(&text, "safeguards_pool_\(figure.name)", figure.help)
            for pool in pools {
                text += "safeguards_pool_\(figure.name){\(poolLabels(pool.pool))} \(figure.value(pool))\n"
            }
        }

        var alerting: [PoolID: [UsageLevel: Int]] = [:]
        for agent in agents where agent.agent.alertLevel != .normal {
            alerting[agent.agent.poolID, default: [:]][agent.agent.alertLevel, default: 0] += 1
        }
        header(&text, "safeguards_pool_agents_alerting", "The pool's agents at each alert level")
        for pool in pools {
            for level in [UsageLevel.warning, .critical] {
                let count = alerting[pool.pool.id]?[level] ?? 0
                text += "safeguards_pool_agents_alerting{\(poolLabels(pool.pool)),level=\"\(level.name)\"} \(count)\n"
            }
        }
        return text
    }

    private static func header(_ text: inout String, _ name: String, _ help: String) {
        text += "# HELP \(name) \(help)\n# TYPE \(name) gauge\n"
    }

    private static func poolLabels(_ pool: Pool) -> String {
        "pool=\"\(escaped(pool.id.rawValue))\",name=\"\(escaped(pool.name))\""
    }

    /// A label value as the text format wants it: backslash, double quote and line feed escaped.
    static func escaped(_ value: String) -> String {
        guard value.contains(where: { $0 == "\\" || $0 == "\"" || $0 == "\n" }) else { return value }
        var result = ""
        for character in value {
            switch character {
            case "\\": result += "\\\\"
            case "\"": result += "\\\""
            case "\n": result += "\\n"
            default: result.append(character)
            }
        }
        return result
    }
}
