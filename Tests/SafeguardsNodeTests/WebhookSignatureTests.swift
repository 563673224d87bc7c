import SafeguardsCore
import SafeguardsNode
import Testing

/// The signature receivers check, against a value computed outside Swift (Python's `hmac`).
@Suite("Webhook signature")
struct WebhookSignatureTests {
    @Test func theSignatureIsTheHMACOfTimestampDotBody() {
        let header = WebhookSignature.header(
            secret: "whsec_test", timestamp: 1_700_000_000, body: Array(#"{"id":"evt_1"}"#.utf8))
        #expect(header == "sha256=c89214b5b5da833daed6f0b8c5bb6bd58cea9022bd80ccc78230f3942d632925")
    }

    @Test func anotherSecretTimestampOrBodySignsDifferently() {
        let body = Array(#"{"id":"evt_1"}"#.utf8)
        let base = WebhookSignature.header(secret: "whsec_test", timestamp: 1_700_000_000, body: body)
        #expect(WebhookSignature.header(secret: "whsec_other", timestamp: 1_700_000_000, body: body) != base)
        #expect(WebhookSignature.header(secret: "whsec_test", timestamp: 1_700_000_001, body: body) != base)
        #expect(WebhookSignature.header(secret: "whsec_test", timestamp: 1_700_000_000, body: body + [0x20]) != base)
    }
}
