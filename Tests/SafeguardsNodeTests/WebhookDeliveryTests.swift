import Crypto
import Foundation
import HTTPTypes
import NIOHTTP1
import SafeguardsAPI
import SafeguardsCore
import SafeguardsNode
import SafeguardsTestKit
import Testing

/// Webhooks end to end: a node's events reach a real HTTP receiver on loopback, signed, retried
/// while the receiver is down, and after a restart of the node.
@Suite("Webhook delivery", .timeLimit(.minutes(5)))
struct WebhookDeliveryTests {
    static let secret = "whsec_test_0123456789"

    /// A node that reads its outbox every 50 ms and retries after at most 50 ms, 100 ms, ….
    static func configure(_ config: inout NodeConfig, port: Int, events: [String]) {
        config.notifications.webhooks = [
            .init(url: "http://127.0.0.1:\(port)/hook", events: events, secret: secret)
        ]
        config.notifications.pollInterval = .milliseconds(50)
        config.notifications.retryBase = .milliseconds(50)
    }

    /// `sha256=<hex>` of `"<timestamp>.<body>"`, computed here rather than by the node's code.
    static func expectedSignature(timestamp: String, body: [UInt8], secret: String = secret) -> String {
        let mac = HMAC<SHA256>.authenticationCode(
            for: Array("\(timestamp).".utf8) + body, using: SymmetricKey(data: Data(secret.utf8)))
        return "sha256=" + mac.map { String(format: "%02x", $0) }.joined()
    }

