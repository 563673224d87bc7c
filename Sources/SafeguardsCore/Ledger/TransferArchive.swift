/// Where the ledger finds a transfer that left memory: the journal's history.
///
/// The ledger holds accounts, pending transfers and the transfers created or resolved within
/// its idempotency window; older ones leave memory (``Ledger/evictRetired(before:through:limit:)``).
/// A retry of such an id must still be answered like the first time, so every look-up by id
/// that misses memory asks the archive (one indexed point query in the store), and a transfer
/// found there comes back into memory as it was stored, to leave again with the next eviction.
///
/// The archive shows only committed transfers, and a transfer leaves memory only once its row
/// is committed, so an id is always in memory, in the archive, or in neither.
///
/// Class-bound: the ledger holds it as one reference. An archive held as an opaque existential
/// would make ``Ledger`` address-only, and every non-mutating call inside a mutating operation
/// would then copy the whole ledger.
public protocol TransferArchive: AnyObject, Sendable {
    /// The stored transfer with `id`, or nil. A read that fails answers nil: the journal's
    /// unique ids still refuse a second transfer under the same id when it is committed.
    func transfer(_ id: TransferID) -> Transfer?

    /// The stored transfers whose ids start with `prefix` (at most `limit`, in id order): the
    /// parts `<id>:<type>` of a multi-resource reservation.
    func transfers(withIDPrefix prefix: String, limit: Int) -> [Transfer]
}

extension TransferID {
    /// Whether the node minted this id itself from 128 random bits (`rsv_`, `spd_` or `bud_` and
    /// 32 hex digits, see the API's operations): such an id was never used before, so looking
    /// it up in the archive would only cost a read.
    public var isMintedByNode: Bool {
        let utf8 = rawValue.utf8
        guard utf8.count == 36 else { return false }
        var bytes = utf8.makeIterator()
        let prefix = (bytes.next(), bytes.next(), bytes.next(), bytes.next())
        switch prefix {
        case (UInt8(ascii: "r"), UInt8(ascii: "s"), UInt8(ascii: "v"), UInt8(ascii: "_")),
            (UInt8(ascii: "s"), UInt8(ascii: "p"), UInt8(ascii: "d"), UInt8(ascii: "_")),
            (UInt8(ascii: "b"), UInt8(ascii: "u"), UInt8(ascii: "d"), UInt8(ascii: "_")):
            break
        default:
            return false
        }
        while let byte = bytes.next() {
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte)
            else { return false }
        }
        return true
    }
}
