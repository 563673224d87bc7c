import SafeguardsAPI
import SafeguardsNode
import Testing

/// `notifications.webhooks` in the config: read with stable ids, and refused with the key named.
@Suite("Webhook config")
struct WebhookConfigTests {
    @Test func webhooksAndTheirSettingsAreRead() throws {
        let config = try NodeConfig.parse(
            yaml: """
                notifications:
                  webhooks:
                    - url: https://hooks.example.com/safeguards
                      events: [alert.warning, alert.critical]
                      secret: s3cret
                    - {url: "http://127.0.0.1:9000/all", events: ["*"], secret: other}
                  max_attempt_age: 1h
                  retention: 2d
                  max_deliveries: 500
                  poll_interval: 250ms
                  request_timeout: 3s
                  retry_base: 2s
                """)
        let notifications = config.notifications
        #expect(notifications.webhooks.map(\.events) == [["alert.warning", "alert.critical"], ["*"]])
        #expect(notifications.maxAttemptAge == .seconds(3600))
        #expect(notifications.retention == .seconds(172_800))
        #expect(notifications.maxDeliveries == 500)
        #expect(notifications.pollInterval == .milliseconds(250))
        #expect(notifications.requestTimeout == .seconds(3))
        #expect(notifications.retrySchedule.ceiling(afterAttempts: 2) == .seconds(4))
        // The id is the URL's: the same at every start, different per URL.
        let ids = notifications.webhooks.map(\.configID)
        #expect(ids.allSatisfy { $0.hasPrefix("cfg_") && $0.count == 20 })
        #expect(Set(ids).count == 2)
        #expect(
            try NodeConfig.parse(
                yaml:
                    "notifications: {webhooks: [{url: 'https://hooks.example.com/safeguards', events: ['*'], secret: x}]}"
            )
            .notifications.webhooks.first?.configID == ids[0])
    }

    @Test(arguments: [
        ("{url: 'ftp://x/y', events: ['*'], secret: s}", "notifications.webhooks[0].url"),
        ("{url: 'https://', events: ['*'], secret: s}", "notifications.webhooks[0].url"),
        ("{events: ['*'], secret: s}", "notifications.webhooks[0].url"),
        ("{url: 'https://x/y', events: [alert.loud], secret: s}", "notifications.webhooks[0].events"),
        ("{url: 'https://x/y', events: [], secret: s}", "notifications.webhooks[0].events"),
        ("{url: 'https://x/y', events: alert.warning, secret: s}", "notifications.webhooks[0].events"),
        ("{url: 'https://x/y', events: ['*']}", "notifications.webhooks[0].secret"),
        ("{url: 'https://x/y', events: ['*'], secret: s, retries: 3}", "notifications.webhooks[0].retries"),
    ])
    func aBadWebhookIsRefusedWithItsKey(entry: String, key: String) {
        do {
            _ = try NodeConfig.parse(yaml: "notifications:\n  webhooks: [\(entry)]")
            Issue.record("\(entry) was accepted")
        } catch {
            #expect(error.key == key, "\(error)")
        }
    }

    @Test func theSameURLTwiceIsRefused() {
        let entry = "{url: 'https://x/y', events: ['*'], secret: s}"
        #expect(throws: ConfigError(key: "notifications.webhooks[1].url", "'https://x/y' is configured twice")) {
            try NodeConfig.parse(yaml: "notifications:\n  webhooks: [\(entry), \(entry)]")
        }
    }
}
