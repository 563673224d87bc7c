import SafeguardsAPI
import SafeguardsCore
import SafeguardsFederation
import SafeguardsStore

/// Gathers the status page's view from what the node already keeps: the committed book (pools,
/// agents, ledger totals), the stores' newest alerts, decisions and freezes, and, with a
/// federation, the peer registry, gossip's sync status, the settlement books and grants.
///
/// Every list is cut to a few rows (``rows``): the page stays small and cheap to refresh however
/// big the node is, and each section's note names the API route that pages through all of it.
struct StatusReport: Sendable {
    let systemID: String
    let operations: BudgetOperations
    let registry: PeerRegistry?
    let settlement: SettlementService?
    let gossip: GossipService?
    let refreshSeconds: Int
    let now: @Sendable () -> Timestamp

    /// Rows of pools and agents shown.
    static let rows = 100
    /// Rows of alerts, decisions and federation transactions shown.
    static let recent = 20

    func gather() async -> StatusView {
        let time = now()
        let (pools, agents, totals) = operations.writer.view {
            ($0.poolSnapshots(), AgentDigest($0, rows: Self.rows), $0.ledgerTotals())
        }
        let frozen = (try? operations.store.frozenPools()) ?? []
        let sync = await gossip?.status()
        var sections = [
            peersSection(sync: sync, records: await registry?.all() ?? [], now: time)
        ]
        sections += await federationSections(pools: pools)
        sections += [
            poolsSection(pools, frozen: frozen),
            agentsSection(agents, pools: pools),
            alertsSection(),
            decisionsSection(),
            frozenSection(frozen, pools: pools),
            ledgerSection(totals),
        ]
        return StatusView(
            systemID: systemID, generatedAt: time.description, refreshSeconds: refreshSeconds,
            summary: summary(totals: totals, pools: pools, agents: agents, sync: sync, frozen: frozen),
            sections: sections)
    }

    // MARK: Headline

    private func summary(
        totals: LedgerTotals, pools: [PoolSnapshot], agents: AgentDigest, sync: SyncStatusBody?, frozen: Set<PoolID>
    ) -> [StatusView.Cell] {
        var cells = [
            totals.isBalanced
                ? StatusView.Cell("ledger balanced", tone: .good) : StatusView.Cell("ledger NOT BALANCED", tone: .bad),
            StatusView.Cell("\(Self.count(pools.count, "pool")), \(Self.count(agents.count, "agent"))"),
        ]
        let (critical, warning) = (agents.critical, agents.warning)
        if critical > 0 { cells.append(StatusView.Cell("\(Self.count(critical, "agent")) critical", tone: .bad)) }
        if warning > 0 { cells.append(StatusView.Cell("\(Self.count(warning, "agent")) at warning", tone: .warn)) }
        if !frozen.isEmpty { cells.append(StatusView.Cell("\(Self.count(frozen.count, "pool")) frozen", tone: .warn)) }
        if let sync {
            let alive = sync.peers.count(where: { $0.state == "alive" })
            let down = sync.peers.count - alive
            cells.append(
                StatusView.Cell(
                    "\(alive) of \(sync.peers.count) peers alive",
                    tone: down == 0 ? .good : (alive == 0 ? .bad : .warn)))
        } else {
            cells.append(StatusView.Cell("no federation", tone: .muted))
        }
        return cells
    }

    // MARK: Federation

    private func peersSection(sync: SyncStatusBody?, records: [PeerRecord], now: Timestamp) -> StatusView.Section {
        let addresses = Dictionary(records.map { ($0.systemID.rawValue, $0) }, uniquingKeysWith: { first, _ in first })
        let rows = (sync?.peers ?? []).map { peer -> [StatusView.Cell] in
            let record = addresses[peer.systemID]
            let disagreements = "\(peer.disagreementsFound) / \(peer.disagreementsRepaired)"
            return [
                StatusView.Cell(peer.systemID), StatusView.Cell(record?.address ?? "-"),
                StatusView.Cell(peer.state, tone: Self.tone(liveness: peer.state)),
                StatusView.Cell(peer.trustLevel, numeric: true),
                StatusView.Cell(
                    peer.effectiveTrust, tone: peer.effectiveTrust == peer.trustLevel ? nil : .warn, numeric: true),
                StatusView.Cell(peer.lastSync ?? "never", tone: peer.lastSync == nil ? .muted : nil),
                .number(peer.versionsBehind),
                StatusView.Cell(String(peer.pendingTransfers), tone: peer.pendingTransfers > 0 ? .warn : nil, numeric: true),
                StatusView.Cell(disagreements, numeric: true),
                StatusView.Cell(record?.lastContact?.description ?? "never", tone: record?.lastContact == nil ? .muted : nil),
                StatusView.Cell(peer.lastError ?? "", tone: peer.lastError == nil ? nil : .bad),
            ]
        }
        return StatusView.Section(
            id: "sync", title: "Peers and sync",
            columns: [
                "peer", "address", "state", "trust", "effective trust", "last sync", "versions behind",
                "pending transfers", "disagreements found / repaired", "last contact", "last error",
            ],
            rows: rows, empty: sync == nil ? Self.noFederation : "No peers registered.",
            note: sync.map { "Gossip generation \($0.generation), version \($0.version)." })
    }

