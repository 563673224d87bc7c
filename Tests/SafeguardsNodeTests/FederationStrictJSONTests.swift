import Foundation
import SafeguardsAPI
import SafeguardsCore
import SafeguardsFederation
import SafeguardsNode
import SafeguardsTransport
import Testing

/// A peer's JSON with a key twice would be read one way by this node's decoder (the last value)
/// and perhaps another way by the peer: such a body is refused as `malformed`, and moves nothing.
@Suite("Federation bodies with a key twice are refused", .timeLimit(.minutes(5)))
struct FederationStrictJSONTests {
    @Test func aTransferRequestWithTwoAmountsIsMalformedAndMovesNothing() async throws {
        try await SettlementPair.with { clientA, clientB, portB in
            _ = try await SettlementPair.federatedPool(clientA)
            var raw = try RawPeer("system_a", to: "system_b", port: portB)
            let bodies = [
                #"{"agent_id":"x","amount":"25","amount":"30","giver":"system_b","metadata":{},"requester":"system_a","transaction_id":"dup-1"}"#,
                #"{"agent_id":"x","amount":"25","giver":"system_b","metadata":{"k":"a","\u006b":"b"},"requester":"system_a","transaction_id":"dup-2"}"#,
            ]
            for body in bodies {
                let envelope = try Envelope.sign(
                    type: .transferRequest, sender: SystemID("system_a"), body: Array(body.utf8), now: .now(),
                    nonceGenerator: &raw.random, key: RawPeer.signingKey(of: "system_a"))
                #expect(RawPeer.errorCode(try await raw.send(envelope.encode())) == "malformed", "\(body)")
            }
            #expect(try await clientB.federationTransactions(peer: "system_a").transactions.isEmpty)
            #expect(try await clientB.accountBalances().balance("given:system_a") == .zero)
            try await SettlementPair.expectConserved(giver: clientB, peer: "system_a", offer: 2000)
            await raw.dialer.shutdown()
        }
    }
}
