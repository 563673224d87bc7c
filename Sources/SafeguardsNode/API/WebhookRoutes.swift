import Crypto
import Foundation
import Hummingbird
import SafeguardsAPI
import SafeguardsCore
import SafeguardsStore

/// `/v1/webhooks`: subscriptions to the node's events, and the outbox's deliveries.
struct WebhookRoutes: Sendable {
    let store: LedgerStore
    let maxBodyBytes: Int
    let now: @Sendable () -> Timestamp

    func add(to v1: RouterGroup<NodeRequestContext>) {
        v1.post("webhooks") { request, _ in
            let body = try await JSONBody.decode(CreateWebhookRequest.self, from: request, limit: maxBodyBytes)
            do throws(WebhookRules.Violation) {
                try WebhookRules.check(url: body.url, events: body.events, secret: body.secret)
            } catch {
                throw SafeguardsError.invalidRequest("\(error.field): \(error.message)")
            }
            let key = try BudgetOperations.key(body.idempotencyKey)
            let webhook = WebhookSubscription(
                id: Self.webhookID(key: key), url: body.url, events: body.events, secret: body.secret, source: "api",
                createdAt: now())
            switch try Self.available({ try store.addWebhook(webhook) }) {
            case .added:
                return APIRoutes.created(WebhookBody(webhook), replayed: false)
            case .existing(let earlier):
                guard let key, earlier.url == webhook.url, Set(earlier.events) == Set(webhook.events),
                    earlier.secret == webhook.secret
                else {
                    throw SafeguardsError(.conflict, "idempotency key \(key?.rawValue ?? "") was used for another webhook")
                }
                return APIRoutes.created(WebhookBody(earlier), replayed: true)
            case .full:
                throw SafeguardsError(
                    .conflict, "at most \(WebhookSubscription.maximumCount) webhooks; delete one before adding another")
            }
        }
        v1.get("webhooks") { request, _ in
            let page = try PageRequest(request, list: "webhooks")
            let rows = try Self.available { try store.webhookPage(after: page.after, limit: page.limit + 1) }
            let (webhooks, next) = page.page(rows: rows, key: \.id)
            return JSONBody.response(WebhookListBody(webhooks: webhooks.map(WebhookBody.init), next: next))
        }
        v1.get("webhooks/deliveries") { request, _ in
            let page = try PageRequest(request, list: "webhook_deliveries")
            let query = request.uri.queryParameters
            var status: WebhookOutbox.Status?
            if let text = query["status"] {
                guard let parsed = WebhookOutbox.Status(rawValue: String(text)) else {
                    throw SafeguardsError.invalidRequest(
                        "status must be pending, delivered or failed, not '\(text.prefix(16))'")
                }
                status = parsed
            }
            let before = try page.afterSequence()
            let rows = try Self.available {
                try store.webhookDeliveryPage(
                    webhook: query["webhook_id"].map(String.init), status: status, before: before, limit: page.limit + 1
                )
            }
            let (deliveries, next) = page.page(rows: rows)
            return JSONBody.response(
                WebhookDeliveryListBody(deliveries: deliveries.map(WebhookDeliveryBody.init), next: next))
        }
        v1.delete("webhooks/:id") { _, context in
            let id = try context.parameters.require("id")
            guard try Self.available({ try store.deleteWebhook(id, now: now()) }) else {
                throw SafeguardsError.notFound("no webhook '\(id.prefix(64))'")
            }
            return Response(status: .noContent)
        }
    }

    /// `whk_` and 16 hex digits: random, or derived from the idempotency key, so a retried
    /// request names the webhook it created.
    static func webhookID(key: IdempotencyKey?) -> String {
        guard let key else {
            return "whk_" + (0..<8).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
        }
        let digest = SHA256.hash(data: Data("webhook:\(key.rawValue)".utf8))
        return "whk_" + digest.prefix(8).map { String(format: "%02x", $0) }.joined()
    }

    /// Runs a store call; a storage failure answers `unavailable`.
    private static func available<T>(_ body: () throws -> T) throws(SafeguardsError) -> T {
        do { return try body() } catch {
            throw SafeguardsError(.unavailable, "the webhook store cannot be used: \(error)")
        }
    }
}

extension WebhookBody {
    init(_ webhook: WebhookSubscription) {
        self.init(
            id: webhook.id, url: webhook.url, events: webhook.events, source: webhook.source,
            createdAt: webhook.createdAt.description)
    }
}

extension WebhookDeliveryBody {
    init(_ delivery: WebhookDelivery) {
        self.init(
            id: delivery.id, eventID: delivery.eventID, webhookID: delivery.webhookID, type: delivery.type,
            status: delivery.status.rawValue, attempts: delivery.attempts, lastStatus: delivery.lastStatus,
            lastError: delivery.lastError, nextAttemptAt: delivery.nextAttemptAt?.description,
            deliveredAt: delivery.status == .delivered ? delivery.finishedAt?.description : nil,
            createdAt: delivery.createdAt.description)
    }
}
