import Synchronization
import SafeguardsCore

/// A ``SettlementHistory`` over records kept in memory, for the simulator and tests: what a store
/// would find behind its index after the records were written. Shared by reference, like a disk:
/// the machine reads it, the one that persists records writes it.
public final class RecordedSettlementHistory: SettlementHistory {
    private struct Key: Hashable {
        var peer: SystemID
        var transactionID: TransferID
    }

    private struct Stored {
        var decisions: [Key: IncomingDecision] = [:]
        var settled: [TransferID: OutgoingEntry] = [:]
    }

    private let stored = Mutex(Stored())

    /// An empty history.
    public init() {}

    /// Keeps `record` if it is one the machine may forget (a decision or a settled transfer).
    public func write(_ record: SettlementRecord) {
        stored.withLock { stored in
            switch record {
            case .incomingDecided(let decision):
                stored.decisions[Key(peer: decision.peer, transactionID: decision.receipt.transactionID)] = decision
            case .outgoingSettled(let transfer, let receipt):
                stored.settled[transfer.transactionID] = OutgoingEntry(
                    transfer: transfer, state: receipt.isAccepted ? .accepted(receipt) : .rejected(receipt))
            case .outgoingCreated, .incomingRefused:
                break
            }
        }
    }

    public func decision(from peer: SystemID, _ transactionID: TransferID) throws(SettlementHistoryUnavailable)
        -> IncomingDecision?
    {
        stored.withLock { $0.decisions[Key(peer: peer, transactionID: transactionID)] }
    }

    public func settled(_ transactionID: TransferID) throws(SettlementHistoryUnavailable) -> OutgoingEntry? {
        stored.withLock { $0.settled[transactionID] }
    }
}
