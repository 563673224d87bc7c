import Foundation
import SafeguardsCore
import SafeguardsTestKit
import Testing

@testable import SafeguardsStore

@Suite("Spending history for the learners")
struct SpendingHistoryTests {
    @Test func postedUsesFindSpendsAndSettledReservationsSinceATime() async throws {
        let fixture = try StoreFixture()
        try await fixture.seed(agents: [("a1", 100), ("a2", 100)])
        let a1 = AgentID(unchecked: "a1")
        let a2 = AgentID(unchecked: "a2")
        _ = try await fixture.writer.submit(.spend(a1, amount: 1, transferID: TransferID(unchecked: "spd:old")))
        _ = try await fixture.writer.submit(
            .reserve(a2, amount: 5, reservationID: TransferID(unchecked: "rsv:late"), timeout: .seconds(3600)))
        _ = fixture.clock.advance(by: .seconds(60))
        let since = fixture.clock.now()
        _ = try await fixture.writer.submit(.spend(a1, amount: 2, transferID: TransferID(unchecked: "spd:new")))
        // Created before `since`, settled after it: a use at its settlement.
        _ = try await fixture.writer.submit(.settle(reservationID: TransferID(unchecked: "rsv:late"), amount: 3))
        _ = try await fixture.writer.submit(
            .reserve(a2, amount: 4, reservationID: TransferID(unchecked: "rsv:open"), timeout: .seconds(3600)))

        let uses = try fixture.store.postedUses(since: since).map { "\($0.0.rawValue) \($0.2)" }.sorted()
        #expect(uses == ["a1 2.000000", "a2 3.000000"])
        let ofA1 = try fixture.store.postedUses(agents: [a1], since: since).map(\.2)
        #expect(ofA1 == [2])
        #expect(try fixture.store.postedUses(agents: [], since: since).isEmpty)
    }

    @Test func postedUsesNeverScanTheJournal() throws {
        let fixture = try StoreFixture()
        let since = Timestamp(millisecondsSince1970: 1_800_000_000_000)
        for agents in [nil, [AgentID(unchecked: "a1"), AgentID(unchecked: "a2")]] {
            let plan = try fixture.store.postedUsesPlan(agents: agents, since: since)
            #expect(!plan.isEmpty)
            #expect(!plan.contains { $0.hasPrefix("SCAN") }, "\(plan)")
            #expect(!plan.contains { $0.contains("transfers_by_kind") }, "\(plan)")
        }
    }
}
