import Foundation
import SafeguardsCore
import SafeguardsFederation
import Testing

@testable import SafeguardsStore

/// The v11 federation checkpoint: one index row per transaction, totals changed in the record's
/// transaction, a one-time fill for records written before it, keyset pages newest first.
@Suite struct FederationCheckpointStoreTests {
    /// A settlement-kind record whose body names its own index entry (`direction|id|pending|used`).
    static func record(_ direction: String, _ id: String, pending: Bool, used: Int64, peer: String = "system_a",
        indexed: Bool = true) -> FederationRecord
    {
        let entry = FederationSettlementIndex(
            direction: direction, transactionID: id, isPending: pending, creditUsed: used, digestCount: used > 0 ? 1 : 0,
            digestLanes: [used, 0, 0])
        return FederationRecord(
            kind: "settlement", recordID: id, peer: peer, body: "\(direction)|\(id)|\(pending)|\(used)",
            settlement: indexed ? entry : nil)
    }

    static func index(_ record: FederationRecord) -> FederationSettlementIndex? {
        let parts = record.body.split(separator: "|").map(String.init)
        guard parts.count == 4, let used = Int64(parts[3]) else { return nil }
        return FederationSettlementIndex(
            direction: parts[0], transactionID: parts[1], isPending: parts[2] == "true", creditUsed: used,
            digestCount: used > 0 ? 1 : 0, digestLanes: [used, 0, 0])
    }

    static func write(_ fixture: StoreFixture, _ record: FederationRecord) async throws {
        _ = try await fixture.writer.submit(.federation(FederationPosting(operations: [], record: record)))
    }

    @Test func recordsKeepOneIndexRowPerTransactionAndTheirTotals() async throws {
        let fixture = try StoreFixture()
        try fixture.store.completeFederationCheckpoint(Self.index)
        try await Self.write(fixture, Self.record("outgoing", "o1", pending: true, used: 0))
        try await Self.write(fixture, Self.record("incoming", "i1", pending: false, used: 30))
        try await Self.write(fixture, Self.record("incoming", "i2", pending: false, used: 12, peer: "system_c"))
        #expect(try fixture.store.pendingFederationRecords().map(\.recordID) == ["o1"])
        try await Self.write(fixture, Self.record("outgoing", "o1", pending: false, used: 0))
        #expect(try fixture.store.pendingFederationRecords().isEmpty)
        let totals = try fixture.store.federationTotals()
        #expect(totals[SystemID(unchecked: "system_a")]?.creditUsed == Amount(micros: 30))
        #expect(totals[SystemID(unchecked: "system_c")]?.digest.count == 1)
        // Newest first by first write: o1 keeps its place though its latest record is newer.
        let all = try fixture.store.federationTransactionPage(peer: nil, before: nil, limit: 10)
        #expect(all.compactMap(\.record?.recordID) == ["i2", "i1", "o1"])
        #expect(all.last?.record?.body == "outgoing|o1|false|0")
        let page = try fixture.store.federationTransactionPage(
            peer: SystemID(unchecked: "system_a"), before: nil, limit: 1)
        #expect(page.compactMap(\.record?.recordID) == ["i1"])
        let next = try fixture.store.federationTransactionPage(
            peer: SystemID(unchecked: "system_a"), before: page.last?.sequence, limit: 5)
        #expect(next.compactMap(\.record?.recordID) == ["o1"])
        #expect(try fixture.store.federationTransactions(id: TransferID(unchecked: "i2")).count == 1)
    }

    @Test func recordsWrittenBeforeTheCheckpointAreIndexedOnce() async throws {
        let fixture = try StoreFixture()
        try await Self.write(fixture, Self.record("incoming", "i1", pending: false, used: 5, indexed: false))
        try await Self.write(fixture, Self.record("outgoing", "o1", pending: true, used: 0, indexed: false))
        #expect(try fixture.store.federationTotals().isEmpty)
        try fixture.store.completeFederationCheckpoint(Self.index)
        try fixture.store.completeFederationCheckpoint(Self.index)
        #expect(try fixture.store.federationTotals()[SystemID(unchecked: "system_a")]?.creditUsed == Amount(micros: 5))
        #expect(try fixture.store.pendingFederationRecords().map(\.recordID) == ["o1"])
        #expect(try fixture.store.federationTransactionPage(peer: nil, before: nil, limit: 10).count == 2)
    }
}
