import Logging
import SafeguardsFederation
import SafeguardsTransport

/// Figure 6: what a new federation connection costs, on the transport alone.
///
/// A `PeerListener` for `system_b` on 127.0.0.1 port 0 answers every frame with its own bytes
/// (no signature, no registry). Then N fresh `PeerDialer`s for `system_a`, one after another:
/// each dialer's first request opens its connection, so its time is TCP connect + TLS 1.3
/// handshake with certificates both ways (verified against the development CA) + the check that
/// the listener's certificate names `system_b` + one frame and its answer. The listener names the
/// client from its certificate before it reads the frame, so that is included too. A few more
/// requests on each now-established connection give the same frame without the handshake.
///
/// Each dialer builds its TLS context before the clock starts and is shut down after it stops:
/// every handshake is a full one (a new context has no session to resume).
enum HandshakeFigure {
    /// About the size of a signed ping envelope.
    static let payload = [UInt8](repeating: 0x2A, count: 256)

    /// The handshake line and the line of requests on established connections.
    static func run(plan: BenchPlan, options: BenchOptions, logger: Logger) async throws -> [FigureLine] {
        let certificates = try DevelopmentCertificates.locate(options.certificatesDirectory)
        let listener = PeerListener(
            host: "127.0.0.1", port: 0, identity: try certificates.tlsIdentity(DevelopmentCertificates.systemB),
            identify: DevelopmentCertificates.identify, logger: logger)
        let clientIdentity = try certificates.tlsIdentity(DevelopmentCertificates.systemA)
        let (ports, bound) = AsyncStream.makeStream(of: Int.self)
        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask {
                defer { bound.finish() }
                try await listener.run(responder: EchoResponder(), onBound: { bound.yield($0) })
            }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else {
                try await tasks.waitForAll()
                throw BenchFailure("the listener stopped before it listened")
            }
            let outcome: Result<[FigureLine], any Error>
            do {
                outcome = .success(
                    try await measure(port: port, identity: clientIdentity, plan: plan, logger: logger))
            } catch {
                outcome = .failure(error)
            }
            tasks.cancelAll()
            try? await tasks.waitForAll()
            return try outcome.get()
        }
    }

    static func measure(port: Int, identity: TLSIdentity, plan: BenchPlan, logger: Logger) async throws
        -> [FigureLine]
    {
        let peer = DevelopmentCertificates.systemB
        let clock = ContinuousClock()
        var handshakes = LatencySample(reservingCapacity: plan.handshakes)
        var established = LatencySample(reservingCapacity: plan.handshakes * plan.handshakeFollowUpRequests)
        var handshakeTime = Duration.zero
        var establishedTime = Duration.zero
        let start = clock.now
        let deadline = start + plan.handshakeTimeLimit
        while handshakes.count < plan.handshakes, clock.now < deadline {
            let dialer = try PeerDialer(identity: identity, identify: DevelopmentCertificates.identify, logger: logger)
            do {
                let sent = clock.now
                let answer = try await dialer.request(payload, to: peer, host: "127.0.0.1", port: port)
                let took = sent.duration(to: clock.now)
                guard answer == payload else { throw BenchFailure("the listener answered other bytes") }
                handshakes.record(took)
                handshakeTime += took
                for _ in 0..<plan.handshakeFollowUpRequests {
                    let sent = clock.now
                    let answer = try await dialer.request(payload, to: peer, host: "127.0.0.1", port: port)
                    let took = sent.duration(to: clock.now)
                    guard answer == payload else { throw BenchFailure("the listener answered other bytes") }
                    established.record(took)
                    establishedTime += took
                }
            } catch {
                await dialer.shutdown()
                throw BenchFailure("connection \(handshakes.count + 1) failed: \(error)")
            }
            await dialer.shutdown()
        }
        let elapsed = start.duration(to: clock.now)

        // One connection at a time: the rate is the count over the time spent in the timed requests.
        var handshakeLine = FigureLine("federation.handshake")
        handshakeLine.add("handshakes_per_sec", rate(handshakes.count, over: handshakeTime), decimals: 1)
        handshakeLine.add(latency: handshakes.summary())
        handshakeLine.add("handshakes", handshakes.count)
        handshakeLine.add("handshake_seconds", handshakeTime.seconds, decimals: 3)
        handshakeLine.add("seconds", elapsed.seconds, decimals: 3)
        var establishedLine = FigureLine("federation.frame.established")
        establishedLine.add("requests_per_sec", rate(established.count, over: establishedTime), decimals: 1)
        establishedLine.add(latency: established.summary())
        establishedLine.add("requests", established.count)
        establishedLine.add("connections", handshakes.count)
        establishedLine.add("bytes", payload.count)
        return [handshakeLine, establishedLine]
    }
}

/// Answers every frame with its own bytes: the transport's cost alone.
struct EchoResponder: FrameResponder {
    func respond(to frame: IncomingFrame) async -> FrameReply { .reply(frame.payload) }

    /// The listener logs refused connections; the dialer's request fails, and so does the figure.
    func connectionFailed(peer: SystemID?, reason: String) async {}
}