    private func federationSections(pools: [PoolSnapshot]) async -> [StatusView.Section] {
        // Grants are read only for the pools shown.
        let federated = pools.filter { $0.pool.metadata["federated"] == "true" }
        var grants: [(PoolSnapshot, [String: GrantBody])] = []
        var lines: [SettlementService.CreditLineStatus] = []
        var transactions: [FederationTransactionBody] = []
        if let settlement {
            for pool in federated.prefix(Self.rows) {
                grants.append((pool, await settlement.grantBodies(pool.pool.id)))
            }
            lines = await settlement.creditLineStatus()
            transactions = await settlement.recentTransactions(limit: Self.recent)
        }
        let empty = settlement == nil ? Self.noFederation : nil
        let grantRows = grants.flatMap { pool, grants in
            grants.sorted { $0.key < $1.key }.map { peer, grant -> [StatusView.Cell] in
                [
                    StatusView.Cell(pool.pool.name), StatusView.Cell(pool.pool.id.rawValue),
                    .amount(pool.total), .amount(pool.available), StatusView.Cell(peer), .amount(grant.requested),
                    .amount(grant.granted), StatusView.Cell(grant.status, tone: Self.tone(status: grant.status)),
                    StatusView.Cell(grant.reason ?? ""),
                ]
            }
        }
        let lineRows = lines.map { line -> [StatusView.Cell] in
            [
                StatusView.Cell(line.peer.rawValue),
                line.offer.map { StatusView.Cell.amount($0) } ?? StatusView.Cell("none", tone: .muted, numeric: true),
                .amount(line.used),
                line.grantedToUs.map { StatusView.Cell.amount($0) } ?? StatusView.Cell("unknown", tone: .muted, numeric: true),
                .amount(line.drawnByUs), .amount(line.returning),
            ]
        }
        let transactionRows = transactions.map { transaction -> [StatusView.Cell] in
            [
                StatusView.Cell(transaction.createdAt), StatusView.Cell(transaction.transactionID),
                StatusView.Cell(transaction.direction), StatusView.Cell(transaction.kind), StatusView.Cell(transaction.peer),
                StatusView.Cell(transaction.agentID), .amount(transaction.amount),
                StatusView.Cell(transaction.status, tone: Self.tone(status: transaction.status)),
                StatusView.Cell(transaction.reason ?? ""), StatusView.Cell(transaction.settledAt ?? ""),
            ]
        }
        return [
            StatusView.Section(
                id: "federated-pools", title: "Federated pools and grants",
                columns: ["pool", "pool id", "total", "available", "peer", "requested", "granted", "status", "reason"],
                rows: grantRows, empty: empty ?? "No federated pools.",
                note: federated.count > Self.rows
                    ? "The first \(Self.rows) of \(federated.count) federated pools; GET /v1/federated-pools/{id} shows each."
                    : nil),
            StatusView.Section(
                id: "credit-lines", title: "Credit lines",
                columns: [
                    "peer", "we offer (before trust)", "peer drew from us", "peer grants us", "we drew from peer",
                    "we are returning",
                ],
                rows: lineRows, empty: empty ?? "No credit lines either way."),
            StatusView.Section(
                id: "federation-transactions", title: "Federation transactions (newest first, pending highlighted)",
                columns: [
                    "created", "transaction", "direction", "kind", "peer", "agent", "amount", "status", "reason", "settled",
                ],
                rows: transactionRows, empty: empty ?? "No federation transactions yet.",
                note: transactions.count == Self.recent
                    ? "The newest \(Self.recent); GET /v1/federation/transactions pages through all." : nil),
        ]
    }

    // MARK: Budgets

