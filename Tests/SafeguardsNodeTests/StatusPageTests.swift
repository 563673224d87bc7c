import Foundation
import NIOHTTP1
import SafeguardsAPI
import SafeguardsCore
import SafeguardsTestKit
import Testing

@testable import SafeguardsNode

/// The status page's sign-in: nothing but the form and health without a session; the token or an
/// admin key makes a strict, HttpOnly session cookie; the page and `/status.json` need it.
@Suite("Status page sign-in")
struct StatusPageTests {
    /// A pool and an agent whose names and amounts must not show without a session.
    static func fixture(_ client: SafeguardsClient) async throws {
        let pool = try await client.createPool(CreatePoolRequest(name: "hidden-pool", initialBudget: try Amount(parsing: "1234.5"), priority: 4))
        _ = try await client.registerAgent(
            RegisterAgentRequest(agentID: "hidden-agent", poolID: pool.id, priority: "HIGH", initialBudget: try Amount(parsing: "321.25")))
    }

    static func signIn(_ client: SafeguardsClient, _ token: String, origin: String? = nil) async throws -> HTTPResponse {
        let body = "token=" + (token.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")
        return try await client.raw(
            .POST, "/login", body: Array(body.utf8), authorized: false, headers: origin.map { [("Origin", $0)] } ?? [])
    }

    /// `name=value` of the response's session cookie.
    static func cookie(_ response: HTTPResponse) throws -> String {
        let header = try #require(response.header("set-cookie"))
        return String(try #require(header.split(separator: ";").first))
    }

    static func page(_ client: SafeguardsClient, cookie: String?) async throws -> (Int, String) {
        let response = try await client.raw(.GET, "/", authorized: false, headers: cookie.map { [("Cookie", $0)] } ?? [])
        return (response.status, String(decoding: response.body, as: UTF8.self))
    }

    static func isSignInForm(_ html: String) -> Bool {
        html.contains("action=\"/login\"") && html.contains("name=\"token\"") && !html.contains("id=\"agents\"")
    }

    @Test func withoutASessionThePageShowsOnlyTheFormAndHealth() async throws {
        try await TestNode.with { client, _ in
            try await Self.fixture(client)
            let response = try await client.raw(.GET, "/", authorized: false)
            let html = String(decoding: response.body, as: UTF8.self)
            #expect(response.status == 200)
            #expect(Self.isSignInForm(html))
            #expect(html.contains("id=\"health\">ok<"))
            #expect(html.contains("<code>test</code>"))
            for secret in ["hidden-pool", "hidden-agent", "1234.5", "321.25", "balanced"] {
                #expect(!html.contains(secret), "the sign-in page shows \(secret)")
            }
            #expect(response.header("cache-control") == "no-store")
            let policy = try #require(response.header("content-security-policy"))
            #expect(policy.contains("default-src 'none'") && policy.contains("frame-ancestors 'none'"))
            // A bearer token does not open the page: the page signs in with a form only.
            let bearer = try await client.raw(.GET, "/")
            #expect(Self.isSignInForm(String(decoding: bearer.body, as: UTF8.self)))
        }
    }

    @Test func aWrongTokenGetsTheFormAgainAndNoCookie() async throws {
        try await TestNode.with { client, _ in
            let response = try await Self.signIn(client, "not-the-token")
            #expect(response.status == 401)
            #expect(response.header("set-cookie") == nil)
            let html = String(decoding: response.body, as: UTF8.self)
            #expect(Self.isSignInForm(html))
            #expect(html.contains("id=\"signin-error\""))
            #expect(try await Self.signIn(client, "").status == 401)
        }
    }

    @Test func theTokenSignsInWithAStrictHttpOnlyCookie() async throws {
        try await TestNode.with { client, _ in
            try await Self.fixture(client)
            let response = try await Self.signIn(client, TestNode.token)
            #expect(response.status == 303)
            #expect(response.header("location") == "/")
            let header = try #require(response.header("set-cookie"))
            let attributes = Set(header.split(separator: ";").dropFirst().map { $0.trimmingCharacters(in: .whitespaces) })
            #expect(attributes.isSuperset(of: ["HttpOnly", "SameSite=Strict", "Path=/", "Max-Age=43200"]))
            #expect(!attributes.contains("Secure"), "plain HTTP: a Secure cookie would never come back")
            let cookie = try Self.cookie(response)
            #expect(cookie.hasPrefix("safeguards_test="))
            #expect(cookie.count == "safeguards_test=".count + 64)

            let (status, html) = try await Self.page(client, cookie: cookie)
            #expect(status == 200)
            #expect(!Self.isSignInForm(html))
            for text in ["hidden-pool", "hidden-agent", "1234.500000", "321.250000", "id=\"sync\"", "id=\"agents\"",
                "id=\"federated-pools\"", "id=\"ledger\"", "id=\"generated\"", "action=\"/logout\""]
            {
                #expect(html.contains(text), "the signed-in page lacks \(text)")
            }
            let json = try await client.raw(.GET, "/status.json", authorized: false, headers: [("Cookie", cookie)])
            #expect(json.status == 200)
            let view = try #require(try JSONSerialization.jsonObject(with: Data(json.body)) as? [String: Any])
            #expect(view["system_id"] as? String == "test")
            let sections = try #require(view["sections"] as? [[String: Any]])
            #expect(sections.compactMap { $0["id"] as? String }.contains("agents"))
        }
    }

    @Test func anAdminKeySignsInAndAnAgentKeyIsRefused() async throws {
        try await TestNode.with { client, _ in
            try await Self.fixture(client)
            let admin = try await client.createAPIKey(CreateAPIKeyRequest(name: "ops", role: "admin"))
            let agent = try await client.createAPIKey(
                CreateAPIKeyRequest(name: "bot", role: "agent", agentIDs: ["hidden-agent"]))

            let refused = try await Self.signIn(client, try #require(agent.key))
            #expect(refused.status == 403)
            #expect(refused.header("set-cookie") == nil)
            #expect(String(decoding: refused.body, as: UTF8.self).contains("agent key"))

            let signedIn = try await Self.signIn(client, try #require(admin.key))
            #expect(signedIn.status == 303)
            let cookie = try Self.cookie(signedIn)
            #expect(try await Self.page(client, cookie: cookie).1.contains("hidden-agent"))
            // Revoking the key ends the sessions it opened.
            _ = try await client.revokeAPIKey(admin.id)
            #expect(Self.isSignInForm(try await Self.page(client, cookie: cookie).1))
        }
    }

    @Test func signingOutEndsTheSession() async throws {
        try await TestNode.with { client, _ in
            let cookie = try Self.cookie(try await Self.signIn(client, TestNode.token))
            #expect(!Self.isSignInForm(try await Self.page(client, cookie: cookie).1))
            let out = try await client.raw(.POST, "/logout", authorized: false, headers: [("Cookie", cookie)])
            #expect(out.status == 303)
            #expect(out.header("set-cookie")?.contains("Max-Age=0") == true)
            #expect(Self.isSignInForm(try await Self.page(client, cookie: cookie).1))
            let json = try await client.raw(.GET, "/status.json", authorized: false, headers: [("Cookie", cookie)])
            #expect(json.status == 401)
        }
    }

    @Test func anUnknownOrMalformedCookieGetsTheForm() async throws {
        try await TestNode.with { client, _ in
            let unknown = "safeguards_test=" + String(repeating: "ab", count: 32)
            #expect(Self.isSignInForm(try await Self.page(client, cookie: unknown).1))
            #expect(Self.isSignInForm(try await Self.page(client, cookie: "safeguards_test=<script>").1))
            // Another node's cookie (same host, other port) is not this node's session.
            let cookie = try Self.cookie(try await Self.signIn(client, TestNode.token))
            let renamed = cookie.replacingOccurrences(of: "safeguards_test=", with: "safeguards_other=")
            #expect(Self.isSignInForm(try await Self.page(client, cookie: renamed).1))
        }
    }

    @Test func statusJSONNeedsASessionOrTheToken() async throws {
        try await TestNode.with { client, _ in
            let anonymous = try await client.raw(.GET, "/status.json", authorized: false)
            #expect(anonymous.status == 401)
            #expect(anonymous.header("content-type") == "application/problem+json")
            #expect(try await client.raw(.GET, "/status.json").status == 200)
        }
    }

    @Test func aSignInFromAnotherSiteIsRefused() async throws {
        try await TestNode.with { client, _ in
            let elsewhere = try await Self.signIn(client, TestNode.token, origin: "http://attacker.example")
            #expect(elsewhere.status == 403)
            #expect(elsewhere.header("set-cookie") == nil)
            let own = try await Self.signIn(client, TestNode.token, origin: client.endpoint.description)
            #expect(own.status == 303)
        }
    }

    /// Behind a proxy that rewrites Host, the browser's Origin is the proxy's address: it is
    /// accepted once configured in `api.public_origins`, and nothing else is.
    @Test func aConfiguredPublicOriginMaySignIn() async throws {
        try await TestNode.with(configure: { $0.api.publicOrigins = ["https://budget.example.com"] }) { client, _ in
            let proxied = try await Self.signIn(client, TestNode.token, origin: "https://budget.example.com")
            #expect(proxied.status == 303)
            #expect(proxied.header("set-cookie") != nil)
            for origin in ["http://budget.example.com", "https://budget.example.com:8443", "https://attacker.example", "null"] {
                #expect(try await Self.signIn(client, TestNode.token, origin: origin).status == 403, "\(origin)")
            }
            #expect(try await Self.signIn(client, TestNode.token, origin: client.endpoint.description).status == 303)
        }
    }

    @Test func publicOriginsAreOriginsOnly() throws {
        let config = try NodeConfig.parse(
            yaml: "api:\n  public_origins: [\"https://budget.example.com\", \"http://10.0.0.5:8080\"]")
        #expect(config.api.publicOrigins == ["https://budget.example.com", "http://10.0.0.5:8080"])
        for bad in ["https://budget.example.com/", "https://budget.example.com/status", "ftp://budget.example.com",
            "budget.example.com", "https://user@budget.example.com", "https://budget.example.com?x=1", ""]
        {
            #expect(throws: ConfigError.self, "\(bad)") { try NodeConfig.parse(yaml: "api:\n  public_origins: [\"\(bad)\"]") }
        }
        #expect(throws: ConfigError.self) { try NodeConfig.parse(yaml: "api:\n  public_origins: https://budget.example.com") }
        #expect(NodeConfig().api.publicOrigins.isEmpty)
    }

    @Test func failedSignInsAreBoundedAndThenRefusedUnchecked() async throws {
        try await TestNode.with { client, _ in
            for _ in 0..<StatusSessions.failureBurst {
                #expect(try await Self.signIn(client, "guess").status == 401)
            }
            let limited = try await Self.signIn(client, TestNode.token)
            #expect(limited.status == 429)
            #expect(limited.header("retry-after") != nil)
            #expect(limited.header("set-cookie") == nil)
        }
    }

    /// A guesser at one address does not hold the sign-in of an operator at another.
    @Test func failedSignInsFromOneAddressDoNotLockOutAnother() async throws {
        try await TestNode.with { client, _ in
            let port = client.endpoint.port
            for _ in 0..<StatusSessions.failureBurst {
                #expect(try await Self.signIn(client, "guess").status == 401)
            }
            #expect(try await Self.signIn(client, TestNode.token).status == 429)
            let body = "token=" + (TestNode.token.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")
            let request = "POST /login HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\n"
                + "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: \(body.utf8.count)\r\n\r\n" + body
            let other = try RawHTTPConnection(port: port, from: "127.0.0.2")
            defer { other.close() }
            try other.send(request)
            let answer = try #require(await other.response())
            #expect(answer.hasPrefix("HTTP/1.1 303"), "\(answer.prefix(200))")
            #expect(answer.lowercased().contains("set-cookie: safeguards_"))
        }
    }

    @Test func eachAddressHasItsOwnBucketAndTheTableIsBounded() {
        let clock = ManualClock()
        let sessions = StatusSessions(now: clock.nowFunction)
        for _ in 0..<StatusSessions.failureBurst { sessions.recordFailure(from: "10.0.0.1") }
        #expect(sessions.signInAllowed(from: "10.0.0.1") != nil)
        #expect(sessions.signInAllowed(from: "10.0.0.2") == nil)
        // Many guessing addresses: the table stops at its bound, and the ones past it share a
        // bucket, so they get one burst between them.
        for number in 0..<(StatusSessions.trackedSources + 50) { sessions.recordFailure(from: "10.1.\(number / 256).\(number % 256)") }
        #expect(sessions.trackedSourceCount == StatusSessions.trackedSources + 1)
        #expect(sessions.signInAllowed(from: "10.9.9.9") != nil, "a new address past the bound shares the spent bucket")
        #expect(sessions.signInAllowed(from: "10.0.0.2") != nil)
        #expect(sessions.signInAllowed(from: "10.1.0.5") == nil, "a tracked address has its own bucket")
        // Once their failures are given back, the addresses' buckets make room again.
        clock.advance(by: StatusSessions.failureRefill * StatusSessions.failureBurst)
        sessions.recordFailure(from: "10.9.9.9")
        #expect(sessions.trackedSourceCount == 1)
        #expect(sessions.signInAllowed(from: "10.0.0.1") == nil)
    }

    @Test func outsideTextIsEscaped() async throws {
        try await TestNode.with { client, _ in
            let pool = try await client.createPool(
                CreatePoolRequest(name: "<script>alert(1)</script>", initialBudget: 10, priority: 2))
            _ = try await client.freeze(pool: pool.id)
            // Agent ids cannot hold markup: the identifier rules refuse it before it is stored.
            await #expect(throws: APIClientError.self) {
                _ = try await client.registerAgent(
                    RegisterAgentRequest(agentID: "<script>", poolID: pool.id, priority: "LOW", initialBudget: 1))
            }
            let cookie = try Self.cookie(try await Self.signIn(client, TestNode.token))
            let html = try await Self.page(client, cookie: cookie).1
            #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
            #expect(!html.contains("<script>alert(1)"))
            // The only script is the page's own, with the response's nonce.
            #expect(html.components(separatedBy: "<script").count == 2)
            #expect(html.contains("<script nonce=\""))
        }
    }
}

/// The session store's bounds, on a manual clock.
@Suite("Status page sessions")
struct StatusSessionsTests {
    @Test func aSessionExpiresAfterItsLifetime() {
        let clock = ManualClock()
        let sessions = StatusSessions(now: clock.nowFunction)
        let id = sessions.start(actor: "admin-token")
        #expect(sessions.session(id)?.actor == "admin-token")
        clock.advance(by: StatusSessions.lifetime - .milliseconds(1))
        #expect(sessions.session(id) != nil)
        clock.advance(by: .milliseconds(1))
        #expect(sessions.session(id) == nil)
        #expect(sessions.count == 0)
    }

    @Test func theNumberOfSessionsIsBounded() {
        let clock = ManualClock()
        let sessions = StatusSessions(now: clock.nowFunction)
        let first = sessions.start(actor: "admin-token")
        clock.advance(by: .seconds(1))
        var last = first
        for _ in 0..<StatusSessions.capacity { last = sessions.start(actor: "admin-token") }
        #expect(sessions.count == StatusSessions.capacity)
        #expect(sessions.session(first) == nil, "the session that expires first made room")
        #expect(sessions.session(last) != nil)
    }

    @Test func failuresRefillOneAtATime() throws {
        let clock = ManualClock()
        let sessions = StatusSessions(now: clock.nowFunction)
        let source = "192.0.2.1"
        for _ in 0..<StatusSessions.failureBurst {
            #expect(sessions.signInAllowed(from: source) == nil)
            sessions.recordFailure(from: source)
        }
        let wait = try #require(sessions.signInAllowed(from: source))
        #expect(wait == StatusSessions.failureRefill)
        clock.advance(by: StatusSessions.failureRefill)
        #expect(sessions.signInAllowed(from: source) == nil)
        sessions.recordFailure(from: source)
        #expect(sessions.signInAllowed(from: source) != nil)
        clock.advance(by: StatusSessions.failureRefill * StatusSessions.failureBurst)
        for _ in 0..<StatusSessions.failureBurst - 1 { sessions.recordFailure(from: source) }
        #expect(sessions.signInAllowed(from: source) == nil)
    }

    @Test func idsAreRandomHexAndOnlyTheirHashIsKept() {
        let sessions = StatusSessions()
        let one = sessions.start(actor: "a")
        let two = sessions.start(actor: "b")
        #expect(one != two)
        #expect(StatusSessions.isWellFormed(one) && StatusSessions.isWellFormed(two))
        #expect(!StatusSessions.isWellFormed(one.uppercased()))
        #expect(sessions.session(String(one.dropLast()) + "x") == nil)
    }

    /// The page's agent rows are the ones a full sort puts first (alert level, then share used,
    /// then id), and its counts are of every agent, without the list of all of them being made.
    @Test func theAgentDigestKeepsWhatAFullSortPutsFirstAndCountsEveryAgent() throws {
        var book = BudgetBook()
        let start = Timestamp(millisecondsSince1970: 1_767_225_600_000)
        let pool = PoolID(unchecked: "big")
        try book.execute(
            .createPool(pool, name: "big", priority: try PoolPriority(5), initialBudget: 1_000_000, metadata: [:], key: nil), now: start)
        var random = SeededRandom(seed: 3)
        for number in 0..<240 {
            let agent = AgentID(unchecked: "agent-\(String(number * 37 % 240, radix: 7))-\(number)")
            try book.execute(.registerAgent(agent, pool: pool, priority: .medium, initialBudget: 100, key: nil), now: start)
            // Whole units only, so many agents share a used share and the id decides.
            let spent = random.int(in: 0...100)
            if spent > 0 {
                try book.execute(
                    .spend(agent, amount: Amount(micros: Int64(spent) * 1_000_000), transferID: TransferID(unchecked: "s-\(number)")),
                    now: start)
            }
        }
        let all = book.agentSnapshots()
        func used(_ agent: AgentSnapshot) -> Int64 {
            Amount.clampedSum([agent.spentThisPeriod, agent.reserved]).basisPoints(of: agent.total)
        }
        let expected = all.sorted { left, right in
            if left.agent.alertLevel != right.agent.alertLevel { return left.agent.alertLevel > right.agent.alertLevel }
            if used(left) != used(right) { return used(left) > used(right) }
            return left.agent.id < right.agent.id
        }
        for rows in [1, 100, 240, 500] {
            let digest = AgentDigest(book, rows: rows)
            #expect(digest.nearest.map(\.snapshot) == Array(expected.prefix(rows)), "rows \(rows)")
            #expect(digest.nearest.map(\.basisPoints) == expected.prefix(rows).map(used))
            #expect(digest.count == 240)
            #expect(digest.critical == all.count { $0.agent.alertLevel == .critical })
            #expect(digest.warning == all.count { $0.agent.alertLevel == .warning })
        }
        #expect(AgentDigest(book, rows: 100).critical > 0 && AgentDigest(book, rows: 100).warning > 0)
    }
}
