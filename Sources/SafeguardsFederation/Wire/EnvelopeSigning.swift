import Crypto
import Foundation
import SafeguardsCore

extension Envelope {
    /// The bytes every envelope signature starts with. A node's Ed25519 key may also sign other
    /// things (gossip state records, settlement receipts); this prefix makes an envelope signature
    /// useless as a signature on any of them and the other way round. Bump the suffix if the
    /// signing input ever changes shape.
    public static let signatureDomain: [UInt8] = Array("safeguards.federation.envelope.v1".utf8) + [0]

    /// The exact bytes the signature covers: ``signatureDomain``, then version, type, sender,
    /// nonce, sent_at and the body, each length-prefixed as in the binary layout.
    ///
    /// DESIGN.md asks that the signature cover the exact body bytes: the body is signed as it
    /// travels, never re-encoded, so no two encodings of one body can disagree about what was
    /// signed. The header is covered too: if it were not, anyone on the path (or a peer replaying
    /// another peer's frame) could give a captured envelope a fresh nonce and sent_at and walk it
    /// past the replay guard, or change its type so the same body is read as another message.
    /// The length prefixes make the byte string canonical: no two field lists give the same bytes.
    public var signingInput: [UInt8] {
        var writer = ByteWriter(capacity: Envelope.signatureDomain.count + Envelope.maximumHeaderLength + body.count)
        writer.write(Envelope.signatureDomain)
        writeUnsignedFields(into: &writer)
        return writer.bytes
    }

    /// A new envelope of the ``currentVersion``, with a fresh random nonce, sent at `now` and
    /// signed with `key`.
    ///
    /// - Parameters:
    ///   - nonceGenerator: the source of the 16 nonce bytes (a system generator in a node, a
    ///     seeded one in tests and the simulator).
    ///   - key: the sender's Ed25519 signing key; its public half is what peers pin.
    /// - Throws: the ``WireError`` the fields break (a type over 64 bytes, a body over
    ///   ``maximumBodyLength``...), or ``WireError/signingFailed(_:)``.
    public static func sign(
        type: MessageType, sender: SystemID, body: [UInt8], now: Timestamp,
        nonceGenerator: inout some RandomNumberGenerator, key: Curve25519.Signing.PrivateKey
    ) throws(WireError) -> Envelope {
        var nonce: [UInt8] = []
        nonce.reserveCapacity(nonceLength)
        while nonce.count < nonceLength {
            withUnsafeBytes(of: nonceGenerator.next().bigEndian) { nonce.append(contentsOf: $0) }
        }
        let unsigned = try Envelope(
            version: currentVersion, type: type, sender: sender, nonce: nonce, sentAt: now, body: body,
            signature: [UInt8](repeating: 0, count: signatureLength))
        let signature: Data
        do {
            signature = try key.signature(for: unsigned.signingInput)
        } catch {
            throw .signingFailed(String(describing: error))
        }
        return try unsigned.withSignature(Array(signature))
    }

    /// This envelope with another signature (the other fields unchanged).
    public func withSignature(_ signature: [UInt8]) throws(WireError) -> Envelope {
        try Envelope(
            version: version, type: type, sender: sender, nonce: nonce, sentAt: sentAt, body: body,
            signature: signature)
    }

    /// Whether ``signature`` is a valid Ed25519 signature by `publicKey` over ``signingInput``.
    public func verifySignature(with publicKey: Curve25519.Signing.PublicKey) -> Bool {
        publicKey.isValidSignature(signature, for: signingInput)
    }
}
