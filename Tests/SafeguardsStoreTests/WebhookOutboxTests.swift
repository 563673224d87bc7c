import Foundation
import GRDB
import SafeguardsCore
import SafeguardsFederation
import SafeguardsTestKit
import Testing

@testable import SafeguardsStore

/// The outbox is written in the transaction of the change that causes each event, only for
/// subscribed webhooks, once per change; and it keeps each delivery's attempts.
@Suite("Webhook outbox in the store")
struct WebhookOutboxTests {
    static let a1 = AgentID(unchecked: "a1")

    static func subscribe(_ fixture: StoreFixture, id: String = "whk_1", events: [String]) throws {
        let added = try fixture.store.addWebhook(
            WebhookSubscription(
                id: id, url: "http://127.0.0.1:9/\(id)", events: events, secret: "s", source: "api",
                createdAt: fixture.clock.now()))
        #expect(added == .added)
    }

    static func deliveries(_ fixture: StoreFixture) throws -> [WebhookDelivery] {
        try fixture.store.webhookDeliveryPage(webhook: nil, status: nil, before: nil, limit: 100).map(\.item)
    }

    static func spend(_ fixture: StoreFixture, _ amount: Amount, id: String) async throws {
        _ = try await fixture.writer.submit(.spend(a1, amount: amount, transferID: TransferID(unchecked: id)))
    }

    @Test func noSubscriptionWritesNoRow() async throws {
        let fixture = try StoreFixture()
        try await fixture.seed()
        try await Self.spend(fixture, 95, id: "t1")
        #expect(try fixture.store.alerts().count == 1)
        #expect(try Self.deliveries(fixture).isEmpty)
    }

    @Test func anAlertWritesOneDeliveryPerSubscribedWebhook() async throws {
        let fixture = try StoreFixture()
        try await fixture.seed()
        try Self.subscribe(fixture, id: "whk_alerts", events: ["alert.warning", "alert.critical"])
        try Self.subscribe(fixture, id: "whk_all", events: ["*"])
        try Self.subscribe(fixture, id: "whk_decisions", events: ["policy.decision"])
        // Below 75 %: no alert, no event.
        try await Self.spend(fixture, 50, id: "t1")
        #expect(try Self.deliveries(fixture).isEmpty)
        try await Self.spend(fixture, 30, id: "t2")
        let written = try Self.deliveries(fixture)
        #expect(Set(written.map(\.webhookID)) == ["whk_alerts", "whk_all"])
        #expect(Set(written.map(\.eventID)) == ["evt_alert_warning_a1:t2"])
        #expect(written.allSatisfy { $0.type == "alert.warning" && $0.status == .pending && $0.attempts == 0 })
        let data = try JSONDecoder().decode([String: String].self, from: Data(written[0].data.utf8))
        #expect(data["agent_id"] == "a1")
        #expect(data["used"] == "80.000000")
        #expect(data["transfer_id"] == "t2")
        // A replay of the same spend is no new change: no second event.
        try await Self.spend(fixture, 30, id: "t2")
        #expect(try Self.deliveries(fixture).count == 2)
        try await Self.spend(fixture, 11, id: "t3")
        #expect(try Self.deliveries(fixture).filter { $0.type == "alert.critical" }.count == 2)
    }

    @Test func aFailedOutboxWriteFailsTheChangeThatCausedIt() async throws {
        let fixture = try StoreFixture()
        try await fixture.seed()
        try Self.subscribe(fixture, events: ["alert.warning"])
        try await fixture.store.database.write { db in
            try db.execute(
                sql: """
                    CREATE TEMP TRIGGER refuse_outbox BEFORE INSERT ON webhook_deliveries
                    BEGIN SELECT RAISE(ABORT, 'disk says no'); END
                    """)
        }
        await #expect(throws: SafeguardsError.self) { try await Self.spend(fixture, 80, id: "t1") }
        // Neither the spend, nor its alert, nor the event: one transaction.
        #expect(try fixture.store.transfer(TransferID(unchecked: "t1")) == nil)
        #expect(try fixture.store.alerts().isEmpty)
        #expect(try Self.deliveries(fixture).isEmpty)
        try await fixture.store.database.write { db in try db.execute(sql: "DROP TRIGGER refuse_outbox") }
        try await Self.spend(fixture, 80, id: "t1")
        #expect(try fixture.store.alerts().count == 1)
        #expect(try Self.deliveries(fixture).map(\.eventID) == ["evt_alert_warning_a1:t1"])
    }

