/// Why a node refused a frame: the stable `code` of an ``ErrorBody``, the same on every node and
/// in every version (raw values are part of the wire contract). Open, so a node can carry a code
/// a newer peer sends.
public struct RejectCode: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
    public let rawValue: String

    /// Wraps a code; any string is accepted so that codes from newer peers survive a round trip.
    public init(rawValue: String) {
        self.rawValue = rawValue
    }

    /// The envelope's protocol version is not one this node speaks.
    public static let unsupportedVersion = RejectCode(rawValue: "unsupported_version")
    /// The message type is not one this node acts on.
    public static let unknownType = RejectCode(rawValue: "unknown_type")
    /// The signature does not verify with the sender's pinned signing key.
    public static let invalidSignature = RejectCode(rawValue: "invalid_signature")
    /// The nonce was already seen from this sender within the replay window.
    public static let replayed = RejectCode(rawValue: "replayed")
    /// The send time is outside the accepted window (too old, or too far in the future).
    public static let stale = RejectCode(rawValue: "stale")
    /// The sender is not in this node's peer registry.
    public static let unknownPeer = RejectCode(rawValue: "unknown_peer")
    /// The envelope's sender is not the system the TLS certificate (or the peer record) names.
    public static let identityMismatch = RejectCode(rawValue: "identity_mismatch")
    /// The frame, envelope or body does not parse.
    public static let malformed = RejectCode(rawValue: "malformed")
    /// The receiver could not act on a valid message (its storage failed); asking again is safe.
    public static let unavailable = RejectCode(rawValue: "unavailable")

    public var description: String { rawValue }
}
