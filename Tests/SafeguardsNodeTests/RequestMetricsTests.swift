import NIOHTTP1
import SafeguardsAPI
import SafeguardsNode
import Testing

/// `/metrics` counts every answered request by method and status, refusals included, and times
/// it by method: the counters are made once and then reused, and still add up.
@Suite("Request metrics", .timeLimit(.minutes(5)))
struct RequestMetricsTests {
    @Test func requestsAreCountedByMethodAndStatus() async throws {
        try await TestNode.with { client, _ in
            for _ in 0..<3 { _ = try await client.raw(.GET, "/healthz", authorized: false) }
            for _ in 0..<2 { _ = try await client.raw(.GET, "/v1/pools", authorized: false) }
            _ = try await client.raw(.POST, "/v1/agents/nobody/spend", body: Array(#"{"amount":"1"}"#.utf8))
            _ = try await client.raw(.GET, "/no/such/route")
            let metrics = try await client.metrics()
            let lines = metrics.split(separator: "\n").map(String.init)
            func value(_ prefix: String) -> String? {
                lines.first { $0.hasPrefix(prefix + " ") }.map { String($0.dropFirst(prefix.count + 1)) }
            }
            // The test node's own start-up requests come before: read the figures as at least these.
            #expect(Int(value(#"safeguards_http_requests_total{method="GET",status="200"}"#) ?? "") ?? 0 >= 3, "\(metrics)")
            #expect(value(#"safeguards_http_requests_total{method="GET",status="401"}"#) == "2", "\(metrics)")
            #expect(value(#"safeguards_http_requests_total{method="POST",status="404"}"#) == "1", "\(metrics)")
            #expect(value(#"safeguards_http_requests_total{method="GET",status="404"}"#) == "1", "\(metrics)")
            let timed = Int(value(#"safeguards_http_request_duration_seconds_count{method="GET"}"#) ?? "") ?? 0
            #expect(timed >= 6, "\(metrics)")
        }
    }
}