    @Test func anExpiryAndADecisionAndARefusalEachWriteTheirEvent() async throws {
        let fixture = try StoreFixture()
        try await fixture.seed()
        try Self.subscribe(fixture, events: ["reservation.expired", "policy.decision", "federation.request_rejected"])
        _ = try await fixture.writer.submit(
            .reserve(Self.a1, amount: 5, reservationID: TransferID(unchecked: "r1"), timeout: .seconds(1)))
        _ = fixture.clock.advance(by: .seconds(2))
        _ = try await fixture.writer.submit(.expireReservations)
        try fixture.store.logDecision(
            DecisionRecord(
                policy: "adaptive_sizing", poolID: StoreFixture.pool, agentID: nil, oldValue: 10, newValue: 10,
                reason: "fallback", at: fixture.clock.now()))
        let refusal = IncomingRefusal(
            kind: .transfer, transactionID: TransferID(unchecked: "tx1"), peer: SystemID(unchecked: "system_b"),
            agentID: AgentID(unchecked: "x"), amount: 7, reason: .insufficientCredit,
            requestedAt: fixture.clock.now(), decidedAt: fixture.clock.now())
        try await fixture.writer.recordRefusal(refusal, forgetting: nil)
        let byType = Dictionary(grouping: try Self.deliveries(fixture), by: \.type)
        #expect(byType["reservation.expired"]?.map(\.eventID) == ["evt_expired_r1"])
        #expect(byType["policy.decision"]?.count == 1)
        #expect(byType["federation.request_rejected"]?.map(\.eventID) == ["evt_rejected_in_system_b_tx1"])
        // Peer events have no ledger change: their own transaction, once per id.
        try Self.subscribe(fixture, id: "whk_peers", events: ["peer.dead"])
        try fixture.store.recordEvent(.peerDead(SystemID(unchecked: "system_c"), at: fixture.clock.now()))
        try fixture.store.recordEvent(.peerDead(SystemID(unchecked: "system_c"), at: fixture.clock.now()))
        #expect(try Self.deliveries(fixture).count == 4)
    }

    @Test func attemptsAreKeptAndDueDeliveriesGoOutInOrderPerWebhook() async throws {
        let fixture = try StoreFixture()
        try await fixture.seed(agents: [("a1", 100), ("a2", 100)])
        try Self.subscribe(fixture, events: ["*"])
        try await Self.spend(fixture, 80, id: "t1")
        _ = try await fixture.writer.submit(
            .spend(AgentID(unchecked: "a2"), amount: 80, transferID: TransferID(unchecked: "t2")))
        let now = fixture.clock.now()
        // Only the oldest pending delivery of the webhook is due.
        let due = try fixture.store.dueWebhookDeliveries(now: now, limit: 10)
        #expect(due.map(\.delivery.eventID) == ["evt_alert_warning_a1:t1"])
        let first = try #require(due.first)
        let later = now.advanced(by: .seconds(1))
        try fixture.store.recordWebhookAttempts(
            [(first.delivery.sequence, .retry(status: 500, error: "HTTP 500 oops", nextAttemptAt: later))])
        #expect(try fixture.store.dueWebhookDeliveries(now: now, limit: 10).isEmpty)
        let retried = try #require(try fixture.store.dueWebhookDeliveries(now: later, limit: 10).first?.delivery)
        #expect(retried.attempts == 1)
        #expect(retried.lastStatus == 500)
        #expect(retried.lastError == "HTTP 500 oops")
        try fixture.store.recordWebhookAttempts([(retried.sequence, .delivered(status: 204, at: later))])
        #expect(
            try fixture.store.dueWebhookDeliveries(now: later, limit: 10).map(\.delivery.eventID) == [
                "evt_alert_warning_a2:t2"
            ])
        let delivered = try fixture.store.webhookDeliveryPage(
            webhook: "whk_1", status: .delivered, before: nil, limit: 10)
        #expect(delivered.map(\.item.eventID) == ["evt_alert_warning_a1:t1"])
        #expect(try fixture.store.webhookDeliveryCounts() == [.delivered: 1, .pending: 1])
        // Finished rows go after the retention; pending ones stay.
        #expect(
            try fixture.store.pruneWebhookDeliveries(finishedBefore: later.advanced(by: .seconds(1)), keep: 1000) == 1)
        #expect(try Self.deliveries(fixture).map(\.status) == [.pending])
        // A deleted webhook's pending deliveries fail: they have nowhere to go.
        #expect(try fixture.store.deleteWebhook("whk_1", now: later))
        #expect(try Self.deliveries(fixture).map(\.lastError) == ["webhook deleted"])
        #expect(try !fixture.store.deleteWebhook("whk_1", now: later))
    }

    @Test func webhooksAreBoundedAndTheConfiguredOnesReplaced() throws {
        let fixture = try StoreFixture()
        let now = fixture.clock.now()
        for index in 0..<WebhookSubscription.maximumCount {
            try Self.subscribe(fixture, id: String(format: "whk_%03d", index), events: ["*"])
        }
        #expect(
            try fixture.store.addWebhook(
                WebhookSubscription(
                    id: "whk_over", url: "http://x/", events: ["*"], secret: "s", source: "api", createdAt: now))
                == .full)
        #expect(
            try fixture.store.addWebhook(
                WebhookSubscription(
                    id: "whk_001", url: "http://y/", events: ["*"], secret: "s", source: "api", createdAt: now))
                == .existing(try #require(fixture.store.webhookPage(after: "whk_000", limit: 1).first)),
            "an id that exists is answered with the stored webhook, unchanged")
        let page = try fixture.store.webhookPage(after: "whk_097", limit: 10)
        #expect(page.map(\.id) == ["whk_098", "whk_099"])
        let configured = WebhookSubscription(
            id: "cfg_1", url: "http://a/", events: ["peer.dead"], secret: "s", source: "config", createdAt: now)
        try fixture.store.replaceConfiguredWebhooks([configured], now: now)
        #expect(try fixture.store.webhookPage(after: nil, limit: 1).first == configured)
        try fixture.store.replaceConfiguredWebhooks([], now: now)
        #expect(try fixture.store.webhookPage(after: nil, limit: 1).first?.id == "whk_000")
    }
}
