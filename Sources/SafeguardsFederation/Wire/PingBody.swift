/// The body of a `ping`: `{"payload"}`, any text the sender wants echoed (a counter, a token).
///
/// A ping round trip proves a peer is reachable and that both directions authenticate: the
/// pong comes back signed by the peer, over its TLS identity, echoing this payload.
public struct PingBody: MessageBody, Hashable {
    public static let messageType = MessageType.ping

    /// The text the peer must echo.
    public var payload: String

    /// A ping carrying `payload`.
    public init(payload: String) {
        self.payload = payload
    }

    /// The pong that answers this ping.
    public var pong: PongBody { PongBody(payload: payload) }
}

/// The body of a `pong`: `{"payload"}`, echoing the ping it answers.
public struct PongBody: MessageBody, Hashable {
    public static let messageType = MessageType.pong

    /// The payload of the ping this answers.
    public var payload: String

    /// A pong carrying `payload`.
    public init(payload: String) {
        self.payload = payload
    }

    /// Whether this pong answers `ping` (same payload).
    public func answers(_ ping: PingBody) -> Bool {
        payload == ping.payload
    }
}
