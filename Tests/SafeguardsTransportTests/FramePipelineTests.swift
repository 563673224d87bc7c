import SafeguardsFederation
import SafeguardsTransport
import Testing

@Suite("Frames pipelined on one connection", .timeLimit(.minutes(5)))
struct FramePipelineTests {
    @Test func framesOfOneConnectionAreHandledWhileAnEarlierOneWaits() async throws {
        // "first" is answered only once "second" has reached the responder: one frame at a time
        // on the connection would leave it alone until its wait gives up.
        let (first, second) = try await Self.send("first", then: "second")
        #expect(first == "first:with-second")
        #expect(second == "second")
    }

    @Test func answersLeaveInArrivalOrderWhenALaterFrameFinishesFirst() async throws {
        // "slow" finishes only after "fast" has finished: written in finishing order, the dialer
        // would hand "fast"'s answer to the "slow" request.
        let (slow, fast) = try await Self.send("slow", then: "fast")
        #expect(slow == "slow:after-fast")
        #expect(fast == "fast")
    }

    /// Sends `first` on one connection, and `then` on the same one once `first` reached the
    /// responder; returns both answers as the dialer matched them.
    static func send(_ first: String, then second: String) async throws -> (String, String) {
        let responder = ScriptedResponder()
        return try await withListener(responder: responder) { port in
            let dialer = try makeDialer(try TestCertificates.identity("system_a"), requestTimeout: .seconds(20))
            async let earlier = dialer.request(Array(first.utf8), to: SystemID.systemB, host: "127.0.0.1", port: port)
            await responder.waitUntilSeen(first)
            let later = try await dialer.request(Array(second.utf8), to: SystemID.systemB, host: "127.0.0.1", port: port)
            let answers = (String(decoding: try await earlier, as: UTF8.self), String(decoding: later, as: UTF8.self))
            await dialer.shutdown()
            return answers
        }
    }

    @Test func aConnectionHasAtMostTheCapOfFramesInFlight() async throws {
        let responder = ScriptedResponder()
        try await withListener(responder: responder, maxFramesInFlight: 2) { port in
            let dialer = try makeDialer(try TestCertificates.identity("system_a"), requestTimeout: .seconds(20))
            let answers = Task {
                try await withThrowingTaskGroup(of: String.self) { group in
                    for index in 1...3 {
                        group.addTask {
                            let answer = try await dialer.request(
                                Array("hold-\(index)".utf8), to: SystemID.systemB, host: "127.0.0.1", port: port)
                            return String(decoding: answer, as: UTF8.self)
                        }
                    }
                    return try await group.reduce(into: Set<String>()) { $0.insert($1) }
                }
            }
            await responder.waitUntilSeen(count: 2)
            // Watched for a while: the third frame waits unread while two are held.
            for _ in 0..<30 {
                #expect(await responder.seen.count == 2)
                try await Task.sleep(for: .milliseconds(10))
            }
            await responder.release()
            #expect(try await answers.value == ["hold-1", "hold-2", "hold-3"])
            #expect(await responder.seen.count == 3)
            await dialer.shutdown()
        }
    }
}

/// Answers frames by their text: `first` once `second` arrived, `slow` once `fast` was answered,
/// `hold-N` once released; anything else at once. Waits are bounded (5 s), then answer anyway.
actor ScriptedResponder: FrameResponder {
    private(set) var seen: [String] = []
    private var answered: Set<String> = []
    private var released = false

    func respond(to frame: IncomingFrame) async -> FrameReply {
        let text = String(decoding: frame.payload, as: UTF8.self)
        seen.append(text)
        var answer = text
        switch text {
        case "first":
            answer += await waitFor { $0.seen.contains("second") } ? ":with-second" : ":alone"
        case "slow":
            answer += await waitFor { $0.answered.contains("fast") } ? ":after-fast" : ":alone"
        case _ where text.hasPrefix("hold-"):
            _ = await waitFor { $0.released }
        default:
            break
        }
        answered.insert(text)
        return .reply(Array(answer.utf8))
    }

    func connectionFailed(peer: SystemID?, reason: String) async {}

    func release() { released = true }

    func waitUntilSeen(_ text: String) async {
        _ = await waitFor { $0.seen.contains(text) }
    }

    func waitUntilSeen(count: Int) async {
        _ = await waitFor { $0.seen.count >= count }
    }

    private func waitFor(_ condition: (isolated ScriptedResponder) -> Bool) async -> Bool {
        for _ in 0..<500 where !condition(self) {
            try? await Task.sleep(for: .milliseconds(10))
        }
        return condition(self)
    }
}
