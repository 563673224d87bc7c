import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import SafeguardsCore
import SafeguardsStore
import ServiceLifecycle

/// Delivers the outbox (see ``WebhookOutbox``): every `poll_interval` it reads the deliveries
/// that are due, POSTs each to its webhook with AsyncHTTPClient, and stores the outcome; until
/// graceful shutdown, which cancels the wait and the requests in flight (a cancelled attempt is
/// not recorded, so it is made again after the restart: at least once).
///
/// - One webhook's deliveries go out one at a time, oldest first; different webhooks' in parallel.
/// - A request is `{id, type, created_at, data}` with `Content-Type: application/json`,
///   `Safeguards-Event-Id`, `Safeguards-Timestamp` (unix seconds) and `Safeguards-Signature`
///   (``WebhookSignature``); it has `request_timeout` to complete, and redirects are not followed
///   (a 3xx is a failed attempt).
/// - Only a 2xx delivers. Anything else is retried on the ``WebhookRetrySchedule``, until the
///   event is older than `max_attempt_age`; then the delivery is `failed`.
/// - Finished deliveries are pruned about once a minute (`retention`, `max_deliveries`).
public struct WebhookDispatcher: Service {
    let store: LedgerStore
    let settings: NotificationsConfig
    let now: @Sendable () -> Timestamp
    let logger: Logger

    /// Due deliveries read per pass (at most one per webhook).
    static let batch = 100

    public init(
        store: LedgerStore, settings: NotificationsConfig, now: @escaping @Sendable () -> Timestamp, logger: Logger
    ) {
        self.store = store
        self.settings = settings
        self.now = now
        self.logger = logger
    }

    public func run() async throws {
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: Self.clientConfiguration)
        await cancelWhenGracefulShutdown {
            var lastPrune: Timestamp?
            while !Task.isCancelled {
                let time = now()
                if lastPrune.map({ $0.duration(to: time) >= .seconds(60) }) ?? true {
                    prune(at: time)
                    lastPrune = time
                }
                await deliverDue(with: client)
                do { try await Task.sleep(for: settings.pollInterval) } catch { break }
            }
        }
        try? await client.shutdown()
    }

    static var clientConfiguration: HTTPClient.Configuration {
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        configuration.timeout = .init(connect: .seconds(5), read: .seconds(10))
        configuration.httpVersion = .http1Only
        // A refused connection is a failed attempt, recorded at once and retried on our schedule,
        // not retried inside the client until the request's deadline.
        configuration.connectionPool.retryConnectionEstablishment = false
        return configuration
    }

    /// One pass: attempts every delivery due now and records each outcome. Returns how many were attempted.
    @discardableResult
    func deliverDue(with client: HTTPClient) async -> Int {
        let due: [DueWebhookDelivery]
        do { due = try store.dueWebhookDeliveries(now: now(), limit: Self.batch) } catch {
            logger.warning("cannot read the webhook outbox", metadata: ["error": "\(error)"])
            return 0
        }
        guard !due.isEmpty else { return 0 }
        let attempts = await withTaskGroup(of: (DueWebhookDelivery, Attempt?).self) { group in
            for item in due { group.addTask { (item, await send(item, with: client)) } }
            var collected: [(DueWebhookDelivery, Attempt?)] = []
            for await result in group { collected.append(result) }
            return collected
        }
        var random = SystemRandomNumberGenerator()
        let schedule = settings.retrySchedule
        var outcomes: [(sequence: Int64, outcome: WebhookAttemptOutcome)] = []
        for case (let item, let attempt?) in attempts {
            let delivery = item.delivery
            let time = now()
            let outcome: WebhookAttemptOutcome
            if let status = attempt.status, (200..<300).contains(status) {
                outcome = .delivered(status: status, at: time)
            } else if let next = schedule.next(
                afterAttempts: delivery.attempts + 1, createdAt: delivery.createdAt, now: time, random: &random)
            {
                outcome = .retry(status: attempt.status, error: attempt.error, nextAttemptAt: next)
            } else {
                outcome = .failed(status: attempt.status, error: attempt.error, at: time)
                logger.warning(
                    "webhook delivery given up",
                    metadata: ["webhook.id": "\(delivery.webhookID)", "event.id": "\(delivery.eventID)"])
            }
            outcomes.append((delivery.sequence, outcome))
        }
        do { try store.recordWebhookAttempts(outcomes) } catch {
            logger.warning("cannot record webhook attempts", metadata: ["error": "\(error)"])
        }
        return due.count
    }

    /// What one POST came to: the status of the answer if one came, and an error text otherwise
    /// or for a status that is not 2xx.
    struct Attempt {
        var status: Int?
        var error: String
    }

    /// POSTs `item`; `nil` when the pass was cancelled (shutdown): nothing is recorded then.
    private func send(_ item: DueWebhookDelivery, with client: HTTPClient) async -> Attempt? {
        let request: HTTPClientRequest
        do { request = try Self.request(for: item, timestamp: now().millisecondsSince1970 / 1000) } catch {
            return Attempt(status: nil, error: "cannot build the request: \(error)")
        }
        do {
            let response = try await client.execute(request, timeout: TimeAmount(settings.requestTimeout))
            let status = Int(response.status.code)
            // Only a short prefix of the answer is kept, for the delivery's last_error.
            let prefix = try? await response.body.collect(upTo: 4096)
            let text = prefix.map { String(buffer: $0).prefix(WebhookOutbox.errorPrefix) } ?? ""
            return Attempt(status: status, error: (200..<300).contains(status) ? "" : "HTTP \(status) \(text)")
        } catch {
            if Task.isCancelled { return nil }
            return Attempt(status: nil, error: "\(error)")
        }
    }

    /// The POST of `item` sent at `timestamp` (unix seconds).
    static func request(for item: DueWebhookDelivery, timestamp: Int64) throws -> HTTPClientRequest {
        let body = try payload(of: item.delivery)
        var request = HTTPClientRequest(url: item.url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: "safeguards-webhooks")
        request.headers.add(name: "Safeguards-Event-Id", value: item.delivery.eventID)
        request.headers.add(name: "Safeguards-Timestamp", value: String(timestamp))
        request.headers.add(
            name: "Safeguards-Signature",
            value: WebhookSignature.header(secret: item.secret, timestamp: timestamp, body: body))
        request.body = .bytes(ByteBuffer(bytes: body))
        return request
    }

    /// `{id, type, created_at, data}` with sorted keys: the same bytes at every attempt.
    static func payload(of delivery: WebhookDelivery) throws -> [UInt8] {
        let data = try JSONDecoder().decode([String: String].self, from: Data(delivery.data.utf8))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array(
            try encoder.encode(
                WebhookPayload(
                    id: delivery.eventID, type: delivery.type, createdAt: delivery.createdAt.description, data: data)))
    }

    private func prune(at time: Timestamp) {
        let cutoff = time.advanced(by: .zero - settings.retention)
        do { try store.pruneWebhookDeliveries(finishedBefore: cutoff, keep: settings.maxDeliveries) } catch {
            logger.warning("cannot prune the webhook outbox", metadata: ["error": "\(error)"])
        }
    }
}

/// The JSON body of a webhook request.
public struct WebhookPayload: Codable, Sendable, Equatable {
    /// The event id (also in `Safeguards-Event-Id`): the same at every attempt, so receivers drop duplicates.
    public var id: String
    public var type: String
    public var createdAt: String
    public var data: [String: String]

    enum CodingKeys: String, CodingKey {
        case id, type, createdAt = "created_at", data
    }
}
