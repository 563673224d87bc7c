import Testing

@testable import SafeguardsCore

/// The ledger's id index against a dictionary, over seeded runs of inserts and removals, through
/// growth and long probe runs.
@Suite("Ledger slot index")
struct SlotIndexTests {
    @Test("look-ups agree with a dictionary after every insert and removal", arguments: [UInt64(1), 2, 3, 4, 5])
    func agreesWithDictionary(seed: UInt64) {
        var random = SeededRandom(seed: seed)
        var index = SlotIndex()
        // The id at each slot, as a table's rows would hold them. A removed id keeps its row, so
        // an entry the removal left behind would still be found and the check would fail.
        var rows: [String] = []
        var model: [String: Int] = [:]
        var removed: [String] = []
        for step in 0..<2_000 {
            let roll = random.int(in: 0...99)
            if roll < 60 || model.isEmpty {
                let id = "t\(rows.count)"
                let slot = rows.count
                rows.append(id)
                let snapshot = rows
                #expect(index.slotOrInsert(id, newSlot: slot, idAt: { snapshot[$0] }) == nil)
                model[id] = slot
            } else if roll < 75, let id = random.element(of: model.keys.sorted()) {
                // An existing id is found, not inserted again.
                let snapshot = rows
                #expect(index.slotOrInsert(id, newSlot: rows.count, idAt: { snapshot[$0] }) == model[id])
            } else if let id = random.element(of: model.keys.sorted()), let slot = model[id] {
                // Any entry, not only the newest: after the index grew, the newest entry can sit
                // in the middle of a probe run, so every removal must keep later entries reachable.
                index.remove(id, at: slot)
                model[id] = nil
                removed.append(id)
            }
            #expect(index.count == model.count, "step \(step)")
            let snapshot = rows
            for (id, slot) in model where index.slot(of: id, idAt: { snapshot[$0] }) != slot {
                Issue.record("seed \(seed) step \(step): \(id) should be at \(slot)")
                return
            }
            for id in removed.suffix(20) where index.slot(of: id, idAt: { snapshot[$0] }) != nil {
                Issue.record("seed \(seed) step \(step): removed \(id) is still found")
                return
            }
        }
    }
}
