import SafeguardsCore

/// The journal as the ledger's ``TransferArchive``: where a transfer that left memory is found
/// by id. Reads go through the store's reader connections (WAL), never the commit queue's, and
/// see only committed rows, which is all the ledger ever evicts.
final class JournalArchive: TransferArchive {
    let store: LedgerStore

    init(store: LedgerStore) { self.store = store }

    func transfer(_ id: TransferID) -> Transfer? {
        // A failed read answers "not found": a new transfer under a stored id is then refused
        // by the journal's unique index when its group commits (see ``TransferArchive``).
        (try? store.transfer(id)) ?? nil
    }

    func transfers(withIDPrefix prefix: String, limit: Int) -> [Transfer] {
        (try? store.transfers(withIDPrefix: prefix, limit: limit)) ?? []
    }
}
