import Foundation
import SafeguardsFederation
import FuzzDriver

/// libFuzzer entry point for envelopes and the message bodies they carry.
///
/// Input that decodes as an ``Envelope`` must encode back to exactly the same bytes, and its body
/// is decoded under its own type. Any other input is read as one byte choosing a message type and
/// then a body, so the body decoders are reached without a valid envelope around them. Invariants:
/// nothing traps; a body that decodes encodes to JSON that decodes to an equal body.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzEnvelope(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = fuzzInput(data, size)
    if let envelope = try? Envelope.decode(bytes) {
        guard envelope.encode() == bytes else { fatalError("a decoded envelope encodes to other bytes") }
        decodeBody(type: envelope.type, envelope.body)
    } else if let first = bytes.first {
        decodeBody(type: bodyTypes[Int(first) % bodyTypes.count], Array(bytes.dropFirst()))
    }
    return 0
}

private let bodyTypes: [MessageType] = [
    .ping, .pong, .error, .gossipDigest, .gossipDelta, .transferRequest, .transferReceipt, .returnRequest,
    .returnReceipt, .statusQuery, .statusAnswer, .allocationProposal, .allocationGrant,
]

private func decodeBody(type: MessageType, _ body: [UInt8]) {
    switch type {
    case .ping: roundTrip(PingBody.self, body)
    case .pong: roundTrip(PongBody.self, body)
    case .error: roundTrip(ErrorBody.self, body)
    case .gossipDigest: roundTrip(GossipDigestBody.self, body)
    case .gossipDelta:
        if let delta = roundTrip(GossipDeltaBody.self, body) {
            for record in delta.records { _ = record.decoded() }
        }
    case .allocationProposal: roundTrip(AllocationProposal.self, body)
    case .allocationGrant: roundTrip(AllocationGrant.self, body)
    default:
        guard let message = try? SettlementMessage(type: type, body: body) else { return }
        guard let encoded = try? message.body.encodedBody(),
            let again = try? SettlementMessage(type: type, body: encoded), again == message
        else { fatalError("a '\(type)' body does not survive encoding and decoding") }
    }
}

@discardableResult
private func roundTrip<Body: MessageBody>(_: Body.Type, _ bytes: [UInt8]) -> Body? {
    guard let body = try? Body(decodingBody: bytes) else { return nil }
    guard let encoded = try? body.encodedBody(), let again = try? Body(decodingBody: encoded), again == body else {
        fatalError("a '\(Body.messageType)' body does not survive encoding and decoding")
    }
    return body
}

@main
enum Main {
    static func main() { runFuzzer(fuzzEnvelope) }
}
