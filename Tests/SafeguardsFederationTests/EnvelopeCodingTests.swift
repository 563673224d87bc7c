import SafeguardsCore
import SafeguardsFederation
import SafeguardsTestKit
import Testing

@Suite("Envelope encoding")
struct EnvelopeCodingTests {
    @Test("a signed envelope survives encode and decode unchanged")
    func signedEnvelopeRoundTrips() throws {
        let envelope = try Fixtures.signedPing()
        let decoded = try Envelope.decode(envelope.encode())
        #expect(decoded == envelope)
        #expect(decoded.encode() == envelope.encode())
    }

    @Test("random envelopes of every field size round trip")
    func randomEnvelopesRoundTrip() throws {
        var random = SeededRandom(seed: 20)
        let idCharacters = Array("abcXYZ019_-.:")
        for _ in 0..<500 {
            let typeName = String(
                (0..<random.int(in: 1...MessageType.maximumLength)).map { _ in
                    Character(UnicodeScalar(UInt8(random.int(in: 97...122))))
                })
            let sender = String(
                (0..<random.int(in: 1...IdentifierRules.maxLength)).compactMap { _ in random.element(of: idCharacters) }
            )
            let envelope = try Envelope(
                version: UInt16(truncatingIfNeeded: random.next()), type: MessageType(rawValue: typeName),
                sender: SystemID(sender), nonce: Fixtures.randomBytes(16, using: &random),
                sentAt: Timestamp(millisecondsSince1970: random.int64(in: .min ... .max)),
                body: Fixtures.randomBytes(random.int(in: 0...2_000), using: &random),
                signature: Fixtures.randomBytes(64, using: &random))
            #expect(try Envelope.decode(envelope.encode()) == envelope)
        }
    }

    @Test("the encoding is the documented layout, byte for byte")
    func encodingMatchesDocumentedLayout() throws {
        let envelope = try Envelope(
            version: 1, type: .ping, sender: Fixtures.systemA, nonce: Array(0..<16),
            sentAt: Timestamp(millisecondsSince1970: 0x0102_0304_0506_0708), body: Array("{}".utf8),
            signature: [UInt8](repeating: 0xEE, count: 64))
        var expected: [UInt8] = [0x00, 0x01]
        expected += [4] + Array("ping".utf8)
        expected += [8] + Array("system_a".utf8)
        expected += [16] + Array(0..<16)
        expected += [0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08]
        expected += [0, 0, 0, 2] + Array("{}".utf8)
        expected += [64] + [UInt8](repeating: 0xEE, count: 64)
        #expect(envelope.encode() == expected)
        let raw = RawEnvelope(
            nonce: Array(0..<16), sentAt: [1, 2, 3, 4, 5, 6, 7, 8], signature: [UInt8](repeating: 0xEE, count: 64))
        #expect(raw.bytes == expected)
    }

    @Test("the largest envelope encodes to exactly maximumEncodedLength bytes and decodes")
    func largestEnvelopeFitsTheLimit() throws {
        let envelope = try Envelope(
            version: 1, type: MessageType(rawValue: String(repeating: "t", count: MessageType.maximumLength)),
            sender: SystemID(String(repeating: "s", count: IdentifierRules.maxLength)),
            nonce: [UInt8](repeating: 1, count: 16), sentAt: Fixtures.now,
            body: [UInt8](repeating: 2, count: Envelope.maximumBodyLength),
            signature: [UInt8](repeating: 3, count: 64))
        let bytes = envelope.encode()
        #expect(bytes.count == Envelope.maximumEncodedLength)
        #expect(try Envelope.decode(bytes) == envelope)
    }

