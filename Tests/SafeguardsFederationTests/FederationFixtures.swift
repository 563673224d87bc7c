import Crypto
import SafeguardsCore
import SafeguardsFederation
import SafeguardsTestKit

/// Keys, identities and envelopes shared by the federation tests. Everything is derived from
/// fixed seeds, so a failing test replays exactly.
enum Fixtures {
    static let systemA = SystemID(unchecked: "system_a")
    static let systemB = SystemID(unchecked: "system_b")
    static let systemC = SystemID(unchecked: "system_c")

    /// A fixed "now" (2026-05-28) that every test measures from.
    static let now = Timestamp(millisecondsSince1970: 1_780_000_000_000)

    /// A deterministic Ed25519 key: 32 bytes drawn from `SeededRandom(seed:)`.
    static func signingKey(seed: UInt64) throws -> Curve25519.Signing.PrivateKey {
        var random = SeededRandom(seed: seed)
        return try Curve25519.Signing.PrivateKey(rawRepresentation: randomBytes(32, using: &random))
    }

    static func keyA() throws -> Curve25519.Signing.PrivateKey { try signingKey(seed: 0xA) }
    static func keyB() throws -> Curve25519.Signing.PrivateKey { try signingKey(seed: 0xB) }
    static func attackerKey() throws -> Curve25519.Signing.PrivateKey { try signingKey(seed: 0xBAD) }

    static func peerA() throws -> PeerKeyInfo { PeerKeyInfo(systemID: systemA, publicKey: try keyA().publicKey) }

    static func randomBytes(_ count: Int, using random: inout SeededRandom) -> [UInt8] {
        (0..<count).map { _ in UInt8(truncatingIfNeeded: random.next()) }
    }

    /// A ping from system_a signed with its key, sent at `sentAt` (default: ``now``).
    static func signedPing(
        payload: String = "hello", sentAt: Timestamp = now, type: MessageType = .ping, sender: SystemID = systemA,
        key: Curve25519.Signing.PrivateKey? = nil, seed: UInt64 = 1
    ) throws -> Envelope {
        var random = SeededRandom(seed: seed)
        return try Envelope.sign(
            type: type, sender: sender, body: PingBody(payload: payload).encodedBody(), now: sentAt,
            nonceGenerator: &random, key: key ?? keyA())
    }

    /// `envelope` with its fields replaced as given and its original signature kept.
    static func altered(
        _ envelope: Envelope, version: UInt16? = nil, type: MessageType? = nil, sender: SystemID? = nil,
        nonce: [UInt8]? = nil, sentAt: Timestamp? = nil, body: [UInt8]? = nil
    ) throws -> Envelope {
        try Envelope(
            version: version ?? envelope.version, type: type ?? envelope.type, sender: sender ?? envelope.sender,
            nonce: nonce ?? envelope.nonce, sentAt: sentAt ?? envelope.sentAt, body: body ?? envelope.body,
            signature: envelope.signature)
    }
}

/// Builds envelope bytes field by field, so tests can write what `Envelope.encode()` never would.
struct RawEnvelope {
    var version: [UInt8] = [0, 1]
    var typeLength: [UInt8]? = nil
    var type: [UInt8] = Array("ping".utf8)
    var senderLength: [UInt8]? = nil
    var sender: [UInt8] = Array("system_a".utf8)
    var nonceLength: [UInt8]? = nil
    var nonce: [UInt8] = [UInt8](repeating: 7, count: 16)
    var sentAt: [UInt8] = [0, 0, 0, 0, 0, 0, 0, 42]
    var bodyLength: [UInt8]? = nil
    var body: [UInt8] = Array("{}".utf8)
    var signatureLength: [UInt8]? = nil
    var signature: [UInt8] = [UInt8](repeating: 9, count: 64)
    var trailing: [UInt8] = []

    var bytes: [UInt8] {
        let count = UInt32(body.count)
        let bodyPrefix = [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: count >> $0) }
        return version + (typeLength ?? [UInt8(type.count)]) + type + (senderLength ?? [UInt8(sender.count)]) + sender
            + (nonceLength ?? [UInt8(nonce.count)]) + nonce + sentAt + (bodyLength ?? bodyPrefix) + body
            + (signatureLength ?? [UInt8(signature.count)]) + signature + trailing
    }
}
