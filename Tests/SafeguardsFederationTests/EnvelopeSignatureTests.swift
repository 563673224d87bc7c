import Crypto
import SafeguardsCore
import SafeguardsFederation
import SafeguardsTestKit
import Testing

@Suite("Envelope signatures")
struct EnvelopeSignatureTests {
    @Test("a signed envelope verifies with the signer's public key, also after a trip over the wire")
    func signedEnvelopeVerifies() throws {
        let envelope = try Fixtures.signedPing()
        let publicKey = try Fixtures.keyA().publicKey
        #expect(envelope.verifySignature(with: publicKey))
        #expect(try Envelope.decode(envelope.encode()).verifySignature(with: publicKey))
        #expect(envelope.version == Envelope.currentVersion)
        #expect(envelope.sender == Fixtures.systemA)
        #expect(envelope.sentAt == Fixtures.now)
        #expect(try PingBody(decodingBody: envelope.body) == PingBody(payload: "hello"))
    }

    @Test("a signature by another key does not verify with the pinned key")
    func otherKeyFails() throws {
        let forged = try Fixtures.signedPing(key: Fixtures.attackerKey())
        #expect(!forged.verifySignature(with: try Fixtures.keyA().publicKey))
        #expect(forged.verifySignature(with: try Fixtures.attackerKey().publicKey))
    }

    @Test("changing any single bit of the body breaks the signature")
    func alteredBodyFails() throws {
        let envelope = try Fixtures.signedPing(payload: "pay me 200")
        let publicKey = try Fixtures.keyA().publicKey
        for index in envelope.body.indices {
            for bit in 0..<8 {
                var body = envelope.body
                body[index] ^= 1 << bit
                #expect(!(try Fixtures.altered(envelope, body: body)).verifySignature(with: publicKey))
            }
        }
        #expect(!(try Fixtures.altered(envelope, body: envelope.body + [0x20])).verifySignature(with: publicKey))
        #expect(!(try Fixtures.altered(envelope, body: [])).verifySignature(with: publicKey))
    }

    @Test("changing any header field breaks the signature, so nonce and time cannot be refreshed")
    func alteredHeaderFails() throws {
        let envelope = try Fixtures.signedPing()
        let publicKey = try Fixtures.keyA().publicKey
        var nonce = envelope.nonce
        nonce[0] ^= 1
        let variants = [
            try Fixtures.altered(envelope, version: 2),
            try Fixtures.altered(envelope, type: .pong),
            try Fixtures.altered(envelope, type: MessageType(rawValue: "ping ")),
            try Fixtures.altered(envelope, sender: Fixtures.systemB),
            try Fixtures.altered(envelope, nonce: nonce),
            try Fixtures.altered(envelope, sentAt: envelope.sentAt.advanced(by: .milliseconds(1))),
            try Fixtures.altered(envelope, sentAt: envelope.sentAt.advanced(by: .seconds(600))),
        ]
        for variant in variants {
            #expect(variant != envelope)
            #expect(!variant.verifySignature(with: publicKey), "\(variant)")
        }
    }

    @Test("the signing input is domain separated and ends with the exact body bytes")
    func signingInputIsDomainSeparated() throws {
        let key = try Fixtures.keyA()
        let envelope = try Fixtures.signedPing()
        let input = envelope.signingInput
        #expect(input.starts(with: Envelope.signatureDomain))
        #expect(Array(input.suffix(envelope.body.count)) == envelope.body)
        // The input is the domain followed by the wire form without the signature.
        let wire = envelope.encode()
        #expect(Array(input.dropFirst(Envelope.signatureDomain.count)) == Array(wire.dropLast(1 + 64)))
        // A signature over the bare body, or over the fields without the domain, is no envelope signature.
        let overBody = try Array(key.signature(for: envelope.body))
        let overFields = try Array(key.signature(for: Array(input.dropFirst(Envelope.signatureDomain.count))))
        #expect(!(try envelope.withSignature(overBody)).verifySignature(with: key.publicKey))
        #expect(!(try envelope.withSignature(overFields)).verifySignature(with: key.publicKey))
    }

    @Test("the nonce comes from the injected generator: same seed, same nonce; next draw, new nonce")
    func nonceComesFromInjectedGenerator() throws {
        let key = try Fixtures.keyA()
        var first = SeededRandom(seed: 99)
        var second = SeededRandom(seed: 99)
        let body = try PingBody(payload: "x").encodedBody()
        let a = try Envelope.sign(
            type: .ping, sender: Fixtures.systemA, body: body, now: Fixtures.now, nonceGenerator: &first, key: key)
        let b = try Envelope.sign(
            type: .ping, sender: Fixtures.systemA, body: body, now: Fixtures.now, nonceGenerator: &second, key: key)
        let c = try Envelope.sign(
            type: .ping, sender: Fixtures.systemA, body: body, now: Fixtures.now, nonceGenerator: &first, key: key)
        #expect(a.nonce == b.nonce)
        #expect(a.nonce != c.nonce)
        #expect(a.nonce.count == Envelope.nonceLength)
        #expect(Set(a.nonce).count > 1)
    }

    @Test("signing refuses fields the wire would refuse")
    func signingRefusesInvalidFields() throws {
        let key = try Fixtures.keyA()
        var random = SeededRandom(seed: 1)
        let oversize = [UInt8](repeating: 0, count: Envelope.maximumBodyLength + 1)
        #expect(throws: WireError.bodyTooLarge(length: oversize.count, maximum: Envelope.maximumBodyLength)) {
            try Envelope.sign(
                type: .ping, sender: Fixtures.systemA, body: oversize, now: Fixtures.now, nonceGenerator: &random,
                key: key)
        }
        #expect(throws: WireError.emptyType) {
            try Envelope.sign(
                type: MessageType(rawValue: ""), sender: Fixtures.systemA, body: [], now: Fixtures.now,
                nonceGenerator: &random, key: key)
        }
    }
}
