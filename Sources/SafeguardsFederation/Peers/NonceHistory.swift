import SafeguardsCore

/// The nonces one sender used inside the replay window, oldest send time first.
///
/// Entries are kept sorted by `sentAt` so that pruning and eviction both take from the front.
/// A sender's envelopes arrive almost in send order, so an insert is nearly always an append;
/// an out-of-order one costs a binary search and a shift within the per-sender cap.
struct NonceHistory: Sendable {
    private struct Entry: Sendable {
        let sentAt: Timestamp
        let nonce: [UInt8]
    }

    /// Sorted by `sentAt`; those before `head` are already forgotten.
    private var entries: [Entry] = []
    private var head = 0
    private var nonces: Set<[UInt8]> = []
    /// Set when an in-window nonce had to be evicted: every send time up to and including this
    /// one is refused from then on, so the evicted nonce can never be replayed (see ``ReplayGuard``).
    private(set) var refusedThrough: Timestamp?

    var count: Int { nonces.count }
    var isEmpty: Bool { nonces.isEmpty && refusedThrough == nil }

    func contains(_ nonce: [UInt8]) -> Bool { nonces.contains(nonce) }

    /// Forgets every nonce sent before `cutoff`: a replay of one is refused as too old anyway,
    /// because a replay carries the signed send time of the original.
    mutating func prune(before cutoff: Timestamp) {
        while head < entries.count, entries[head].sentAt < cutoff {
            nonces.remove(entries[head].nonce)
            head += 1
        }
        if let floor = refusedThrough, floor < cutoff {
            // The window's own cutoff now refuses everything the eviction floor refused.
            refusedThrough = nil
        }
        compact()
    }

    /// Remembers `nonce`; when that makes more than `capacity` entries, evicts the oldest and
    /// raises ``refusedThrough`` to its send time.
    mutating func insert(_ nonce: [UInt8], sentAt: Timestamp, capacity: Int) {
        // First index after every entry sent at or before `sentAt` (binary search, stable for ties).
        var low = head
        var high = entries.count
        while low < high {
            let middle = low + (high - low) / 2
            if entries[middle].sentAt <= sentAt { low = middle + 1 } else { high = middle }
        }
        entries.insert(Entry(sentAt: sentAt, nonce: nonce), at: low)
        nonces.insert(nonce)
        while entries.count - head > capacity {
            let evicted = entries[head]
            nonces.remove(evicted.nonce)
            head += 1
            refusedThrough = max(refusedThrough ?? evicted.sentAt, evicted.sentAt)
        }
        compact()
    }

    /// Drops forgotten entries once they are at least half the array: amortised O(1) per entry.
    private mutating func compact() {
        if head == entries.count {
            entries.removeAll(keepingCapacity: true)
            head = 0
        } else if head > 64, head * 2 > entries.count {
            entries.removeSubrange(0..<head)
            head = 0
        }
    }
}
