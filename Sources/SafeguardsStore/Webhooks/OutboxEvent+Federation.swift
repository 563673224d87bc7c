import SafeguardsCore
import SafeguardsFederation

/// The federation's events: `federation.request_rejected` on both sides of a remote request,
/// and `peer.dead`.
extension OutboxEvent {
    /// This node, the giver, refused `refusal` (written with the refusal's row).
    public static func requestRefused(_ refusal: IncomingRefusal) -> OutboxEvent {
        OutboxEvent(
            id: "evt_rejected_in_\(refusal.peer)_\(refusal.transactionID)", type: .federationRequestRejected,
            createdAt: refusal.decidedAt,
            data: [
                "direction": "incoming", "peer": refusal.peer.rawValue,
                "transaction_id": refusal.transactionID.rawValue,
                "kind": refusal.kind.rawValue, "agent_id": refusal.agentID.rawValue,
                "amount": refusal.amount.description,
                "reason": refusal.reason.rawValue,
            ])
    }

    /// The peer rejected this node's request `transfer` (written with the settled record).
    public static func requestRejected(_ transfer: OutgoingTransfer, receipt: TransferReceipt) -> OutboxEvent {
        OutboxEvent(
            id: "evt_rejected_out_\(transfer.transactionID)", type: .federationRequestRejected,
            createdAt: receipt.decidedAt,
            data: [
                "direction": "outgoing", "peer": transfer.peer.rawValue,
                "transaction_id": transfer.transactionID.rawValue,
                "kind": transfer.kind.rawValue, "agent_id": transfer.agentID.rawValue,
                "amount": transfer.amount.description, "reason": receipt.reason?.rawValue ?? "",
            ])
    }

    /// Gossip has not heard `peer`'s heartbeat for `gossip.dead_after` and declared it dead at
    /// `at`: one event each time the peer goes dead.
    public static func peerDead(_ peer: SystemID, at: Timestamp) -> OutboxEvent {
        OutboxEvent(
            id: "evt_peer_dead_\(peer)_\(at.millisecondsSince1970)", type: .peerDead, createdAt: at,
            data: ["peer": peer.rawValue, "liveness": "dead"])
    }
}
