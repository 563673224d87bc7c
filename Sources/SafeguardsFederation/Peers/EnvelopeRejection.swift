/// Why a node refused a frame: the stable code for the error frame and a reason for the log.
public struct EnvelopeRejection: Error, Sendable, Hashable, CustomStringConvertible {
    /// The code sent back in the error frame.
    public let code: RejectCode
    /// What was wrong, for the log and the error frame's message.
    public let reason: String

    /// A rejection with its code and reason.
    public init(code: RejectCode, reason: String) {
        self.code = code
        self.reason = reason
    }

    /// The refusal of bytes that did not decode.
    public init(_ error: WireError) {
        self.init(code: error.rejectCode, reason: error.description)
    }

    /// The refusal of the replay guard.
    public init(_ rejection: ReplayRejection) {
        self.init(code: rejection.code, reason: rejection.description)
    }

    /// What the refusal costs the peer on the channel, or `nil` when it costs no trust.
    public var offense: TrustOffense? { TrustOffense(rejectCode: code) }

    /// The body of the error frame that answers the refused frame.
    public var errorBody: ErrorBody { ErrorBody(code: code, message: reason) }

    public var description: String { "\(code): \(reason)" }
}
