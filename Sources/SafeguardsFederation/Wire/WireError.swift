/// Why bytes from the network were not a valid frame, envelope or message body, or why an
/// envelope could not be built or signed.
///
/// Decoding never traps and never allocates from a length it has not checked: every refusal is
/// one of these cases, with enough context to log. A peer is told only the ``rejectCode``.
public enum WireError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A part of an envelope, named in errors so a log says where the bytes went wrong.
    public enum Field: String, Sendable, Hashable {
        case version
        case type
        case sender
        case nonce
        case sentAt = "sent_at"
        case body
        case signature
    }

    /// The bytes end inside `field`: at least `needed` more bytes were expected, `available` were left.
    case truncated(Field, needed: Int, available: Int)
    /// A complete envelope was followed by `count` more bytes; the encoding has exactly one form.
    case trailingBytes(count: Int)
    /// The message type is empty; a type names what the body means.
    case emptyType
    /// The message type is `length` bytes long, over ``MessageType/maximumLength``.
    case typeTooLong(length: Int)
    /// The bytes of `field` are not valid UTF-8.
    case invalidUTF8(Field)
    /// The sender is not a valid ``SystemID`` (the text is cut to 64 characters).
    case invalidSystemID(String)
    /// The nonce is `length` bytes long instead of ``Envelope/nonceLength``.
    case wrongNonceLength(Int)
    /// The signature is `length` bytes long instead of ``Envelope/signatureLength``.
    case wrongSignatureLength(Int)
    /// The body is `length` bytes long, over the limit of `maximum` bytes.
    case bodyTooLarge(length: Int, maximum: Int)
    /// A frame's length prefix announces `length` bytes, over the limit of `maximum`. Nothing was
    /// reserved for it; the stream cannot be resynchronised and must be closed.
    case frameTooLarge(length: Int, maximum: Int)
    /// A frame's length prefix is zero; no valid envelope is empty.
    case emptyFrame
    /// The body of a `type` message is not the JSON that type expects.
    case malformedBody(MessageType, reason: String)
    /// The body could not be encoded (only possible for values JSON cannot represent).
    case bodyEncodingFailed(MessageType, reason: String)
    /// The signing key refused to sign (the crypto library's error, as text).
    case signingFailed(String)

    /// The code to put in the error frame that answers these bytes: every decoding failure is
    /// `malformed`, because the sender's intent cannot be read from a frame that does not parse.
    public var rejectCode: RejectCode { .malformed }

    public var description: String {
        switch self {
        case .truncated(let field, let needed, let available):
            return "envelope ends inside \(field.rawValue): \(needed) more bytes expected, \(available) left"
        case .trailingBytes(let count):
            return "\(count) unexpected bytes after the end of the envelope"
        case .emptyType:
            return "the message type is empty"
        case .typeTooLong(let length):
            return "the message type is \(length) bytes long; the limit is \(MessageType.maximumLength)"
        case .invalidUTF8(let field):
            return "\(field.rawValue) is not valid UTF-8"
        case .invalidSystemID(let text):
            return "sender '\(text.prefix(64))' is not a valid system id"
        case .wrongNonceLength(let length):
            return "the nonce is \(length) bytes long; it must be \(Envelope.nonceLength)"
        case .wrongSignatureLength(let length):
            return "the signature is \(length) bytes long; it must be \(Envelope.signatureLength)"
        case .bodyTooLarge(let length, let maximum):
            return "the body is \(length) bytes long; the limit is \(maximum)"
        case .frameTooLarge(let length, let maximum):
            return "a frame announces \(length) bytes; the limit is \(maximum)"
        case .emptyFrame:
            return "a frame announces zero bytes"
        case .malformedBody(let type, let reason):
            return "the body of a '\(type.rawValue.prefix(64))' message is malformed: \(reason.prefix(200))"
        case .bodyEncodingFailed(let type, let reason):
            return "the body of a '\(type.rawValue.prefix(64))' message could not be encoded: \(reason.prefix(200))"
        case .signingFailed(let reason):
            return "the signing key refused to sign: \(reason.prefix(200))"
        }
    }
}
