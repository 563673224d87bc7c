import Logging
import SafeguardsAPI
import SafeguardsCore
import SafeguardsFederation
import SafeguardsNode

/// Figure 5: signed ping round trips between two in-process nodes over one established
/// mutual-TLS connection, then the same ping asked for through the HTTP API.
///
/// `system_a` and `system_b` are opened on fresh data folders with the committed development
/// certificates, API and federation on 127.0.0.1 port 0, and run in one `ServiceGroup`. Once both
/// listen, each registers the other at its real federation port. A first ping opens the connection
/// (its handshake is not timed); then `system_a` pings `system_b` one ping after another. Each ping
/// is signed by `system_a`, verified by `system_b` (TLS identity, pinned key, replay window),
/// answered with a signed pong that `system_a` verifies; each node records the good message in its
/// peer record in SQLite. The HTTP run asks `system_a` for the same ping with
/// `POST /v1/peers/system_b/ping`, over one keep-alive connection.
///
/// Afterwards each node must have verified exactly the acknowledged pings (or pongs), refused
/// nothing, and kept the configured trust. Otherwise the figure fails.
enum FederationPingFigure {
    /// The two figure lines and the line of their check.
    static func run(plan: BenchPlan, options: BenchOptions, logger: Logger) async throws -> [FigureLine] {
        // Gossip is off in the pair: it would add verified messages of its own to the peer
        // records the check reads.
        try await FederatedPair.run(options: options, logger: logger, label: "federation") { pair in
            let client = SafeguardsClient(host: pair.apiA.host, port: pair.apiA.port, token: pair.nodeA.token, maximumConnections: 1)
            do {
                let lines = try await measure(from: pair.federationA, to: pair.federationB, client: client, plan: plan)
                await client.shutdown()
                return lines
            } catch {
                await client.shutdown()
                throw error
            }
        }
    }

    struct PingRun: Sendable {
        var acknowledged = 0
        var failed = 0
        var firstFailure: String?
        var latencies = LatencySample()
        var elapsed: Duration = .zero
    }

    static func measure(
        from federationA: FederationNode, to federationB: FederationNode, client: SafeguardsClient, plan: BenchPlan
    ) async throws -> [FigureLine] {
        let peer = DevelopmentCertificates.systemB
        // Opens system_a's connection to system_b (TCP + TLS handshake) before the clock starts.
        do { _ = try await federationA.ping(peer) } catch { throw BenchFailure("the first ping failed: \(error)") }
        let direct = await pingLoop(maximum: plan.federationPingMaximum, for: plan.federationPingTimeLimit) {
            _ = try await federationA.ping(peer)
        }

        // Opens the client's keep-alive connection to system_a's API, and warms the route.
        do {
            _ = try await client.health()
            _ = try await client.ping(peer: peer.rawValue)
        } catch {
            throw BenchFailure("the first ping through the API failed: \(error)")
        }
        let http = await pingLoop(maximum: plan.federationPingMaximum, for: plan.federationPingTimeLimit) {
            _ = try await client.ping(peer: peer.rawValue)
        }

        for (label, run) in [("one connection", direct), ("http", http)] {
            if let failure = run.firstFailure { note("\(run.failed) pings (\(label)) failed; the first: \(failure)") }
        }
        // The two untimed first pings count in what the nodes saw.
        let acknowledged = 2 + direct.acknowledged + http.acknowledged
        return [
            line("federation.ping.one_connection", direct), line("federation.ping.http", http),
            try await check(from: federationA, to: federationB, acknowledged: acknowledged),
        ]
    }

    /// Sequential pings: each waits for its verified pong before the next is sent.
    static func pingLoop(maximum: Int, for limit: Duration, _ ping: () async throws -> Void) async -> PingRun {
        let clock = ContinuousClock()
        var run = PingRun(latencies: LatencySample(reservingCapacity: min(maximum, 50_000)))
        let start = clock.now
        let deadline = start + limit
        while run.acknowledged + run.failed < maximum, clock.now < deadline {
            let sent = clock.now
            do {
                try await ping()
                run.latencies.record(sent.duration(to: clock.now))
                run.acknowledged += 1
            } catch {
                run.failed += 1
                if run.firstFailure == nil { run.firstFailure = "\(error)" }
            }
        }
        run.elapsed = start.duration(to: clock.now)
        return run
    }

    static func line(_ name: String, _ run: PingRun) -> FigureLine {
        var line = FigureLine(name)
        line.add("pings_per_sec", rate(run.acknowledged, over: run.elapsed), decimals: 1)
        line.add(latency: run.latencies.summary())
        line.add("pings", run.acknowledged)
        line.add("errors", run.failed)
        line.add("seconds", run.elapsed.seconds, decimals: 3)
        return line
    }

    /// Each node's peer record must show every acknowledged ping verified, nothing refused, and
    /// the configured trust.
    static func check(from federationA: FederationNode, to federationB: FederationNode, acknowledged: Int) async throws
        -> FigureLine
    {
        guard let bAtA = await federationA.registry.peer(DevelopmentCertificates.systemB),
            let aAtB = await federationB.registry.peer(DevelopmentCertificates.systemA)
        else { throw BenchFailure("a peer record disappeared during the ping runs") }
        var line = FigureLine("check federation.ping")
        line.add("pings", acknowledged)
        line.add("verified_by_b", aAtB.trust.goodMessages)
        line.add("verified_by_a", bAtA.trust.goodMessages)
        line.add("refused", aAtB.trust.badMessages + bAtA.trust.badMessages)
        let now = Timestamp.now()
        let trustOfA = await federationB.registry.effectiveTrust(of: DevelopmentCertificates.systemA, now: now)
        let trustOfB = await federationA.registry.effectiveTrust(of: DevelopmentCertificates.systemB, now: now)
        line.add("trust_of_a", trustOfA.description)
        line.add("trust_of_b", trustOfB.description)
        let trustKept = trustOfA == aAtB.trust.configured && trustOfB == bAtA.trust.configured
        guard aAtB.trust.goodMessages == acknowledged, bAtA.trust.goodMessages == acknowledged,
            aAtB.trust.badMessages == 0, bAtA.trust.badMessages == 0, trustKept
        else {
            line.status = "FAILED"
            emit(line)
            throw BenchFailure("the nodes' peer records do not match the acknowledged pings")
        }
        line.status = "ok"
        return line
    }
}