    @Test func alertsAreDeliveredSignedWithTheirHeaders() async throws {
        let inbox = WebhookInbox()
        try await WebhookReceiver.with(inbox: inbox) { port in
            try await TestNode.with(configure: {
                Self.configure(&$0, port: port, events: ["alert.warning", "alert.critical"])
            }) {
                client, _ in
                _ = try await Fixture.make(client)
                _ = try await client.spend(agent: "a1", SpendRequest(amount: 50))
                _ = try await client.spend(agent: "a1", SpendRequest(amount: 30))
                _ = try await client.spend(agent: "a1", SpendRequest(amount: 11))
                #expect(try await eventually { await inbox.received.count >= 2 })
                let received = await inbox.received
                #expect(received.compactMap(\.payload?.type) == ["alert.warning", "alert.critical"])
                for request in received {
                    let payload = try #require(request.payload)
                    let timestamp = try #require(request.headers["safeguards-timestamp"])
                    #expect(Int64(timestamp) != nil)
                    #expect(
                        request.headers["safeguards-signature"]
                            == Self.expectedSignature(timestamp: timestamp, body: request.body))
                    #expect(request.headers["safeguards-event-id"] == payload.id)
                    #expect(request.headers["content-type"] == "application/json")
                    #expect(payload.data["agent_id"] == "a1")
                    #expect(payload.id.hasPrefix("evt_alert_"))
                }
                #expect(received.last?.payload?.data["used"] == "91.000000")
                // The receiver has answered; the outcome is stored just after.
                let stored = try await eventually {
                    try await client.webhookDeliveries().deliveries.map(\.status) == ["delivered", "delivered"]
                }
                #expect(stored)
                let deliveries = try await client.webhookDeliveries()
                #expect(
                    deliveries.deliveries.allSatisfy {
                        $0.attempts == 1 && $0.lastStatus == 200 && $0.deliveredAt != nil
                    })
                #expect(try await client.metrics().contains(#"safeguards_webhook_deliveries{status="delivered"} 2"#))
            }
        }
    }

    @Test func aReceiverThatIsDownGetsTheEventOnceItIsUp() async throws {
        let port = try await WebhookReceiver.closedPort()
        try await TestNode.with(configure: { Self.configure(&$0, port: port, events: ["*"]) }) { client, _ in
            _ = try await Fixture.make(client)
            _ = try await client.spend(agent: "a1", SpendRequest(amount: 80))
            // Connection refused, retried.
            #expect(
                try await eventually {
                    let delivery = try await client.webhookDeliveries().deliveries.first
                    return delivery.map { $0.attempts >= 2 && $0.status == "pending" && $0.lastError != nil } ?? false
                })
            let pending = try #require(try await client.webhookDeliveries().deliveries.first)
            // Up, but answering 500 twice.
            let inbox = WebhookInbox(script: [.internalServerError, .internalServerError])
            let up = try await WebhookReceiver.with(port: port, inbox: inbox) { _ in
                try await eventually { try await client.webhookDeliveries().deliveries.first?.status == "delivered" }
            }
            #expect(up, "not delivered once the receiver came up")
            let received = await inbox.received
            #expect(received.count == 3)
            #expect(Set(received.compactMap { $0.headers["safeguards-event-id"] }) == [pending.eventID])
            #expect(Set(received.map(\.body)).count == 1, "every attempt sends the same body")
            let delivered = try #require(try await client.webhookDeliveries(status: "delivered").deliveries.first)
            #expect(delivered.id == pending.id)
            #expect(delivered.attempts >= pending.attempts + 3)
        }
    }

    @Test func pendingDeliveriesAreDeliveredAfterARestart() async throws {
        let directory = try makeTemporaryDirectory()
        let port = try await WebhookReceiver.closedPort()
        let pending = try await TestNode.with(
            dataDirectory: directory, configure: { Self.configure(&$0, port: port, events: ["alert.critical"]) }
        ) { client, _ in
            _ = try await Fixture.make(client)
            _ = try await client.spend(agent: "a1", SpendRequest(amount: 95))
            #expect(try await eventually { try await client.webhookDeliveries().deliveries.first?.attempts ?? 0 >= 1 })
            return try #require(try await client.webhookDeliveries().deliveries.first)
        }
        #expect(pending.status == "pending")
        let inbox = WebhookInbox()
        try await WebhookReceiver.with(port: port, inbox: inbox) { _ in
            try await TestNode.with(
                dataDirectory: directory, configure: { Self.configure(&$0, port: port, events: ["alert.critical"]) }
            ) { client, _ in
                let arrived = try await eventually { await inbox.received.count >= 1 }
                #expect(arrived)
                #expect(
                    try await client.webhookDeliveries(status: "delivered").deliveries.map(\.eventID) == [
                        pending.eventID
                    ])
            }
        }
        #expect(await inbox.received.compactMap(\.payload?.id) == [pending.eventID])
    }

    @Test func apiWebhooksAreCheckedListedAndDeleted() async throws {
        let inbox = WebhookInbox()
        try await WebhookReceiver.with(inbox: inbox) { port in
            try await TestNode.with(configure: { Self.configure(&$0, port: port, events: ["peer.dead"]) }) {
                client, _ in
                let url = "http://127.0.0.1:\(port)/hook"
                for (bad, field) in [
                    (CreateWebhookRequest(url: "ftp://x/hook", events: ["*"], secret: "s"), "url"),
                    (CreateWebhookRequest(url: "not a url", events: ["*"], secret: "s"), "url"),
                    (CreateWebhookRequest(url: url, events: ["alert.loud"], secret: "s"), "events"),
                    (CreateWebhookRequest(url: url, events: [], secret: "s"), "events"),
                    (CreateWebhookRequest(url: url, events: ["*"], secret: ""), "secret"),
                ] {
                    let response = try await client.raw(.POST, "/v1/webhooks", body: Array(try APICoding.encode(bad)))
                    #expect(response.status == 400)
                    #expect(String(decoding: response.body, as: UTF8.self).contains(field))
                }
                let created = try await client.createWebhook(
                    CreateWebhookRequest(
                        url: url, events: ["reservation.expired", "policy.decision"], secret: "other-secret"))
                #expect(created.id.hasPrefix("whk_"))
                #expect(created.source == "api")
                let listed = try await client.webhooks()
                #expect(Set(listed.webhooks.map(\.source)) == ["config", "api"])
                #expect(
                    !String(decoding: try await client.raw(.GET, "/v1/webhooks").body, as: UTF8.self).contains("secret")
                )

                // A reservation that expires, and a policy's decision, reach the API's webhook.
                let fixture = try await Fixture.make(client, agents: [("a1", "300"), ("a2", "300"), ("a3", "300")])
                let reservation = try await client.reserve(agent: "a1", ReserveRequest(amount: 5, timeoutSeconds: 1))
                for agent in ["a1", "a2", "a3"] { _ = try await client.spend(agent: agent, SpendRequest(amount: 270)) }
                _ = try await client.setAdaptiveSizing(
                    pool: fixture.pool.id,
                    AdaptiveSizingBody(
                        adjustmentIntervalSeconds: 3600, minPoolBudget: 100, maxPoolBudget: 10_000,
                        utilizationTarget: "0.7", growthRate: "0.2", shrinkRate: "0.1", minAgentsForAdjustment: 3))
                _ = try await client.applyPolicies(pool: fixture.pool.id)
                #expect(try await eventually { Set(await inbox.received.compactMap(\.payload?.type)).count == 2 })
                let received = await inbox.received
                let expired = try #require(received.first { $0.payload?.type == "reservation.expired" })
                #expect(expired.payload?.data["transfer_id"] == reservation.reservationID)
                let timestamp = try #require(expired.headers["safeguards-timestamp"])
                #expect(
                    expired.headers["safeguards-signature"]
                        == Self.expectedSignature(timestamp: timestamp, body: expired.body, secret: "other-secret"))
                #expect(
                    received.first { $0.payload?.type == "policy.decision" }?.payload?.data["policy"]
                        == "adaptive_sizing")
                let mine = try await client.webhookDeliveries(webhook: created.id)
                #expect(mine.deliveries.allSatisfy { $0.webhookID == created.id })

                #expect(try await client.raw(.DELETE, "/v1/webhooks/\(created.id)").status == 204)
                #expect(try await client.raw(.DELETE, "/v1/webhooks/\(created.id)").status == 404)
                #expect(try await client.webhooks().webhooks.map(\.source) == ["config"])
                #expect(try await client.raw(.GET, "/v1/webhooks/deliveries?status=lost").status == 400)
            }
        }
    }

    @Test func aRetriedCreationWithItsIdempotencyKeyAnswersTheSameWebhook() async throws {
        try await TestNode.with { client, _ in
            let request = CreateWebhookRequest(
                url: "http://127.0.0.1:9/hook", events: ["alert.warning"], secret: "s1", idempotencyKey: "hook-1")
            let first = try await client.raw(.POST, "/v1/webhooks", body: Array(try APICoding.encode(request)))
            let again = try await client.raw(.POST, "/v1/webhooks", body: Array(try APICoding.encode(request)))
            #expect(first.status == 201 && again.status == 201)
            #expect(again.headers.contains { $0.0.lowercased() == "idempotent-replayed" && $0.1 == "true" })
            let created = try APICoding.decode(WebhookBody.self, from: Data(first.body))
            #expect(try APICoding.decode(WebhookBody.self, from: Data(again.body)) == created)
            #expect(try await client.webhooks().webhooks.map(\.id) == [created.id], "one webhook, not two")

            var changed = request
            changed.secret = "s2"
            let conflict = try await client.raw(.POST, "/v1/webhooks", body: Array(try APICoding.encode(changed)))
            #expect(conflict.status == 409)
            #expect(try await client.webhooks().webhooks.count == 1)
        }
    }

    @Test func aPeerThatGoesDeadIsReported() async throws {
        let inbox = WebhookInbox()
        let silent = try await WebhookReceiver.closedPort()
        try await WebhookReceiver.with(inbox: inbox) { port in
            try await TestNode.withFederated(
                "system_a",
                configure: { config in
                    Self.configure(&config, port: port, events: ["peer.dead"])
                    config.gossip.interval = .milliseconds(100)
                    config.gossip.suspectAfter = .milliseconds(300)
                    config.gossip.deadAfter = .milliseconds(600)
                }
            ) { client, _, _ in
                try await DevelopmentFederation.register("system_b", port: silent, with: client)
                #expect(try await eventually { await inbox.received.count >= 1 })
                let payload = try #require(await inbox.received.first?.payload)
                #expect(payload.type == "peer.dead")
                #expect(payload.data["peer"] == "system_b")
            }
        }
    }

    @Test func aRejectedRemoteRequestIsReportedOnBothSides() async throws {
        let inbox = WebhookInbox()
        try await WebhookReceiver.with(inbox: inbox) { port in
            try await SettlementPair.with { clientA, clientB, _ in
                for client in [clientA, clientB] {
                    _ = try await client.createWebhook(
                        CreateWebhookRequest(
                            url: "http://127.0.0.1:\(port)/hook", events: ["federation.request_rejected"],
                            secret: Self.secret))
                }
                _ = try await SettlementPair.federatedPool(clientA)
                let over = try await clientA.requestRemoteBudget(
                    RemoteBudgetRequest(agentID: "x", remoteSystemID: "system_b", amount: 1601))
                #expect(over.status == "rejected")
                #expect(try await eventually { await inbox.received.count >= 2 })
                let payloads = await inbox.received.compactMap(\.payload)
                #expect(Set(payloads.compactMap { $0.data["direction"] }) == ["incoming", "outgoing"])
                #expect(payloads.allSatisfy { $0.type == "federation.request_rejected" })
                #expect(payloads.allSatisfy { $0.data["transaction_id"] == over.transactionID })
                #expect(payloads.allSatisfy { $0.data["reason"] == "insufficient_credit" })
            }
        }
    }
}

