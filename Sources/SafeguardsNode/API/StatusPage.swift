import SafeguardsCore

/// The human status page at `/`: pools, agents and the ledger check, no script, no auth-only data
/// beyond balances (the same figures `/metrics` exposes in aggregate).
enum StatusPage {
    static func render(systemID: String, pools: [PoolSnapshot], agents: [AgentSnapshot], totals: LedgerTotals) -> String {
        var html = """
            <!doctype html><html><head><meta charset="utf-8"><title>Safeguards \(escape(systemID))</title>
            <style>body{font-family:system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin:1em 0}
            td,th{border:1px solid #ccc;padding:4px 10px;text-align:right}th{background:#f4f4f4}td:first-child,th:first-child,td.text{text-align:left}
            .ok{color:#0a7d28}.bad{color:#b00020}</style></head><body>
            <h1>Safeguards node <code>\(escape(systemID))</code></h1>
            <p>Ledger: <b class="\(totals.isBalanced ? "ok" : "bad")">\(totals.isBalanced ? "balanced" : "NOT BALANCED")</b>,
            \(totals.accountCount) accounts.</p>
            <h2>Pools</h2><table><tr><th>name</th><th>priority</th><th>total</th><th>available</th><th>allocated</th><th>spent</th></tr>
            """
        for pool in pools.prefix(shown) {
            html += "<tr><td>\(escape(pool.pool.name))</td><td>\(pool.pool.priority)</td><td>\(pool.total)</td>"
                + "<td>\(pool.available)</td><td>\(pool.allocated)</td><td>\(pool.spent)</td></tr>"
        }
        html += "</table>" + more(pools.count, "GET /v1/pools")
        html += "<h2>Agents</h2><table><tr><th>agent</th><th>pool</th><th>priority</th><th>budget</th>"
            + "<th>available</th><th>reserved</th><th>spent</th><th>alert</th></tr>"
        let poolNames = Dictionary(uniqueKeysWithValues: pools.map { ($0.pool.id, $0.pool.name) })
        for agent in agents.prefix(shown) {
            let pool = poolNames[agent.agent.poolID] ?? agent.agent.poolID.rawValue
            html += "<tr><td>\(escape(agent.agent.id.rawValue))</td><td class=\"text\">\(escape(pool))</td>"
                + "<td>\(agent.agent.priority.rawValue)</td><td>\(agent.total)</td><td>\(agent.available)</td>"
                + "<td>\(agent.reserved)</td><td>\(agent.spent)</td><td>\(agent.agent.alertLevel.name)</td></tr>"
        }
        return html + "</table>" + more(agents.count, "GET /v1/agents") + "</body></html>"
    }

    /// Rows shown per table: the page stays small however many pools and agents there are; the
    /// API pages through all of them.
    static let shown = 100

    private static func more(_ count: Int, _ route: String) -> String {
        count > shown ? "<p>The first \(shown) of \(count); <code>\(route)</code> pages through all.</p>" : ""
    }

    static func escape(_ text: String) -> String {
        var result = ""
        for character in text {
            switch character {
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "&": result += "&amp;"
            case "\"": result += "&quot;"
            case "'": result += "&#39;"
            default: result.append(character)
            }
        }
        return result
    }
}
