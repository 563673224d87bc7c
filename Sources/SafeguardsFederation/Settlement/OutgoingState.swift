import SafeguardsCore

/// Where a transfer or return this node started stands.
///
/// ```
/// pending(attempts, nextRetryAt) ──receipt accepted──▶ accepted(receipt)
///        │  ▲ tick: send again                        (final)
///        └──┘ ──receipt rejected──▶ rejected(receipt) (final)
/// ```
/// Only the giver's receipt moves it out of pending; the requester never gives up on its own,
/// because the giver may have accepted a copy it has not heard about ("the giver decides").
public enum OutgoingState: Sendable, Hashable {
    /// Sent `attempts` times since the last start; next sent at `nextRetryAt`. Volatile fields:
    /// a restart sends every pending request at once and starts counting again.
    case pending(attempts: Int, nextRetryAt: Timestamp)
    /// The giver accepted; the receipt is stored as evidence.
    case accepted(TransferReceipt)
    /// The giver rejected; nothing moved.
    case rejected(TransferReceipt)

    /// The stored receipt once decided.
    public var receipt: TransferReceipt? {
        switch self {
        case .pending: return nil
        case .accepted(let receipt), .rejected(let receipt): return receipt
        }
    }

    /// Whether the giver's answer is still awaited.
    public var isPending: Bool { receipt == nil }
}

/// A transfer or return this node started, with where it stands.
public struct OutgoingEntry: Sendable, Hashable {
    /// What was asked (immutable).
    public var transfer: OutgoingTransfer
    /// Where it stands.
    public var state: OutgoingState

    /// An entry with both fields.
    public init(transfer: OutgoingTransfer, state: OutgoingState) {
        self.transfer = transfer
        self.state = state
    }
}