/// The webhook routes, through the client's raw requests (the client has no webhook calls).
extension SafeguardsClient {
    func createWebhook(_ request: CreateWebhookRequest) async throws -> WebhookBody {
        try await webhookCall(.POST, "/v1/webhooks", body: Array(try APICoding.encode(request)))
    }

    func webhooks() async throws -> WebhookListBody {
        try await webhookCall(.GET, "/v1/webhooks")
    }

    func webhookDeliveries(webhook: String? = nil, status: String? = nil) async throws -> WebhookDeliveryListBody {
        var query: [String] = []
        if let webhook { query.append("webhook_id=\(webhook)") }
        if let status { query.append("status=\(status)") }
        return try await webhookCall(
            .GET, "/v1/webhooks/deliveries" + (query.isEmpty ? "" : "?" + query.joined(separator: "&")))
    }

    private func webhookCall<T: Decodable>(_ method: HTTPMethod, _ path: String, body: [UInt8]? = nil) async throws -> T
    {
        let response = try await raw(method, path, body: body)
        guard (200..<300).contains(response.status) else {
            throw APIClientError.unexpectedResponse(
                status: response.status, detail: String(decoding: response.body, as: UTF8.self))
        }
        return try APICoding.decoder().decode(T.self, from: Data(response.body))
    }
}
