/// The body of an `error` frame: why a node refused the peer's frame, as `{"code", "message"}`.
///
/// `code` is stable and machine-readable (see ``RejectCode``); `message` is for the operator's
/// log and may change between versions.
public struct ErrorBody: MessageBody, Hashable {
    public static let messageType = MessageType.error

    /// Why the frame was refused.
    public var code: RejectCode
    /// A sentence for people; never parsed.
    public var message: String

    /// An error body with a code and a human message.
    public init(code: RejectCode, message: String) {
        self.code = code
        self.message = message
    }

    /// The error frame body answering bytes that did not decode.
    public init(_ error: WireError) {
        self.init(code: error.rejectCode, message: error.description)
    }
}
