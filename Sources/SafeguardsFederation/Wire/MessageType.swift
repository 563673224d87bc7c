/// What an envelope's body means (`ping`, `pong`, `error`...): the `type` field of the envelope.
///
/// Open like a string so that a node can decode, log and answer a type it does not know (with an
/// `unknown_type` error frame) instead of failing to parse the frame. Which types a node acts on
/// is ``known``; later protocol parts (settlement, gossip) add theirs there.
public struct MessageType: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
    /// The type as it appears on the wire (UTF-8, 1...``maximumLength`` bytes in a valid envelope).
    public let rawValue: String

    /// Wraps a type name. Not validated here: ``Envelope`` checks the length when it is built or decoded.
    public init(rawValue: String) {
        self.rawValue = rawValue
    }

    /// The longest type name, in UTF-8 bytes, that an envelope may carry.
    public static let maximumLength = 64

    /// Asks the peer to prove it is reachable; the body is a ``PingBody``.
    public static let ping = MessageType(rawValue: "ping")
    /// Answers a ping with the same payload; the body is a ``PongBody``.
    public static let pong = MessageType(rawValue: "pong")
    /// Tells the peer why its frame was refused; the body is an ``ErrorBody``.
    public static let error = MessageType(rawValue: "error")

    /// The types this version of the protocol acts on. Any other type is answered with `unknown_type`.
    public static let known: Set<MessageType> = [.ping, .pong, .error]

    public var description: String { rawValue }
}
