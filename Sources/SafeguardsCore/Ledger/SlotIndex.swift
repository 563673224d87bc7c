/// The id index of a ``LedgerTable``: an open-addressing hash table (linear probing) from a
/// row's id to its slot, which keeps no ids of its own.
///
/// Each bucket holds a slot and 32 bits of the id's hash; the id itself is read from the table's
/// rows when a bucket's hash bits match. Against a `Dictionary` of id to slot, that makes a
/// bucket 8 bytes instead of 20, lets a look-up skip every bucket whose hash bits differ without
/// comparing strings, and lets the index grow without hashing any id again (the stored bits say
/// where each entry goes). Hashes come from Swift's `Hasher`, seeded per process, so a client
/// cannot choose ids that collide.
struct SlotIndex: Sendable {
    private struct Bucket: Sendable {
        /// 0 for an empty bucket, else the slot plus one.
        var slotPlusOne: UInt32
        /// The low 32 bits of the id's hash; the bucket index is taken from them too.
        var hash: UInt32
    }

    private var buckets: [Bucket]
    private var mask: Int
    private(set) var count = 0

    init() {
        buckets = Array(repeating: Bucket(slotPlusOne: 0, hash: 0), count: 16)
        mask = 15
    }

    /// Where `id` is: its bucket and slot when present, else the empty bucket where it would go.
    private func find<ID: Hashable>(_ id: ID, hash: UInt32, idAt: (Int) -> ID) -> (bucket: Int, slot: Int?) {
        var bucket = Int(hash) & mask
        while true {
            let entry = buckets[bucket]
            if entry.slotPlusOne == 0 { return (bucket, nil) }
            let slot = Int(entry.slotPlusOne) - 1
            if entry.hash == hash, idAt(slot) == id { return (bucket, slot) }
            bucket = (bucket + 1) & mask
        }
    }

    static func hash<ID: Hashable>(_ id: ID) -> UInt32 { UInt32(truncatingIfNeeded: id.hashValue) }

    /// The slot of `id`; `idAt(slot)` reads the id of the row at a slot.
    func slot<ID: Hashable>(of id: ID, idAt: (Int) -> ID) -> Int? {
        find(id, hash: Self.hash(id), idAt: idAt).slot
    }

    /// The slot of `id` when it is present; otherwise enters `id` at `newSlot` and returns nil.
    /// Hashes `id` once.
    mutating func slotOrInsert<ID: Hashable>(_ id: ID, newSlot: Int, idAt: (Int) -> ID) -> Int? {
        let hash = Self.hash(id)
        var (bucket, slot) = find(id, hash: hash, idAt: idAt)
        if let slot { return slot }
        // At most three quarters full, so probe runs stay short.
        if (count + 1) * 4 > buckets.count * 3 {
            grow()
            bucket = Int(hash) & mask
            while buckets[bucket].slotPlusOne != 0 { bucket = (bucket + 1) & mask }
        }
        buckets[bucket] = Bucket(slotPlusOne: UInt32(newSlot + 1), hash: hash)
        count += 1
        return nil
    }

    /// Takes out the entry of `id`, which is at `slot` (no row is read: the claim of a slot not
    /// yet filled is taken out this way too).
    mutating func remove<ID: Hashable>(_ id: ID, at slot: Int) {
        var hole = Int(Self.hash(id)) & mask
        while buckets[hole].slotPlusOne != UInt32(slot + 1) {
            guard buckets[hole].slotPlusOne != 0 else { return }
            hole = (hole + 1) & mask
        }
        // Backward-shift deletion: move later entries of the probe run into the hole when their
        // home bucket does not lie between the hole and them, so no look-up stops early.
        var next = hole
        while true {
            next = (next + 1) & mask
            let entry = buckets[next]
            if entry.slotPlusOne == 0 { break }
            let home = Int(entry.hash) & mask
            let staysPut = hole <= next ? (hole < home && home <= next) : (hole < home || home <= next)
            if staysPut { continue }
            buckets[hole] = entry
            hole = next
        }
        buckets[hole] = Bucket(slotPlusOne: 0, hash: 0)
        count -= 1
    }

    private mutating func grow() {
        let old = buckets
        buckets = Array(repeating: Bucket(slotPlusOne: 0, hash: 0), count: old.count * 2)
        mask = buckets.count - 1
        for entry in old where entry.slotPlusOne != 0 {
            var bucket = Int(entry.hash) & mask
            while buckets[bucket].slotPlusOne != 0 { bucket = (bucket + 1) & mask }
            buckets[bucket] = entry
        }
    }
}
