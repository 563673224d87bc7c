import SafeguardsCore
import SafeguardsFederation
import SafeguardsTestKit
import Testing

@Suite("Replay guard")
struct ReplayGuardTests {
    let now = Fixtures.now
    let sender = Fixtures.systemA

    func nonce(_ value: UInt8) -> [UInt8] { [UInt8](repeating: value, count: 16) }

    @Test("the same nonce from the same sender is refused the second time")
    func sameNonceTwiceIsRefused() throws {
        var replayGuard = ReplayGuard()
        try replayGuard.admit(sender: sender, nonce: nonce(1), sentAt: now, now: now)
        #expect(throws: ReplayRejection.replayed(sender: sender)) {
            try replayGuard.admit(sender: sender, nonce: nonce(1), sentAt: now, now: now.advanced(by: .seconds(1)))
        }
        // Even with another (in-window) send time: the nonce alone identifies the message.
        #expect(throws: ReplayRejection.replayed(sender: sender)) {
            try replayGuard.admit(sender: sender, nonce: nonce(1), sentAt: now.advanced(by: .seconds(-5)), now: now)
        }
        try replayGuard.admit(sender: sender, nonce: nonce(2), sentAt: now, now: now)
        try replayGuard.admit(sender: Fixtures.systemB, nonce: nonce(1), sentAt: now, now: now)
        #expect(replayGuard.rememberedNonceCount == 3)
        #expect(ReplayRejection.replayed(sender: sender).code == .replayed)
    }

    @Test("a send time older than the window is stale; one exactly at its start is not")
    func oldSendTimeIsStale() throws {
        var replayGuard = ReplayGuard()
        let windowStart = now.advanced(by: .seconds(-300))
        let tooOld = windowStart.advanced(by: .milliseconds(-1))
        #expect(throws: ReplayRejection.tooOld(sentAt: tooOld, oldestAccepted: windowStart)) {
            try replayGuard.admit(sender: sender, nonce: nonce(1), sentAt: tooOld, now: now)
        }
        try replayGuard.admit(sender: sender, nonce: nonce(2), sentAt: windowStart, now: now)
        #expect(!replayGuard.remembers(nonce: nonce(1), from: sender))
        #expect(ReplayRejection.tooOld(sentAt: tooOld, oldestAccepted: windowStart).code == .stale)
    }

    @Test("a send time beyond the allowed skew is refused; one at the skew limit is not")
    func futureSendTimeIsRefused() throws {
        var replayGuard = ReplayGuard()
        let limit = now.advanced(by: .seconds(30))
        let tooNew = limit.advanced(by: .milliseconds(1))
        #expect(throws: ReplayRejection.fromTheFuture(sentAt: tooNew, latestAccepted: limit)) {
            try replayGuard.admit(sender: sender, nonce: nonce(1), sentAt: tooNew, now: now)
        }
        try replayGuard.admit(sender: sender, nonce: nonce(2), sentAt: limit, now: now)
        #expect(ReplayRejection.fromTheFuture(sentAt: tooNew, latestAccepted: limit).code == .stale)
    }

    @Test("the window slides: a nonce is forgotten once its send time leaves the window, and its replay is stale")
    func windowSlides() throws {
        var replayGuard = ReplayGuard(configuration: .init(window: .seconds(60), allowedSkew: .seconds(5)))
        try replayGuard.admit(sender: sender, nonce: nonce(1), sentAt: now, now: now)
        let later = now.advanced(by: .seconds(61))
        try replayGuard.admit(sender: sender, nonce: nonce(2), sentAt: later, now: later)
        #expect(!replayGuard.remembers(nonce: nonce(1), from: sender))
        #expect(replayGuard.remembers(nonce: nonce(2), from: sender))
        #expect(throws: ReplayRejection.tooOld(sentAt: now, oldestAccepted: later.advanced(by: .seconds(-60)))) {
            try replayGuard.admit(sender: sender, nonce: nonce(1), sentAt: now, now: later)
        }
    }

    @Test("check does not remember; admit does")
    func checkDoesNotRecord() throws {
        var replayGuard = ReplayGuard()
        try replayGuard.check(sender: sender, nonce: nonce(1), sentAt: now, now: now)
        try replayGuard.check(sender: sender, nonce: nonce(1), sentAt: now, now: now)
        #expect(replayGuard.rememberedNonceCount == 0)
        try replayGuard.admit(sender: sender, nonce: nonce(1), sentAt: now, now: now)
        #expect(throws: ReplayRejection.replayed(sender: sender)) {
            try replayGuard.check(sender: sender, nonce: nonce(1), sentAt: now, now: now)
        }
    }

    @Test("a clock that steps back does not revive forgotten nonces")
    func clockSteppingBackIsHarmless() throws {
        var replayGuard = ReplayGuard(configuration: .init(window: .seconds(60)))
        try replayGuard.admit(sender: sender, nonce: nonce(1), sentAt: now, now: now)
        replayGuard.prune(now: now.advanced(by: .seconds(120)))
        #expect(replayGuard.rememberedNonceCount == 0)
        // By this (earlier) clock the old send time would be inside the window again.
        #expect {
            try replayGuard.admit(sender: sender, nonce: nonce(1), sentAt: now, now: now.advanced(by: .seconds(10)))
        } throws: { error in
            (error as? ReplayRejection)?.code == .stale
        }
    }

    @Test("steady traffic keeps memory at what one window holds")
    func steadyTrafficIsBounded() throws {
        var replayGuard = ReplayGuard(configuration: .init(window: .seconds(10)))
        var random = SeededRandom(seed: 40)
        var time = now
        var peak = 0
        // 20,000 messages at one per 100 ms: 2,000 s of traffic, 100 messages per window.
        for _ in 0..<20_000 {
            time = time.advanced(by: .milliseconds(100))
            try replayGuard.admit(
                sender: sender, nonce: Fixtures.randomBytes(16, using: &random), sentAt: time, now: time)
            peak = max(peak, replayGuard.rememberedNonceCount)
        }
        #expect(peak <= 101)
        #expect(replayGuard.rememberedNonceCount >= 100)
    }

    @Test("prune forgets quiet senders entirely")
    func pruneForgetsQuietSenders() throws {
        var replayGuard = ReplayGuard(configuration: .init(window: .seconds(10)))
        for (index, system) in [Fixtures.systemA, Fixtures.systemB, Fixtures.systemC].enumerated() {
            try replayGuard.admit(sender: system, nonce: nonce(UInt8(index)), sentAt: now, now: now)
        }
        #expect(replayGuard.rememberedNonceCount == 3)
        replayGuard.prune(now: now.advanced(by: .seconds(11)))
        #expect(replayGuard.rememberedNonceCount == 0)
    }

    @Test("a burst over the per-sender cap evicts the oldest, and no evicted nonce can be replayed")
    func capEvictsAndRefusesEvicted() throws {
        var replayGuard = ReplayGuard(configuration: .init(maximumNoncesPerSender: 100))
        var random = SeededRandom(seed: 41)
        var sent: [(nonce: [UInt8], sentAt: Timestamp)] = []
        // 1,000 messages within one second, some out of order.
        for index in 0..<1_000 {
            let sentAt = now.advanced(by: .milliseconds(Int64(index + random.int(in: -20...20))))
            let nonce = Fixtures.randomBytes(16, using: &random)
            try replayGuard.admit(sender: sender, nonce: nonce, sentAt: sentAt, now: now.advanced(by: .seconds(1)))
            sent.append((nonce, sentAt))
            #expect(replayGuard.rememberedNonceCount(for: sender) <= 100)
        }
        for message in sent {
            #expect(throws: ReplayRejection.self) {
                try replayGuard.check(
                    sender: sender, nonce: message.nonce, sentAt: message.sentAt, now: now.advanced(by: .seconds(2)))
            }
        }
        // Fresh traffic still flows.
        try replayGuard.admit(
            sender: sender, nonce: nonce(0xEE), sentAt: now.advanced(by: .seconds(2)),
            now: now.advanced(by: .seconds(2)))
        // Another sender is not affected by this one's floor.
        try replayGuard.admit(
            sender: Fixtures.systemB, nonce: nonce(1), sentAt: now, now: now.advanced(by: .seconds(2)))
    }
}