    private func poolsSection(_ pools: [PoolSnapshot], frozen: Set<PoolID>) -> StatusView.Section {
        let rows = pools.prefix(Self.rows).map { pool -> [StatusView.Cell] in
            let usage = UsageLevel.of(used: pool.spentThisPeriod, budget: pool.total)
            let isFrozen = frozen.contains(pool.pool.id)
            return [
                StatusView.Cell(pool.pool.name), StatusView.Cell(pool.pool.id.rawValue),
                StatusView.Cell(pool.pool.priority.description, numeric: true), .amount(pool.total),
                .amount(pool.available), .amount(pool.allocated), .amount(pool.spentThisPeriod),
                StatusView.Cell(
                    Self.percent(pool.spentThisPeriod.basisPoints(of: pool.total)), tone: Self.tone(usage: usage),
                    numeric: true),
                StatusView.Cell(
                    [isFrozen ? "frozen" : nil, pool.pool.metadata["federated"] == "true" ? "federated" : nil]
                        .compactMap { $0 }.joined(separator: ", "), tone: isFrozen ? .warn : nil),
            ]
        }
        return StatusView.Section(
            id: "pools", title: "Pools",
            columns: [
                "name", "id", "priority", "total", "available", "allocated", "spent this period", "used", "state",
            ],
            rows: rows, empty: "No pools.",
            note: pools.count > Self.rows ? "The first \(Self.rows) of \(pools.count); GET /v1/pools pages through all." : nil)
    }

    /// The agents nearest their limits first: by alert level, then by used share.
    private func agentsSection(_ agents: AgentDigest, pools: [PoolSnapshot]) -> StatusView.Section {
        let names = Dictionary(pools.map { ($0.pool.id, $0.pool.name) }, uniquingKeysWith: { first, _ in first })
        let rows = agents.nearest.map { agent, basisPoints -> [StatusView.Cell] in
            let level = agent.agent.alertLevel
            return [
                StatusView.Cell(agent.agent.id.rawValue), StatusView.Cell(names[agent.agent.poolID] ?? agent.agent.poolID.rawValue),
                StatusView.Cell(agent.agent.priority.rawValue), .amount(agent.total), .amount(agent.available),
                .amount(agent.reserved), .amount(agent.spentThisPeriod),
                StatusView.Cell(Self.percent(basisPoints), tone: Self.tone(usage: level), numeric: true),
                StatusView.Cell(level.name, tone: Self.tone(usage: level)),
            ]
        }
        return StatusView.Section(
            id: "agents", title: "Agents (nearest their limits first)",
            columns: ["agent", "pool", "priority", "budget", "available", "reserved", "spent this period", "used", "alert"],
            rows: rows, empty: "No agents.",
            note: agents.count > Self.rows
                ? "The \(Self.rows) nearest their limits of \(agents.count); GET /v1/agents pages through all." : nil)
    }

    private func alertsSection() -> StatusView.Section {
        let alerts = (try? operations.store.alertPage(agent: nil, before: nil, limit: Self.recent)) ?? []
        let rows = alerts.map { row -> [StatusView.Cell] in
            let alert = row.item
            return [
                StatusView.Cell(alert.createdAt.description), StatusView.Cell(alert.agentID.rawValue),
                StatusView.Cell(alert.poolID.rawValue), StatusView.Cell(alert.level.name, tone: Self.tone(usage: alert.level)),
                StatusView.Cell(Self.percent(alert.usageBasisPoints), numeric: true), .amount(alert.used),
                .amount(alert.budget), StatusView.Cell(alert.transferID.rawValue),
            ]
        }
        return StatusView.Section(
            id: "alerts", title: "Recent alerts",
            columns: ["at", "agent", "pool", "level", "used", "used amount", "budget", "transfer"],
            rows: rows, empty: "No alerts.",
            note: rows.count == Self.recent ? "The newest \(Self.recent); GET /v1/alerts pages through all." : nil)
    }

    private func decisionsSection() -> StatusView.Section {
        let decisions = (try? operations.store.decisionPage(pool: nil, before: nil, limit: Self.recent)) ?? []
        let rows = decisions.map { row -> [StatusView.Cell] in
            let decision = row.item
            return [
                StatusView.Cell(decision.at.description), StatusView.Cell(decision.policy),
                StatusView.Cell(decision.poolID?.rawValue ?? ""), StatusView.Cell(decision.agentID?.rawValue ?? ""),
                .amount(decision.oldValue), .amount(decision.newValue), StatusView.Cell(decision.reason),
                StatusView.Cell(decision.actor ?? "node", tone: decision.actor == nil ? .muted : nil),
            ]
        }
        return StatusView.Section(
            id: "decisions", title: "Recent policy decisions",
            columns: ["at", "policy", "pool", "agent", "old", "new", "reason", "by"],
            rows: rows, empty: "No decisions logged.",
            note: rows.count == Self.recent ? "The newest \(Self.recent); GET /v1/decisions pages through all." : nil)
    }

