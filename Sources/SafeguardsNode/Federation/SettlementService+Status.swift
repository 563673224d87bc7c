import SafeguardsAPI
import SafeguardsCore
import SafeguardsFederation
import SafeguardsStore

/// What the status page shows of the settlement books: credit lines both ways, and the pools
/// that peers back.
extension SettlementService {
    /// One peer's credit lines: the one this node gives it, and the one it gives this node.
    struct CreditLineStatus: Sendable {
        var peer: SystemID
        /// The line this node offers the peer (before trust); nil when it offers none.
        var offer: Amount?
        /// What the peer drew from it and has not returned.
        var used: Amount
        /// What the peer told us it grants; nil when not known.
        var grantedToUs: Amount?
        /// What this node drew from the peer and has not returned.
        var drawnByUs: Amount
        /// What this node is returning, not yet decided.
        var returning: Amount
    }

    /// Every peer with a credit line either way, in id order. What a peer grants us is what it
    /// last said it grants, else the sum of its accepted grants to our federated pools.
    func creditLineStatus() -> [CreditLineStatus] {
        var granted: [SystemID: Amount] = [:]
        for entry in grants.outgoing.values {
            guard let grant = entry.grant, grant.status == .accepted else { continue }
            granted[grant.giver] = Amount.clampedSum([granted[grant.giver] ?? .zero, grant.granted])
        }
        let peers = Set(machine.creditLines.keys).union(machine.creditTaken.keys).union(granted.keys).sorted()
        return peers.map { peer in
            let line = machine.creditLines[peer]
            let taken = machine.creditTaken[peer] ?? CreditTaken()
            return CreditLineStatus(
                peer: peer, offer: line?.offer, used: line?.used ?? .zero, grantedToUs: taken.granted ?? granted[peer],
                drawnByUs: taken.drawn, returning: taken.returning)
        }
    }

    /// The newest `limit` transactions with every peer, newest first, without their receipts.
    func recentTransactions(limit: Int) -> [FederationTransactionBody] {
        let page = PageRequest(list: "transactions", limit: limit)
        return ((try? transactions(peer: nil, page: page))?.transactions ?? []).map { transaction in
            var transaction = transaction
            transaction.receipt = nil
            return transaction
        }
    }
}
