import SafeguardsCore
import SafeguardsFederation
import Testing

@Suite("Settlement messages")
struct SettlementMessageTests {
    @Test("a receipt is snake_case JSON with a decimal-string amount and round trips under its type")
    func receiptJSON() throws {
        let receipt = TransferReceipt(
            transactionID: TransferID(unchecked: "t1"), requester: SystemID(unchecked: "system_a"),
            giver: SystemID(unchecked: "system_b"), amount: 12, status: .rejected, reason: .rateLimited,
            decidedAt: Timestamp(millisecondsSince1970: 5))
        let text = String(decoding: try receipt.encodedBody(), as: UTF8.self)
        #expect(text.contains(#""amount":"12.000000""#) && text.contains(#""reason":"rate_limited""#))
        #expect(text.contains(#""transaction_id":"t1""#) && text.contains(#""decided_at""#))
        for message in [SettlementMessage.transferReceipt(receipt), .returnReceipt(ReturnReceipt(receipt))] {
            let decoded = try SettlementMessage(type: type(of: message.body).messageType, body: message.body.encodedBody())
            #expect(decoded == message)
        }
        #expect(try SettlementMessage(type: .ping, body: []) == nil)
    }

    @Test("a request with a JSON number amount is refused")
    func numberAmountRefused() {
        let body = #"{"transaction_id":"t1","requester":"a","giver":"b","amount":12.5,"agent_id":"x","metadata":{}}"#
        #expect(throws: WireError.self) { try RemoteTransferRequest(decodingBody: Array(body.utf8)) }
    }
}