    private func frozenSection(_ frozen: Set<PoolID>, pools: [PoolSnapshot]) -> StatusView.Section {
        let names = Dictionary(pools.map { ($0.pool.id, $0.pool.name) }, uniquingKeysWith: { first, _ in first })
        let rows = frozen.sorted().prefix(Self.rows).map { pool -> [StatusView.Cell] in
            [StatusView.Cell(pool.rawValue), StatusView.Cell(names[pool] ?? ""), StatusView.Cell("frozen", tone: .warn)]
        }
        return StatusView.Section(
            id: "frozen-pools", title: "Frozen pools (no automatic policy changes)", columns: ["pool id", "name", "state"],
            rows: rows, empty: "No pool is frozen.")
    }

    private func ledgerSection(_ totals: LedgerTotals) -> StatusView.Section {
        let body = LedgerCheckBody(totals)
        let overdrawn = body.overdrawnAccounts.prefix(10).joined(separator: ", ")
        let rows: [[StatusView.Cell]] = [
            [
                StatusView.Cell("balanced"),
                body.balanced ? StatusView.Cell("yes", tone: .good) : StatusView.Cell("NO", tone: .bad),
            ],
            [StatusView.Cell("accounts"), .number(body.accounts)],
            [StatusView.Cell("debits posted"), StatusView.Cell(body.debits, numeric: true)],
            [StatusView.Cell("credits posted"), StatusView.Cell(body.credits, numeric: true)],
            [StatusView.Cell("debits pending"), StatusView.Cell(body.debitsPending, numeric: true)],
            [StatusView.Cell("credits pending"), StatusView.Cell(body.creditsPending, numeric: true)],
            [
                StatusView.Cell("overdrawn accounts"),
                StatusView.Cell(overdrawn.isEmpty ? "none" : overdrawn, tone: overdrawn.isEmpty ? .good : .bad),
            ],
        ]
        return StatusView.Section(
            id: "ledger", title: "Ledger check", columns: ["check", "value"], rows: rows, empty: "",
            note: "Sums over every account in memory; GET /v1/ledger/check?full=true also compares the journal.")
    }

    // MARK: Texts and tones

    static let noFederation = "This node has no federation section in its config."

    /// `1 pool`, `2 pools`.
    static func count(_ number: Int, _ noun: String) -> String {
        "\(number) \(noun)\(number == 1 ? "" : "s")"
    }

    /// `7650` as `76.50%`.
    static func percent(_ basisPoints: Int64) -> String {
        AlertBody.percentText(basisPoints) + "%"
    }

    static func tone(usage: UsageLevel) -> StatusView.Tone? {
        switch usage {
        case .normal: nil
        case .warning: .warn
        case .critical: .bad
        }
    }

    static func tone(liveness: String) -> StatusView.Tone? {
        switch liveness {
        case "alive": .good
        case "suspect": .warn
        case "dead": .bad
        default: nil
        }
    }

    /// A transaction's or a grant's status: `pending` waits, `rejected` failed.
    static func tone(status: String) -> StatusView.Tone? {
        switch status {
        case "pending": .warn
        case "rejected": .bad
        case "accepted", "returned": .good
        default: nil
        }
    }
}

/// What the status page shows of the agents, taken in one pass while the committed view is held:
/// the `rows` nearest their limits (by alert level, then by the share of the budget used or
/// reserved, then by id), and how many there are in all and at each alert level. No list of every
/// agent is made or sorted, so a refresh holds the view about as long as one scan of the agents.
public struct AgentDigest: Sendable {
    /// The agents nearest their limits, nearest first, with the share used in basis points.
    public private(set) var nearest: [(snapshot: AgentSnapshot, basisPoints: Int64)]
    public private(set) var count = 0
    public private(set) var critical = 0
    public private(set) var warning = 0

    public init(_ book: some BudgetReading, rows: Int) {
        // Only what ranks an agent is kept while the agents go by; the snapshots shown are taken
        // again for the winners.
        typealias Rank = (level: UsageLevel, basisPoints: Int64, id: AgentID)
        var selection = BoundedSelection<Rank>(capacity: rows) { left, right in
            (left.level, left.basisPoints, right.id) > (right.level, right.basisPoints, left.id)
        }
        for (id, agent) in book.agents {
            let snapshot = book.agentSnapshot(of: agent)
            count += 1
            switch agent.alertLevel {
            case .critical: critical += 1
            case .warning: warning += 1
            default: break
            }
            selection.offer((agent.alertLevel, Self.basisPoints(snapshot), id))
        }
        nearest = selection.sorted().compactMap { rank in
            book.agentSnapshot(rank.id).map { ($0, rank.basisPoints) }
        }
    }

    /// The share of the budget spent this period or reserved, in basis points.
    static func basisPoints(_ agent: AgentSnapshot) -> Int64 {
        Amount(clamping: Int128(agent.spentThisPeriod.micros) + Int128(agent.reserved.micros)).basisPoints(of: agent.total)
    }
}