    @Test("every truncation of a valid envelope is refused as truncated")
    func everyTruncationIsRefused() throws {
        let bytes = try Fixtures.signedPing().encode()
        for length in 0..<bytes.count {
            #expect {
                try Envelope.decode(Array(bytes.prefix(length)))
            } throws: { error in
                guard case .truncated = error as? WireError else { return false }
                return true
            }
        }
    }

    @Test("bytes after the signature are refused")
    func trailingBytesAreRefused() throws {
        let bytes = try Fixtures.signedPing().encode()
        #expect(throws: WireError.trailingBytes(count: 1)) { try Envelope.decode(bytes + [0]) }
        #expect(throws: WireError.trailingBytes(count: 3)) {
            try Envelope.decode(RawEnvelope(trailing: [1, 2, 3]).bytes)
        }
    }

    @Test(
        "malformed fields are refused with their own error",
        arguments: [
            (RawEnvelope(type: []), WireError.emptyType),
            (RawEnvelope(type: [UInt8](repeating: 97, count: 65)), .typeTooLong(length: 65)),
            (RawEnvelope(typeLength: [255], type: []), .typeTooLong(length: 255)),
            (RawEnvelope(type: [0x70, 0xFF, 0x70]), .invalidUTF8(.type)),
            (RawEnvelope(type: [0xC3]), .invalidUTF8(.type)),
            (RawEnvelope(sender: []), .invalidSystemID("")),
            (RawEnvelope(sender: Array("system a".utf8)), .invalidSystemID("system a")),
            (RawEnvelope(sender: [0xFF]), .invalidSystemID("\u{FFFD}")),
            (
                RawEnvelope(sender: [UInt8](repeating: 97, count: 129)),
                .invalidSystemID(String(repeating: "a", count: 129))
            ),
            (RawEnvelope(nonce: [UInt8](repeating: 0, count: 15)), .wrongNonceLength(15)),
            (RawEnvelope(nonce: [UInt8](repeating: 0, count: 17)), .wrongNonceLength(17)),
            (RawEnvelope(nonce: []), .wrongNonceLength(0)),
            // Refused from the length alone: no body bytes are present, so the check precedes the read.
            (
                RawEnvelope(bodyLength: [0xFF, 0xFF, 0xFF, 0xFF], body: []),
                .bodyTooLarge(length: 0xFFFF_FFFF, maximum: Envelope.maximumBodyLength)
            ),
            (
                RawEnvelope(bodyLength: [0, 0x10, 0, 1], body: []),
                .bodyTooLarge(length: (1 << 20) + 1, maximum: Envelope.maximumBodyLength)
            ),
            (RawEnvelope(signature: [UInt8](repeating: 0, count: 63)), .wrongSignatureLength(63)),
            (RawEnvelope(signature: [UInt8](repeating: 0, count: 65)), .wrongSignatureLength(65)),
            (RawEnvelope(signature: []), .wrongSignatureLength(0)),
        ]
    )
    func malformedFieldsAreRefused(raw: RawEnvelope, expected: WireError) {
        #expect(throws: expected) { try Envelope.decode(raw.bytes) }
    }

    @Test("the initializer refuses what decoding refuses, so every value can be encoded")
    func initializerAppliesTheWireRules() throws {
        let nonce = [UInt8](repeating: 0, count: 16)
        let signature = [UInt8](repeating: 0, count: 64)
        func make(
            type: MessageType = .ping, sender: SystemID = Fixtures.systemA, nonce: [UInt8] = nonce, body: [UInt8] = [],
            signature: [UInt8] = signature
        ) throws(WireError) -> Envelope {
            try Envelope(
                version: 1, type: type, sender: sender, nonce: nonce, sentAt: Fixtures.now, body: body,
                signature: signature)
        }
        #expect(throws: WireError.emptyType) { try make(type: MessageType(rawValue: "")) }
        #expect(throws: WireError.typeTooLong(length: 65)) {
            try make(type: MessageType(rawValue: String(repeating: "x", count: 65)))
        }
        // Counted in UTF-8 bytes, not characters: 32 × "é" is 64 bytes, 33 × "é" is 66.
        _ = try make(type: MessageType(rawValue: String(repeating: "é", count: 32)))
        #expect(throws: WireError.typeTooLong(length: 66)) {
            try make(type: MessageType(rawValue: String(repeating: "é", count: 33)))
        }
        #expect(throws: WireError.invalidSystemID("no spaces")) { try make(sender: SystemID(unchecked: "no spaces")) }
        #expect(throws: WireError.wrongNonceLength(8)) { try make(nonce: [UInt8](repeating: 0, count: 8)) }
        #expect(throws: WireError.wrongSignatureLength(32)) { try make(signature: [UInt8](repeating: 0, count: 32)) }
        let oversize = Envelope.maximumBodyLength + 1
        #expect(throws: WireError.bodyTooLarge(length: oversize, maximum: Envelope.maximumBodyLength)) {
            try make(body: [UInt8](repeating: 0, count: oversize))
        }
    }

    @Test("random garbage never crashes the decoder, and whatever decodes re-encodes to the same bytes")
    func randomGarbageIsHandled() {
        var random = SeededRandom(seed: 21)
        var decodedCount = 0
        for _ in 0..<10_000 {
            var bytes = Fixtures.randomBytes(random.int(in: 0...400), using: &random)
            // Half the time start from a plausible header, so decoding gets past the first fields.
            if random.percent(50), bytes.count > 40 {
                bytes.replaceSubrange(0..<15, with: [0, 1, 4] + Array("ping".utf8) + [6] + Array("sys_ab".utf8) + [16])
            }
            do {
                let envelope = try Envelope.decode(bytes)
                decodedCount += 1
                #expect(envelope.encode() == bytes, "seed \(random.seed)")
            } catch {
                #expect(!error.description.isEmpty)
            }
        }
        // Random bytes almost never form an envelope; the point is that none of them trapped.
        #expect(decodedCount < 10)
    }
}
