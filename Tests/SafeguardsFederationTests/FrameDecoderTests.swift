import SafeguardsCore
@testable import SafeguardsFederation
import SafeguardsTestKit
import Testing

@Suite("Frame decoder")
struct FrameDecoderTests {
    @Test("a frame is a 4-byte big-endian length and the payload")
    func frameLayout() {
        #expect(FrameDecoder.frame([0xAA, 0xBB, 0xCC]) == [0, 0, 0, 3, 0xAA, 0xBB, 0xCC])
        #expect(FrameDecoder.frame([UInt8](repeating: 1, count: 0x0102)).prefix(4) == [0, 0, 1, 2])
    }

    @Test("input split byte by byte yields the frame only when its last byte arrives")
    func splitInput() throws {
        var decoder = FrameDecoder(maximumFrameLength: 64)
        let payload: [UInt8] = Array("hello frame".utf8)
        let framed = FrameDecoder.frame(payload)
        for (index, byte) in framed.enumerated() {
            #expect(try decoder.nextFrame() == nil)
            decoder.append([byte])
            if index < framed.count - 1 { #expect(try decoder.nextFrame() == nil) }
        }
        #expect(try decoder.nextFrame() == payload)
        #expect(try decoder.nextFrame() == nil)
        #expect(decoder.bufferedByteCount == 0)
    }

    @Test("coalesced input yields every frame in order, then waits for the rest of a partial one")
    func coalescedInput() throws {
        var decoder = FrameDecoder(maximumFrameLength: 64)
        let payloads: [[UInt8]] = [[1], [2, 2], Array(repeating: 3, count: 64)]
        let partial = FrameDecoder.frame([4, 4, 4, 4])
        decoder.append(payloads.flatMap(FrameDecoder.frame) + partial.prefix(5))
        for payload in payloads { #expect(try decoder.nextFrame() == payload) }
        #expect(try decoder.nextFrame() == nil)
        #expect(decoder.bufferedByteCount == 5)
        decoder.append(partial.dropFirst(5))
        #expect(try decoder.nextFrame() == [4, 4, 4, 4])
    }

    @Test("a long stream cut at random points reassembles exactly")
    func randomSplitsReassemble() throws {
        var random = SeededRandom(seed: 30)
        let payloads = (0..<2_000).map { _ in Fixtures.randomBytes(random.int(in: 1...300), using: &random) }
        let stream = payloads.flatMap(FrameDecoder.frame)
        var decoder = FrameDecoder(maximumFrameLength: 300)
        var received: [[UInt8]] = []
        var offset = 0
        while offset < stream.count {
            let chunk = min(random.int(in: 1...700), stream.count - offset)
            decoder.append(stream[offset..<offset + chunk])
            offset += chunk
            while let frame = try decoder.nextFrame() { received.append(frame) }
        }
        #expect(received == payloads)
        #expect(decoder.bufferedByteCount == 0)
    }

    @Test("a length prefix of 0xFFFFFFFF is refused as soon as it is in, with nothing reserved for it")
    func oversizeLengthIsRefusedWithoutAllocating() throws {
        var decoder = FrameDecoder(maximumFrameLength: 1_024)
        decoder.append([0xFF, 0xFF, 0xFF])
        #expect(try decoder.nextFrame() == nil)
        decoder.append([0xFF])
        #expect(throws: WireError.frameTooLarge(length: 0xFFFF_FFFF, maximum: 1_024)) { try decoder.nextFrame() }
        #expect(decoder.hasFailed)
        #expect(decoder.bufferCapacity < 1_024)
        // The stream cannot be resynchronised: later bytes are dropped and the error repeats.
        decoder.append(FrameDecoder.frame([1, 2, 3]))
        #expect(decoder.bufferedByteCount == 0)
        #expect(throws: WireError.frameTooLarge(length: 0xFFFF_FFFF, maximum: 1_024)) { try decoder.nextFrame() }
    }

    @Test("the limit is inclusive: maximum accepted, maximum + 1 refused")
    func limitIsInclusive() throws {
        var accepting = FrameDecoder(maximumFrameLength: 10)
        accepting.append(FrameDecoder.frame([UInt8](repeating: 5, count: 10)))
        #expect(try accepting.nextFrame()?.count == 10)
        var refusing = FrameDecoder(maximumFrameLength: 10)
        refusing.append([0, 0, 0, 11])
        #expect(throws: WireError.frameTooLarge(length: 11, maximum: 10)) { try refusing.nextFrame() }
    }

    @Test("a zero length prefix is refused")
    func zeroLengthIsRefused() {
        var decoder = FrameDecoder(maximumFrameLength: 64)
        decoder.append([0, 0, 0, 0, 1, 2, 3])
        #expect(throws: WireError.emptyFrame) { try decoder.nextFrame() }
        #expect(decoder.hasFailed)
    }

    @Test("frames before a bad prefix are still delivered")
    func framesBeforeBadPrefixAreDelivered() throws {
        var decoder = FrameDecoder(maximumFrameLength: 8)
        decoder.append(FrameDecoder.frame([1]) + FrameDecoder.frame([2]) + [0, 0, 1, 0])
        #expect(try decoder.nextFrame() == [1])
        #expect(try decoder.nextFrame() == [2])
        #expect(throws: WireError.frameTooLarge(length: 256, maximum: 8)) { try decoder.nextFrame() }
    }

    @Test("the default limit fits the largest valid envelope")
    func defaultLimitFitsLargestEnvelope() {
        #expect(FrameDecoder().maximumFrameLength == Envelope.maximumEncodedLength)
    }
}
