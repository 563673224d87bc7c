import SafeguardsCore
import SafeguardsFederation
import SafeguardsTestKit
import Testing

/// Seeded fuzzing of the whole receive path: FrameDecoder, then Envelope.decode, then
/// EnvelopeVerifier. A failure prints the seed and iteration, and the same seed replays it.
@Suite("Wire fuzzing")
struct WireFuzzTests {
    static let seed: UInt64 = 0x5AFE_6A2D

    /// Envelopes validly signed by system_a, of every known type, with random bodies.
    func originals(count: Int, using random: inout SeededRandom) throws -> [Envelope] {
        let key = try Fixtures.keyA()
        return try (0..<count).map { _ in
            try Envelope.sign(
                type: random.element(of: [MessageType.ping, .pong, .error]) ?? .ping, sender: Fixtures.systemA,
                body: Fixtures.randomBytes(random.int(in: 0...200), using: &random),
                now: Fixtures.now.advanced(by: .milliseconds(Int64(random.int(in: -5_000...5_000)))),
                nonceGenerator: &random, key: key)
        }
    }

    /// Applies one random edit: flip a bit, overwrite, insert, delete, truncate, duplicate or swap bytes.
    func mutate(_ bytes: inout [UInt8], using random: inout SeededRandom) {
        guard !bytes.isEmpty else {
            bytes.append(UInt8(truncatingIfNeeded: random.next()))
            return
        }
        let index = random.int(in: 0...(bytes.count - 1))
        switch random.int(in: 0...6) {
        case 0: bytes[index] ^= 1 << UInt8(random.int(in: 0...7))
        case 1: bytes[index] = UInt8(truncatingIfNeeded: random.next())
        case 2: bytes.insert(UInt8(truncatingIfNeeded: random.next()), at: index)
        case 3: bytes.remove(at: index)
        case 4: bytes.removeSubrange(index...)
        case 5:
            let end = min(bytes.count, index + random.int(in: 1...16))
            bytes.insert(contentsOf: bytes[index..<end], at: random.int(in: 0...bytes.count))
        default: bytes.swapAt(index, random.int(in: 0...(bytes.count - 1)))
        }
    }

    /// Feeds `stream` to a fresh decoder in random chunks and returns the frames it yields before
    /// the stream ends or breaks.
    func frames(of stream: [UInt8], using random: inout SeededRandom) -> [[UInt8]] {
        var decoder = FrameDecoder()
        var frames: [[UInt8]] = []
        var offset = 0
        do {
            while offset < stream.count {
                let chunk = min(random.int(in: 1...64), stream.count - offset)
                decoder.append(stream[offset..<offset + chunk])
                offset += chunk
                while let frame = try decoder.nextFrame() { frames.append(frame) }
            }
        } catch {
            #expect(decoder.hasFailed)
        }
        return frames
    }

    @Test("random and mutated frames never crash the receive path and no mutated envelope is accepted")
    func mutatedFramesAreNeverAccepted() throws {
        var random = SeededRandom(seed: WireFuzzTests.seed)
        let originals = try originals(count: 40, using: &random)
        let encoded = Set(originals.map { $0.encode() })
        let peer = try Fixtures.peerA()
        let verifier = EnvelopeVerifier()
        var decodedMutants = 0
        var rejections: [RejectCode: Int] = [:]

        for iteration in 0..<5_000 {
            guard let original = random.element(of: originals) else { return }
            var payload: [UInt8]
            if random.percent(10) {
                payload = Fixtures.randomBytes(random.int(in: 0...300), using: &random)
            } else {
                payload = original.encode()
                for _ in 0..<random.int(in: 1...3) { mutate(&payload, using: &random) }
            }
            var stream = FrameDecoder.frame(payload)
            if random.percent(10) { mutate(&stream, using: &random) }  // may hit the length prefix
            if random.percent(10) { stream += Fixtures.randomBytes(random.int(in: 1...40), using: &random) }

            for frame in frames(of: stream, using: &random) {
                var replayGuard = ReplayGuard()  // fresh, so only the signature can stop a mutant
                let result = verifier.decodeAndVerify(
                    frame, channelIdentity: Fixtures.systemA, peer: peer, guard: &replayGuard, now: Fixtures.now)
                switch result {
                case .success:
                    // Only an unmutated envelope may pass (a mutation can undo itself, e.g. a swap of equal bytes).
                    #expect(encoded.contains(frame), "seed \(WireFuzzTests.seed), iteration \(iteration)")
                case .failure(let rejection):
                    rejections[rejection.code, default: 0] += 1
                    if rejection.code != .malformed { decodedMutants += 1 }
                }
            }
        }
        // The harness must reach past decoding, or the signature check would go untested.
        #expect(decodedMutants > 500, "\(rejections)")
        #expect((rejections[.invalidSignature] ?? 0) > 500, "\(rejections)")
        #expect((rejections[.malformed] ?? 0) > 500, "\(rejections)")
    }

    @Test("a stream of genuine frames with duplicates and garbage accepts each envelope exactly once")
    func genuineStreamAcceptsEachOnce() throws {
        var random = SeededRandom(seed: WireFuzzTests.seed + 1)
        let originals = try originals(count: 200, using: &random)
        // Every envelope up to three times, in a seeded order.
        var sequence = originals.flatMap { envelope in Array(repeating: envelope, count: random.int(in: 1...3)) }
        for index in sequence.indices.reversed() { sequence.swapAt(index, random.int(in: 0...index)) }

        var decoder = FrameDecoder()
        let stream = sequence.flatMap { FrameDecoder.frame($0.encode()) }
        var replayGuard = ReplayGuard()
        let verifier = EnvelopeVerifier()
        let peer = try Fixtures.peerA()
        var accepted: [Envelope] = []
        var replayed = 0
        var offset = 0
        while offset < stream.count {
            let chunk = min(random.int(in: 1...512), stream.count - offset)
            decoder.append(stream[offset..<offset + chunk])
            offset += chunk
            while let frame = try decoder.nextFrame() {
                let result = verifier.decodeAndVerify(
                    frame, channelIdentity: Fixtures.systemA, peer: peer, guard: &replayGuard, now: Fixtures.now)
                switch result {
                case .success(let envelope): accepted.append(envelope)
                case .failure(let rejection):
                    #expect(rejection.code == .replayed)
                    replayed += 1
                }
            }
        }
        #expect(Set(accepted) == Set(originals))
        #expect(accepted.count == originals.count)
        #expect(replayed == sequence.count - originals.count)
    }
}
