import SafeguardsCore

/// One signed federation message: `{version, type, sender, nonce, sent_at, body, signature}`.
///
/// Every value satisfies the wire rules (the initializer and ``decode(_:)`` check the same
/// ones), so ``encode()`` cannot fail and its output always decodes back to an equal value.
///
/// ## Binary layout
///
/// The layout is the same for every protocol `version`: the version says how to read the
/// *body* and which types exist, not how to read the envelope. So a node can always see who sent
/// a frame of a newer version and answer it with an `unsupported_version` error frame.
///
/// | field     | encoding                                                          |
/// |-----------|-------------------------------------------------------------------|
/// | version   | UInt16, big-endian                                                |
/// | type      | UInt8 length (1...64), then that many bytes of UTF-8              |
/// | sender    | UInt8 length (1...128), then the system id (`[A-Za-z0-9_.:-]`)    |
/// | nonce     | UInt8 length (must be 16), then the nonce                         |
/// | sent_at   | Int64 milliseconds since 1970-01-01 UTC, big-endian               |
/// | body      | UInt32 length (at most ``maximumBodyLength``), then the body      |
/// | signature | UInt8 length (must be 64), then the Ed25519 signature             |
///
/// Nothing may follow the signature. Every field has exactly one encoding, so two different
/// envelopes never share bytes and a changed byte always changes the envelope (or breaks it).
public struct Envelope: Sendable, Hashable {
    /// The protocol version this node writes.
    public static let currentVersion: UInt16 = 1
    /// Length of ``nonce`` in bytes (128 random bits: collisions between honest messages are negligible).
    public static let nonceLength = 16
    /// Length of an Ed25519 ``signature`` in bytes.
    public static let signatureLength = 64
    /// The largest body an envelope may carry, in bytes (1 MiB).
    public static let maximumBodyLength = 1 << 20
    /// The most bytes an envelope can take apart from its body: every length prefix and fixed
    /// field, the longest type and the longest sender.
    public static let maximumHeaderLength =
        2 + (1 + MessageType.maximumLength) + (1 + IdentifierRules.maxLength) + (1 + nonceLength) + 8 + 4
        + (1 + signatureLength)
    /// The largest encoded envelope in bytes: a frame limit at least this large never refuses a valid envelope.
    public static let maximumEncodedLength = maximumHeaderLength + maximumBodyLength

    /// The protocol version the sender speaks (see ``currentVersion``).
    public let version: UInt16
    /// What the body means.
    public let type: MessageType
    /// The system that signed the envelope. Only believed once it matches the TLS identity and the pinned key.
    public let sender: SystemID
    /// Random bytes, unique per message from a sender; the replay guard remembers them.
    public let nonce: [UInt8]
    /// When the sender made the envelope, by its clock.
    public let sentAt: Timestamp
    /// The message itself, exactly as signed.
    public let body: [UInt8]
    /// Ed25519 signature over ``signingInput``.
    public let signature: [UInt8]

    /// An envelope from its fields; throws the ``WireError`` that ``decode(_:)`` would throw for
    /// the same fields on the wire.
    public init(
        version: UInt16, type: MessageType, sender: SystemID, nonce: [UInt8], sentAt: Timestamp, body: [UInt8],
        signature: [UInt8]
    ) throws(WireError) {
        let typeLength = type.rawValue.utf8.count
        guard typeLength > 0 else { throw .emptyType }
        guard typeLength <= MessageType.maximumLength else { throw .typeTooLong(length: typeLength) }
        // `SystemID(unchecked:)` exists, so the rules are checked again rather than assumed.
        guard IdentifierRules.isValid(sender.rawValue) else { throw .invalidSystemID(sender.rawValue) }
        guard nonce.count == Envelope.nonceLength else { throw .wrongNonceLength(nonce.count) }
        guard body.count <= Envelope.maximumBodyLength else {
            throw .bodyTooLarge(length: body.count, maximum: Envelope.maximumBodyLength)
        }
        guard signature.count == Envelope.signatureLength else { throw .wrongSignatureLength(signature.count) }
        self.version = version
        self.type = type
        self.sender = sender
        self.nonce = nonce
        self.sentAt = sentAt
        self.body = body
        self.signature = signature
    }

