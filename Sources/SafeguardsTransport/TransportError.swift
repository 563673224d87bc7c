import SafeguardsFederation

/// Why a federation channel failed or was refused.
public enum TransportError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Certificates or keys could not be loaded or combined.
    case configuration(String)
    /// The TCP connection or the TLS handshake failed (includes a refused certificate).
    case handshakeFailed(String)
    /// The certificate is valid but names another system than the one expected.
    case identityMismatch(expected: SystemID, actual: String)
    /// A frame's length prefix exceeds the maximum, or is zero.
    case invalidFrameLength(UInt32, maximum: Int)
    /// The connection closed or failed before the answer arrived.
    case connectionClosed(String)
    /// No answer within the request timeout.
    case timedOut
    /// The dialer is shut down.
    case shutDown
    /// The request's task was cancelled before its answer came.
    case cancelled

    public var description: String {
        switch self {
        case .configuration(let message): return message
        case .handshakeFailed(let message): return "TLS handshake failed: \(message)"
        case .identityMismatch(let expected, let actual):
            return "the peer's certificate names '\(actual)', expected '\(expected)'"
        case .invalidFrameLength(let length, let maximum):
            return "frame length \(length) is outside 1...\(maximum)"
        case .connectionClosed(let message): return "connection closed: \(message)"
        case .timedOut: return "no answer before the timeout"
        case .shutDown: return "the transport is shut down"
        case .cancelled: return "the request was cancelled"
        }
    }
}
