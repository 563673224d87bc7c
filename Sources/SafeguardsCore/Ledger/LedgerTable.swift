/// What a ledger table holds: a value with an id of its own.
public protocol LedgerRow: Sendable, Equatable {
    associatedtype ID: Hashable & Sendable
    var id: ID { get }
}

extension Account: LedgerRow {}
extension Transfer: LedgerRow {}

/// Where a row sits in its ``LedgerTable``: an index that never changes while the row exists,
/// so the ledger's own paths reach an account or a transfer without hashing its id.
struct Slot<Row>: Hashable, Sendable {
    let raw: Int32

    init(_ index: Int) {
        // More than 2^31 accounts or transfers held in memory would need hundreds of gigabytes first.
        raw = Int32(index)
    }

    var index: Int { Int(raw) }
}

typealias AccountSlot = Slot<Account>
typealias TransferSlot = Slot<Transfer>

/// The ledger's accounts, by slot and by id.
public typealias AccountTable = LedgerTable<Account>
/// The ledger's transfers, by slot and by id.
public typealias TransferTable = LedgerTable<Transfer>

/// Accounts or transfers, kept in one array in the order they were added and found by id
/// through an index.
///
/// In the style of TigerBeetle, which keys accounts and transfers by 128-bit integers: a command
/// that knows a row's ``Slot`` (an agent's budget account, a reservation once its id was looked
/// up) indexes the array and never builds or hashes an id string again. The id index serves the
/// edge: ``subscript(_:)`` for the API and for operations that name rows by id, and
/// ``claimSlot(for:)``, which checks that a new transfer's id is unused and takes it in one
/// look-up. The index (``SlotIndex``) keeps no copy of the ids.
public struct LedgerTable<Row: LedgerRow>: Sendable {
    private(set) var rows: [Row] = []
    private var index = SlotIndex()

    public init() {}

    /// How many rows there are.
    public var count: Int { rows.count }
    public var isEmpty: Bool { rows.isEmpty }
    /// Every row, in the order added.
    public var values: [Row] { rows }
    /// Every row's id, in the order added.
    public var keys: [Row.ID] { rows.map(\.id) }

    /// The row with `id`, if there is one.
    public subscript(id: Row.ID) -> Row? {
        slot(of: id).map { rows[$0.index] }
    }

    func slot(of id: Row.ID) -> Slot<Row>? {
        index.slot(of: id) { rows[$0].id }.map(Slot.init)
    }

    subscript(slot slot: Slot<Row>) -> Row {
        // Read and changed in place: reading one field does not copy the row.
        _read { yield rows[slot.index] }
        _modify { yield &rows[slot.index] }
    }

    /// What ``claimSlot(for:)`` found.
    enum Claim {
        /// The id is new: the next slot is held for it until ``append(_:)`` fills it or
        /// ``releaseClaim(for:)`` gives it back.
        case claimed(Slot<Row>)
        /// The id belongs to an existing row, at this slot.
        case taken(Slot<Row>)
    }

    /// Looks `id` up and, when it is new, holds the next slot for it, with one hash of the id.
    /// Until the claim is filled or released, the index names a slot past the end of the rows.
    mutating func claimSlot(for id: Row.ID) -> Claim {
        // A second reference to the rows for the index to read ids through; it ends with this
        // call, before the rows change, so it never forces a copy.
        let rows = self.rows
        guard let existing = index.slotOrInsert(id, newSlot: rows.count, idAt: { rows[$0].id }) else {
            return .claimed(Slot(rows.count))
        }
        return .taken(Slot(existing))
    }

    /// Gives back a claim that will not be filled (the row was refused).
    mutating func releaseClaim(for id: Row.ID) {
        index.remove(id, at: rows.count)
    }

    /// Fills the slot claimed for `row.id`.
    mutating func append(_ row: Row) {
        rows.append(row)
    }

    /// Adds a row whose id is not in the table yet; returns its slot, or nil (changing nothing)
    /// when the id is already there.
    mutating func insert(_ row: Row) -> Slot<Row>? {
        guard case .claimed(let slot) = claimSlot(for: row.id) else { return nil }
        append(row)
        return slot
    }

    /// Takes back the row added last (a linked batch that failed added it).
    mutating func removeLast() {
        let row = rows.removeLast()
        index.remove(row.id, at: rows.count)
    }
}

extension LedgerTable: Equatable {
    /// The same rows, in whatever order they were added.
    public static func == (lhs: LedgerTable, rhs: LedgerTable) -> Bool {
        lhs.count == rhs.count && lhs.rows.allSatisfy { rhs[$0.id] == $0 }
    }
}

/// The accounts a transfer debits and credits, by slot.
struct TransferLegs: Sendable, Hashable {
    let debit: AccountSlot
    let credit: AccountSlot
}
