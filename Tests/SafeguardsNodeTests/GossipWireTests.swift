import Foundation
import SafeguardsAPI
import SafeguardsCore
import SafeguardsFederation
import SafeguardsNode
import SafeguardsTransport
import Testing

/// What a node's gossip answers to frames an honest node would, and would never, send.
@Suite("Gossip messages on the wire", .timeLimit(.minutes(5)))
struct GossipWireTests {
    @Test func aViewGetsTheDigestAndAnOversizeDigestIsRefusedAndCostsTrust() async throws {
        try await TestNode.withFederated("system_b") { clientB, _, portB in
            try await TestNode.withFederated("system_a") { clientA, _, portA in
                try await DevelopmentFederation.register("system_b", port: portB, with: clientA)
                try await DevelopmentFederation.register("system_a", port: portA, with: clientB)
                var raw = try RawPeer("system_a", to: "system_b", port: portB)
                let key = try RawPeer.signingKey(of: "system_a")
                func send(_ body: [UInt8], type: MessageType = .gossipDigest) async throws -> Envelope {
                    let envelope = try Envelope.sign(
                        type: type, sender: raw.system, body: body, now: .now(), nonceGenerator: &raw.random, key: key)
                    return try await raw.send(envelope.encode())
                }

                // A view system_b does not share: it answers with its view and its full digest.
                let view = GossipView(of: [raw.system: RecordVersion(generation: 1, version: 1)])
                let answer = try await send(GossipDigestBody(view: view).encodedBody())
                #expect(answer.type == .gossipDelta)
                let delta = try GossipDeltaBody(decodingBody: answer.body)
                #expect(delta.origins?[raw.target] != nil)
                #expect(delta.view != nil && delta.view != view)
                // The digest of an older version is still answered, with the records it lacks.
                let old = try await send(GossipDigestBody([:]).encodedBody())
                let records = try GossipDeltaBody(decodingBody: old.body).records
                let origins = records.compactMap { $0.decoded()?.origin }
                #expect(origins.contains(raw.target))

                // A digest over the bound: refused as malformed, with the reason, and it costs trust.
                let many = (0...GossipDigestBody.maximumOrigins).map { #""n\#($0)":{"generation":1,"version":1}"# }
                let oversize = try await send(Array("{\"digest\":{\(many.joined(separator: ","))}}".utf8))
                #expect(RawPeer.errorCode(oversize) == "malformed")
                #expect(try ErrorBody(decodingBody: oversize.body).message.contains("at most 4096"))
                let seen = try await clientB.peer("system_a")
                #expect(try #require(Double(seen.effectiveTrust)) < 0.8)
                await raw.dialer.shutdown()
            }
        }
    }
}
