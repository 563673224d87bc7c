/// What a ledger table holds: a value with an id of its own.
public protocol LedgerRow: Sendable, Equatable {
    associatedtype ID: Hashable & Sendable
    var id: ID { get }
    /// What a slot holds after its row left the table (``LedgerTable/vacate(_:)``): one shared
    /// value that holds nothing of the row that was there.
    static var vacancy: Self { get }
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
///
/// A row can leave (``vacate(_:)``, for transfers outside the ledger's window): its slot then
/// holds ``LedgerRow/vacancy`` and is reused by the next row added, so the array stays as long
/// as the most rows held at once, not as long as history.
public struct LedgerTable<Row: LedgerRow>: Sendable {
    private(set) var rows: [Row] = []
    private var index = SlotIndex()
    /// Slots whose row left, reused last-in first-out by the next rows added.
    private var vacantSlots: [Int32] = []
    /// Whether each slot holds a row (false for a vacated one), for the passes over every row.
    private var occupied: [Bool] = []

    public init() {}

    /// How many rows there are.
    public var count: Int { rows.count - vacantSlots.count }
    public var isEmpty: Bool { count == 0 }
    /// How many slots the table has, vacant ones included: what its memory is sized by.
    public var capacity: Int { rows.count }
    /// Every row, in slot order.
    public var values: [Row] {
        vacantSlots.isEmpty ? rows : rows.indices.lazy.filter { occupied[$0] }.map { rows[$0] }
    }
    /// Every row's id, in slot order.
    public var keys: [Row.ID] { values.map(\.id) }

    /// The slot the next added row takes.
    private var nextSlot: Int { vacantSlots.last.map(Int.init) ?? rows.count }

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
    /// Until the claim is filled or released, the index names a slot that holds no row.
    mutating func claimSlot(for id: Row.ID) -> Claim {
        // A second reference to the rows for the index to read ids through; it ends with this
        // call, before the rows change, so it never forces a copy.
        let rows = self.rows
        let newSlot = nextSlot
        guard let existing = index.slotOrInsert(id, newSlot: newSlot, idAt: { rows[$0].id }) else {
            return .claimed(Slot(newSlot))
        }
        return .taken(Slot(existing))
    }

    /// Gives back a claim that will not be filled (the row was refused).
    mutating func releaseClaim(for id: Row.ID) {
        index.remove(id, at: nextSlot)
    }

    /// Fills the slot claimed for `row.id`.
    mutating func append(_ row: Row) {
        if let vacant = vacantSlots.popLast() {
            rows[Int(vacant)] = row
            occupied[Int(vacant)] = true
        } else {
            rows.append(row)
            occupied.append(true)
        }
    }

    /// Adds a row whose id is not in the table yet; returns its slot, or nil (changing nothing)
    /// when the id is already there.
    mutating func insert(_ row: Row) -> Slot<Row>? {
        guard case .claimed(let slot) = claimSlot(for: row.id) else { return nil }
        append(row)
        return slot
    }

    /// Takes back the row added last, in a table whose rows never leave (a linked batch that
    /// failed opened the account).
    mutating func removeLast() {
        let row = rows.removeLast()
        occupied.removeLast()
        index.remove(row.id, at: rows.count)
    }

    /// Takes the row at `slot` out: its id is no longer found and the slot is reused by the
    /// next row added. The caller makes sure nothing still refers to the row by this slot.
    mutating func vacate(_ slot: Slot<Row>) {
        guard occupied[slot.index] else { return }
        index.remove(rows[slot.index].id, at: slot.index)
        rows[slot.index] = Row.vacancy
        occupied[slot.index] = false
        vacantSlots.append(slot.raw)
    }

    /// Whether `slot` holds a row.
    func isOccupied(_ slot: Slot<Row>) -> Bool { occupied[slot.index] }
}

extension LedgerTable: Equatable {
    /// The same rows, in whatever order they were added.
    public static func == (lhs: LedgerTable, rhs: LedgerTable) -> Bool {
        lhs.count == rhs.count && lhs.values.allSatisfy { rhs[$0.id] == $0 }
    }
}

/// The accounts a transfer debits and credits, by slot.
struct TransferLegs: Sendable, Hashable {
    let debit: AccountSlot
    let credit: AccountSlot
}
