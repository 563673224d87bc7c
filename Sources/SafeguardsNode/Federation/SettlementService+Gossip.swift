import Logging
import SafeguardsAPI
import SafeguardsCore
import SafeguardsFederation

/// What gossip tells peers about this node's settlements, and reconciliation when they disagree.
extension SettlementService {
    /// What this node's gossip record says about its federation books.
    struct GossipView: Sendable {
        var creditGiven: [String: Amount]
        var creditTaken: [String: Amount]
        var digests: [String: SettlementDigest]
        var pending: Int
    }

    func gossipView(peers: [SystemID]) -> GossipView {
        var view = GossipView(creditGiven: [:], creditTaken: [:], digests: [:], pending: machine.pendingCount)
        for (peer, line) in machine.creditLines { view.creditGiven[peer.rawValue] = line.used }
        for (peer, taken) in machine.creditTaken { view.creditTaken[peer.rawValue] = taken.drawn }
        for peer in peers { view.digests[peer.rawValue] = settlementDigest(with: peer) }
        return view
    }

    func settlementDigest(with peer: SystemID) -> SettlementDigest {
        if let known = digests[peer] { return known }
        let digest = machine.settlementDigest(with: peer)
        digests[peer] = digest
        return digest
    }

    /// A peer's digest disagrees with ours: ask it about every transfer to it still pending here.
    func reconcile(with peer: SystemID) async {
        let stepped = await step { $0.reconciliationQueries(with: peer) }
        guard !stepped.directives.isEmpty else { return }
        logger.info("reconciling with a peer", metadata: ["peer.system_id": "\(peer)", "pending": "\(stepped.directives.count)"])
        await complete(stepped, evidence: nil)
    }

    func repairedCount(with peer: SystemID) -> Int { repaired[peer] ?? 0 }

    func pendingCount(with peer: SystemID) -> Int {
        machine.pendingTransactionIDs(with: peer).count
    }

}
