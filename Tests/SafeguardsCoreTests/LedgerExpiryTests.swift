import SafeguardsCore
import Testing

private typealias F = LedgerFixture

@Suite("Ledger expiry sweeps")
struct LedgerExpiryTests {
    @Test("the sweep lists exactly the pending transfers past their timeout, however many were resolved first")
    func sweepListsExactlyTheExpired() throws {
        var ledger = try F.funded()
        var random = SeededRandom(seed: 7)
        var expected: [TransferID: Timestamp] = [:]
        // Far more than the queue keeps before it drops resolved entries, so it compacts often.
        for index in 0..<500 {
            let id = "p\(index)"
            let timeout = Duration.milliseconds(random.int64(in: 1...10_000))
            try ledger.apply(.create(F.pending(id, from: F.funding, to: F.bob, 1, timeout: timeout)), now: F.start)
            let transfer = TransferID(unchecked: id)
            if random.percent(60) {
                try ledger.apply(random.percent(50) ? .void(transfer) : .post(transfer, amount: nil), now: F.start)
            } else {
                expected[transfer] = F.start.advanced(by: timeout)
            }
        }
        for offset in stride(from: Int64(0), through: 11_000, by: 1_000) {
            let now = F.at(milliseconds: offset)
            let due = expected.filter { $0.value <= now }.map(\.key).sorted()
            #expect(ledger.expiredPendingTransfers(at: now) == due, "at +\(offset) ms")
        }
        // Expiring some takes them off the next sweep.
        let now = F.at(milliseconds: 5_000)
        for id in ledger.expiredPendingTransfers(at: now) {
            try ledger.apply(.expire(id), now: now)
            expected[id] = nil
        }
        #expect(ledger.expiredPendingTransfers(at: now).isEmpty)
        #expect(
            ledger.expiredPendingTransfers(at: F.at(milliseconds: 11_000)) == expected.keys.sorted())
        #expect(ledger.totals().isBalanced)
    }

    @Test("a pending transfer of a failed linked batch is never swept, and one of a later batch is")
    func failedBatchLeavesNothingToSweep() throws {
        var ledger = try F.funded()
        #expect(throws: LedgerError.self) {
            try ledger.apply(
                linked: [
                    .create(F.pending("b1", from: F.alice, to: F.bob, 10, timeout: .seconds(1))),
                    .create(F.single("b2", from: F.alice, to: F.bob, 1_000)),
                ], now: F.start)
        }
        try ledger.apply(
            linked: [.create(F.pending("b3", from: F.alice, to: F.bob, 10, timeout: .seconds(1)))], now: F.start)
        #expect(ledger.expiredPendingTransfers(at: F.at(milliseconds: 1_000)) == [TransferID(unchecked: "b3")])
    }
}
