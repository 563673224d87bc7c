/// The `capacity` first elements of a sequence in a given order, kept while the sequence goes by:
/// a page of a large unordered collection without sorting all of it.
///
/// Offering n elements costs O(n log capacity) comparisons at worst, and far fewer when most
/// elements come after the ones held (each is then compared once, with the last held); memory is
/// `capacity` elements. ``sorted()`` gives the same elements, in the same order, as
/// `all.sorted(by: areInIncreasingOrder).prefix(capacity)` whenever the order is strict and total.
public struct BoundedSelection<Element> {
    /// The most elements kept.
    public let capacity: Int
    private let areInIncreasingOrder: (Element, Element) -> Bool
    /// A binary max-heap under `areInIncreasingOrder`: the last of the kept elements at the root.
    private var heap: [Element] = []

    public init(capacity: Int, by areInIncreasingOrder: @escaping (Element, Element) -> Bool) {
        self.capacity = max(0, capacity)
        self.areInIncreasingOrder = areInIncreasingOrder
        heap.reserveCapacity(min(self.capacity, 4096))
    }

    /// How many are kept now (at most ``capacity``).
    public var count: Int { heap.count }

    /// Offers `element`: kept when fewer than ``capacity`` are, or when it comes before the last one kept.
    public mutating func offer(_ element: Element) {
        guard capacity > 0 else { return }
        if heap.count < capacity {
            heap.append(element)
            siftUp(heap.count - 1)
        } else if areInIncreasingOrder(element, heap[0]) {
            heap[0] = element
            siftDown(0)
        }
    }

    /// The kept elements, first first.
    public func sorted() -> [Element] {
        heap.sorted(by: areInIncreasingOrder)
    }

    private mutating func siftUp(_ start: Int) {
        var child = start
        while child > 0 {
            let parent = (child - 1) / 2
            guard areInIncreasingOrder(heap[parent], heap[child]) else { return }
            heap.swapAt(parent, child)
            child = parent
        }
    }

    private mutating func siftDown(_ start: Int) {
        var parent = start
        while true {
            let left = 2 * parent + 1
            guard left < heap.count else { return }
            var largest = left
            let right = left + 1
            if right < heap.count, areInIncreasingOrder(heap[left], heap[right]) { largest = right }
            guard areInIncreasingOrder(heap[parent], heap[largest]) else { return }
            heap.swapAt(parent, largest)
            parent = largest
        }
    }
}
