import SafeguardsAPI
import SafeguardsCore
import SafeguardsFederation
import SafeguardsStore

/// How the settlement shell keeps its machine small: every settlement record is written with its
/// transaction's index row and its change to the peer's totals (the checkpoint), a start loads the
/// totals and the pending transfers only, and a decided id that left memory is read back through
/// the index (``StoredSettlementHistory``).
extension FederationRecordCoding {
    /// The index row and totals change written with `record`; `nil` for a refusal
    /// (kept in its own bounded table, which indexes it itself).
    static func index(_ record: SettlementRecord) -> FederationSettlementIndex? {
        let change = SettlementTotals.Change(record)
        let (direction, id, pending): (String, TransferID, Bool)
        switch record {
        case .outgoingCreated(let transfer): (direction, id, pending) = ("outgoing", transfer.transactionID, true)
        case .outgoingSettled(let transfer, _): (direction, id, pending) = ("outgoing", transfer.transactionID, false)
        case .incomingDecided(let decision): (direction, id, pending) = ("incoming", decision.receipt.transactionID, false)
        case .incomingRefused: return nil
        }
        return FederationSettlementIndex(
            direction: direction, transactionID: id.rawValue, isPending: pending, creditUsed: change.creditUsed,
            drawn: change.drawn, digestCount: change.digest.count, digestLanes: change.digest.lanes)
    }

    /// The settlement entry a stored record holds, if it is one.
    static func settlement(_ stored: FederationRecord) -> SettlementEntry? {
        guard stored.kind == settlement else { return nil }
        return decode(SettlementEntry.self, stored.body)
    }
}

/// The decided records a node's machine no longer holds, read from SQLite through the
/// transaction index (its unique key leads with the id), one indexed read per lookup.
final class StoredSettlementHistory: SettlementHistory {
    let store: LedgerStore

    init(store: LedgerStore) { self.store = store }

    func decision(from peer: SystemID, _ transactionID: TransferID) throws(SettlementHistoryUnavailable)
        -> IncomingDecision?
    {
        for entry in try entries(transactionID) {
            if case .incomingDecided(let decision) = entry.record, decision.peer == peer { return decision }
        }
        return nil
    }

    func settled(_ transactionID: TransferID) throws(SettlementHistoryUnavailable) -> OutgoingEntry? {
        for entry in try entries(transactionID) {
            if case .outgoingSettled(let transfer, let receipt) = entry.record {
                return OutgoingEntry(transfer: transfer, state: receipt.isAccepted ? .accepted(receipt) : .rejected(receipt))
            }
        }
        return nil
    }

    private func entries(_ transactionID: TransferID) throws(SettlementHistoryUnavailable)
        -> [FederationRecordCoding.SettlementEntry]
    {
        let found: [LedgerStore.IndexedTransaction]
        do { found = try store.federationTransactions(id: transactionID) } catch {
            throw SettlementHistoryUnavailable("\(error)")
        }
        var entries: [FederationRecordCoding.SettlementEntry] = []
        for record in found.compactMap(\.record) {
            guard let entry = FederationRecordCoding.settlement(record) else {
                throw SettlementHistoryUnavailable("federation record of \(transactionID) cannot be read")
            }
            entries.append(entry)
        }
        return entries
    }
}

extension SettlementService {
    /// What the store holds of the federation that a start needs: each peer's totals, the pending
    /// transfers, the refusals still kept with each peer's horizon, and the grant book. Settled
    /// and decided records stay on disk.
    struct Stored {
        var totals: [SystemID: SettlementTotals] = [:]
        var pending: [OutgoingTransfer] = []
        var refusals: [IncomingRefusal] = []
        var refusalHorizons: [SystemID: Timestamp] = [:]
        var grants = GrantBook()
    }

    /// Reads the checkpoint (completing it first from a database written before it existed).
    static func load(_ store: LedgerStore) throws -> Stored {
        try store.completeFederationCheckpoint { stored in
            FederationRecordCoding.settlement(stored).flatMap { FederationRecordCoding.index($0.record) }
        }
        var loaded = Stored()
        loaded.totals = try store.federationTotals()
        for stored in try store.pendingFederationRecords() {
            guard let entry = FederationRecordCoding.settlement(stored), case .outgoingCreated(let transfer) = entry.record
            else { throw NodeStartupError("pending federation record \(stored.recordID) cannot be read") }
            loaded.pending.append(transfer)
        }
        let kinds = [FederationRecordCoding.proposal, FederationRecordCoding.grantLearned, FederationRecordCoding.grantDecided]
        for stored in try store.federationRecords(kinds: kinds) {
            switch stored.kind {
            case FederationRecordCoding.proposal:
                guard let entry = FederationRecordCoding.decode(GrantBook.Outgoing.self, stored.body) else {
                    throw NodeStartupError("grant proposal \(stored.recordID) cannot be read")
                }
                loaded.grants.recordProposal(entry.proposal, pool: entry.poolID)
            case FederationRecordCoding.grantLearned:
                guard let grant = FederationRecordCoding.decode(AllocationGrant.self, stored.body) else {
                    throw NodeStartupError("grant \(stored.recordID) cannot be read")
                }
                loaded.grants.recordGrant(grant)
            default:
                guard let grant = FederationRecordCoding.decode(AllocationGrant.self, stored.body) else {
                    throw NodeStartupError("grant decision \(stored.recordID) cannot be read")
                }
                loaded.grants.recordDecision(grant)
            }
        }
        let refusals = try store.federationRefusals()
        loaded.refusals = refusals.refusals
        loaded.refusalHorizons = refusals.horizons
        return loaded
    }

    /// The machine the store's checkpoint describes.
    static func restoredMachine(_ stored: Stored, configuration: SettlementConfiguration, store: LedgerStore) throws
        -> SettlementMachine
    {
        try SettlementMachine(
            configuration: configuration, totals: stored.totals, pending: stored.pending, refusals: stored.refusals,
            refusalHorizons: stored.refusalHorizons, history: StoredSettlementHistory(store: store))
    }
}

extension SettlementService {
    /// How many transfers and decisions the machine holds in memory (pending ones, and decided
    /// ones whose records are still being written): what settling more does not grow.
    public var heldRecordCount: Int { machine.heldRecordCount }
}
