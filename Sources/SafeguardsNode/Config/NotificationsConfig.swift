import Crypto
import Foundation
import SafeguardsAPI
import SafeguardsCore
import SafeguardsStore

/// The `notifications` section: webhooks and how their deliveries are retried and kept.
///
/// ```yaml
/// notifications:
///   webhooks:                    # at most 100 (with those added through the API)
///     - url: https://hooks.example.com/safeguards   # http or https
///       events: [alert.warning, alert.critical]      # or ["*"]
///       secret: s3cret                               # signs each delivery (HMAC-SHA256)
///   max_attempt_age: 72h         # a delivery not answered with a 2xx by then is marked failed
///   retention: 7d                # delivered and failed deliveries are kept this long
///   max_deliveries: 100000       # and at most this many rows (the oldest finished ones go first)
///   poll_interval: 1s            # how often the outbox is read for due deliveries
///   request_timeout: 10s         # one POST's deadline
///   retry_base: 1s               # the first retry's longest wait; it doubles per attempt, up to 10m
/// ```
public struct NotificationsConfig: Sendable, Equatable {
    /// The configured webhooks; stored at start with ids `cfg_<hash of the url>`.
    public var webhooks: [WebhookSpec] = []
    public var maxAttemptAge: Duration = .seconds(72 * 3600)
    public var retention: Duration = .seconds(7 * 86_400)
    public var maxDeliveries = 100_000
    public var pollInterval: Duration = .seconds(1)
    public var requestTimeout: Duration = .seconds(10)
    public var retryBase: Duration = .seconds(1)

    public init() {}

    /// The retry schedule these settings describe.
    public var retrySchedule: WebhookRetrySchedule {
        var schedule = WebhookRetrySchedule(maxAge: maxAttemptAge)
        schedule.base = min(retryBase, schedule.cap)
        return schedule
    }

    /// One configured webhook: the body `POST /v1/webhooks` takes.
    public typealias WebhookSpec = CreateWebhookRequest

    static func parse(_ section: inout ConfigSection) throws(ConfigError) -> NotificationsConfig {
        var config = NotificationsConfig()
        for var entry in try section.sections("webhooks") ?? [] {
            let url = try entry.string("url") ?? ""
            let secret = try entry.string("secret") ?? ""
            let events = try entry.strings("events") ?? []
            do { try WebhookRules.check(url: url, events: events, secret: secret) } catch {
                throw ConfigError(key: entry.qualified(error.field), error.message)
            }
            let spec = WebhookSpec(url: url, events: events, secret: secret)
            guard !config.webhooks.contains(where: { $0.url == url }) else {
                throw ConfigError(key: entry.qualified("url"), "'\(url)' is configured twice")
            }
            config.webhooks.append(spec)
            try entry.rejectUnknownKeys()
        }
        guard config.webhooks.count <= WebhookSubscription.maximumCount else {
            throw ConfigError(
                key: section.qualified("webhooks"), "at most \(WebhookSubscription.maximumCount) webhooks")
        }
        if let value = try section.duration("max_attempt_age") { config.maxAttemptAge = value }
        if let value = try section.duration("retention") { config.retention = value }
        if let value = try section.integer("max_deliveries") {
            guard (100...10_000_000).contains(value) else {
                throw ConfigError(key: section.qualified("max_deliveries"), "must be between 100 and 10000000")
            }
            config.maxDeliveries = value
        }
        if let value = try section.duration("poll_interval") { config.pollInterval = value }
        if let value = try section.duration("request_timeout") { config.requestTimeout = value }
        if let value = try section.duration("retry_base") { config.retryBase = value }
        return config
    }
}

extension CreateWebhookRequest {
    /// `cfg_` and the first 16 hex digits of the URL's SHA-256: a configured webhook's id, the
    /// same at every start.
    public var configID: String {
        "cfg_" + SHA256.hash(data: Data(url.utf8)).prefix(8).map { String(format: "%02x", $0) }.joined()
    }
}

/// What a webhook must be, from the config or the API.
enum WebhookRules {
    /// A refused webhook: which field, and why.
    struct Violation: Error {
        let field: String
        let message: String
    }

    static let maximumURLLength = 2048
    static let maximumSecretLength = 256

    /// - Throws: ``Violation`` for a URL that is not absolute http(s) with a host, an empty or
    ///   unknown event list, or an empty or overlong secret.
    static func check(url: String, events: [String], secret: String) throws(Violation) {
        guard !url.isEmpty, url.utf8.count <= maximumURLLength, let parsed = URL(string: url),
            let scheme = parsed.scheme?.lowercased(), scheme == "http" || scheme == "https",
            let host = parsed.host, !host.isEmpty
        else {
            throw Violation(field: "url", message: "'\(url.prefix(64))' is not an http or https URL with a host")
        }
        guard !events.isEmpty else {
            throw Violation(field: "events", message: "must list event types, or \"*\" for all")
        }
        let known = Set(WebhookEventType.allCases.map(\.rawValue))
        for event in events where event != "*" && !known.contains(event) {
            throw Violation(
                field: "events",
                message: "'\(event.prefix(64))' is not an event type (\(known.sorted().joined(separator: ", ")), or *)")
        }
        guard !secret.isEmpty, secret.utf8.count <= maximumSecretLength else {
            throw Violation(field: "secret", message: "must be 1 to \(maximumSecretLength) bytes")
        }
    }
}
