/// Pending transfers that have a timeout, ordered by when they expire: a binary min-heap of
/// transfer slots.
///
/// Posting or voiding a transfer does not take its entry out (finding it would cost a search or
/// an index to keep up to date on every command). Such an entry is stale: the readers skip it
/// (`isLive` says which are not: an entry is live while the transfer at its slot is pending and
/// expires when the entry says, so an old entry of a slot that a newer transfer reuses is stale
/// too), and the queue drops all stale entries when it has doubled
/// since it last did, so it holds at most twice the pending transfers it held then (and at least
/// room for ``minimumCompaction`` entries). Dropping them costs a pass over the queue, one per
/// as many pushes as entries were kept: constant per push, amortized.
struct ExpiryQueue: Sendable {
    struct Entry: Sendable {
        let expiresAt: Timestamp
        let slot: TransferSlot
    }

    static let minimumCompaction = 64

    private var heap: [Entry] = []
    private var compactAt = ExpiryQueue.minimumCompaction

    var count: Int { heap.count }

    /// Adds a pending transfer. `isLive` tells, when the queue compacts first, which of the
    /// entries it holds still stand for a pending transfer.
    mutating func push(_ entry: Entry, isLive: (Entry) -> Bool) {
        if heap.count >= compactAt {
            heap.removeAll { !isLive($0) }
            heapify()
            compactAt = max(Self.minimumCompaction, 2 * heap.count)
        }
        heap.append(entry)
        siftUp(heap.count - 1)
    }

    /// Slots of the pending transfers whose timeout is at or before `now`, in no order. Visits
    /// only entries that are due (and the children of due entries), never the whole queue.
    func due(at now: Timestamp, isLive: (Entry) -> Bool) -> [TransferSlot] {
        var found: [TransferSlot] = []
        var stack: [Int] = heap.isEmpty ? [] : [0]
        while let index = stack.popLast() {
            let entry = heap[index]
            guard entry.expiresAt <= now else { continue }
            if isLive(entry) { found.append(entry.slot) }
            let left = 2 * index + 1
            if left < heap.count { stack.append(left) }
            if left + 1 < heap.count { stack.append(left + 1) }
        }
        return found
    }

    /// Rebuilds the queue from entries in any order.
    init(_ entries: [Entry] = []) {
        heap = entries
        heapify()
        compactAt = max(Self.minimumCompaction, 2 * heap.count)
    }

    private mutating func heapify() {
        guard heap.count > 1 else { return }
        for index in stride(from: heap.count / 2 - 1, through: 0, by: -1) { siftDown(index) }
    }

    private mutating func siftUp(_ start: Int) {
        var child = start
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].expiresAt < heap[parent].expiresAt else { return }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    private mutating func siftDown(_ start: Int) {
        var parent = start
        while true {
            var smallest = parent
            let left = 2 * parent + 1
            let right = left + 1
            if left < heap.count, heap[left].expiresAt < heap[smallest].expiresAt { smallest = left }
            if right < heap.count, heap[right].expiresAt < heap[smallest].expiresAt { smallest = right }
            guard smallest != parent else { return }
            heap.swapAt(parent, smallest)
            parent = smallest
        }
    }
}
