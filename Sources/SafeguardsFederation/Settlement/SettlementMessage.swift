/// Every message of the settlement protocol, as the machine takes and emits them. The shell
/// sends ``body`` as the body of a signed envelope of its type.
public enum SettlementMessage: Sendable, Hashable {
    case transferRequest(RemoteTransferRequest)
    case transferReceipt(TransferReceipt)
    case returnRequest(ReturnRequest)
    case returnReceipt(ReturnReceipt)
    case statusQuery(StatusQuery)
    case statusAnswer(StatusAnswer)

    /// The body, which knows its envelope type and its encoding.
    public var body: any MessageBody {
        switch self {
        case .transferRequest(let body): return body
        case .transferReceipt(let body): return body
        case .returnRequest(let body): return body
        case .returnReceipt(let body): return body
        case .statusQuery(let body): return body
        case .statusAnswer(let body): return body
        }
    }

    /// Decodes the body of an envelope of `type`; `nil` when the type is not a settlement type.
    ///
    /// - Throws: ``WireError/malformedBody(_:reason:)`` when the bytes are not that body's JSON.
    public init?(type: MessageType, body: [UInt8]) throws(WireError) {
        switch type {
        case .transferRequest: self = .transferRequest(try RemoteTransferRequest(decodingBody: body))
        case .transferReceipt: self = .transferReceipt(try TransferReceipt(decodingBody: body))
        case .returnRequest: self = .returnRequest(try ReturnRequest(decodingBody: body))
        case .returnReceipt: self = .returnReceipt(try ReturnReceipt(decodingBody: body))
        case .statusQuery: self = .statusQuery(try StatusQuery(decodingBody: body))
        case .statusAnswer: self = .statusAnswer(try StatusAnswer(decodingBody: body))
        default: return nil
        }
    }
}