    /// The envelope in its binary layout (see the type's documentation).
    public func encode() -> [UInt8] {
        var writer = ByteWriter(capacity: Envelope.maximumHeaderLength + body.count)
        writeUnsignedFields(into: &writer)
        writer.write(UInt8(signature.count))
        writer.write(signature)
        return writer.bytes
    }

    /// Every field but the signature, in wire order. Shared by ``encode()`` and the signing input,
    /// so what is signed is byte for byte what is sent.
    func writeUnsignedFields(into writer: inout ByteWriter) {
        // The initializer bounded every length below, so these conversions cannot truncate.
        let typeBytes = Array(type.rawValue.utf8)
        let senderBytes = Array(sender.rawValue.utf8)
        writer.write(version)
        writer.write(UInt8(typeBytes.count))
        writer.write(typeBytes)
        writer.write(UInt8(senderBytes.count))
        writer.write(senderBytes)
        writer.write(UInt8(nonce.count))
        writer.write(nonce)
        writer.write(sentAt.millisecondsSince1970)
        writer.write(UInt32(body.count))
        writer.write(body)
    }

    /// Parses exactly one envelope from `bytes`.
    ///
    /// Strict: a truncated field, bytes after the signature, a type that is empty, longer than
    /// ``MessageType/maximumLength`` or not UTF-8, a sender that is not a valid ``SystemID``, a
    /// nonce or signature of the wrong length, or a body over ``maximumBodyLength`` each throw
    /// their ``WireError``. Never traps; lengths are checked against the bytes present before
    /// anything is copied. Does not check the signature (see ``verifySignature(with:)``).
    public static func decode(_ bytes: [UInt8]) throws(WireError) -> Envelope {
        var reader = ByteReader(bytes)
        let version = try reader.readUInt16(for: .version)

        let typeLength = Int(try reader.readUInt8(for: .type))
        guard typeLength > 0 else { throw .emptyType }
        guard typeLength <= MessageType.maximumLength else { throw .typeTooLong(length: typeLength) }
        guard let typeName = String(validating: try reader.readBytes(typeLength, for: .type), as: UTF8.self) else {
            throw .invalidUTF8(.type)
        }

        let senderLength = Int(try reader.readUInt8(for: .sender))
        // Invalid UTF-8 becomes U+FFFD here, which the identifier rules refuse anyway.
        let senderText = String(decoding: try reader.readBytes(senderLength, for: .sender), as: UTF8.self)
        guard IdentifierRules.isValid(senderText) else { throw .invalidSystemID(senderText) }

        let nonceLength = Int(try reader.readUInt8(for: .nonce))
        guard nonceLength == Envelope.nonceLength else { throw .wrongNonceLength(nonceLength) }
        let nonce = Array(try reader.readBytes(nonceLength, for: .nonce))

        let sentAt = Timestamp(millisecondsSince1970: try reader.readInt64(for: .sentAt))

        let bodyLength = Int(try reader.readUInt32(for: .body))
        // Checked before the read, so a forged length is refused even when the bytes are there.
        guard bodyLength <= Envelope.maximumBodyLength else {
            throw .bodyTooLarge(length: bodyLength, maximum: Envelope.maximumBodyLength)
        }
        let body = Array(try reader.readBytes(bodyLength, for: .body))

        let signatureLength = Int(try reader.readUInt8(for: .signature))
        guard signatureLength == Envelope.signatureLength else { throw .wrongSignatureLength(signatureLength) }
        let signature = Array(try reader.readBytes(signatureLength, for: .signature))

        guard reader.remaining == 0 else { throw .trailingBytes(count: reader.remaining) }
        return try Envelope(
            version: version, type: MessageType(rawValue: typeName), sender: SystemID(unchecked: senderText),
            nonce: nonce, sentAt: sentAt, body: body, signature: signature)
    }
}
