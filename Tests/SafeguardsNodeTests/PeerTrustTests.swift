import Crypto
import Foundation
import SafeguardsAPI
import SafeguardsCore
import SafeguardsFederation
import SafeguardsNode
import SafeguardsTransport
import Testing

/// Trust on a live node: what a connection's offenses cost, that good messages buy nothing back,
/// and that time does.
@Suite("Peer trust on a node", .timeLimit(.minutes(5)))
struct PeerTrustTests {
    @Test func manyForgedFramesOnOneConnectionCostOnePenaltyAndPingsBuyNothingBack() async throws {
        try await TestNode.withFederated(
            "system_b", configure: { $0.federation?.trustRecoveryHalfLife = .seconds(1_000 * 3600) }
        ) { clientB, _, portB in
            try await DevelopmentFederation.register("system_a", port: 1, with: clientB)
            // Someone holding a certificate in system_a's name, but not its signing key.
            var stranger = try RawPeer("system_a", to: "system_b", port: portB)
            for _ in 0..<20 {
                let forged = try stranger.ping(signer: Curve25519.Signing.PrivateKey())
                #expect(RawPeer.errorCode(try await stranger.send(forged.encode())) == "invalid_signature")
            }
            var seen = try await clientB.peer("system_a")
            #expect(seen.badMessages == 20)
            #expect(seen.effectiveTrust == "0.6000")
            let firstOffense = try #require(seen.lastOffenseAt)

            // Cheap genuine pings on the same connection earn nothing back.
            for _ in 0..<50 { #expect(try await stranger.send(try stranger.ping().encode()).type == .pong) }
            seen = try await clientB.peer("system_a")
            #expect(seen.goodMessages == 50)
            #expect(seen.effectiveTrust == "0.6000")
            #expect(seen.lastOffenseAt == firstOffense)
            await stranger.dialer.shutdown()

            // A new connection is needed to cost more.
            var again = try RawPeer("system_a", to: "system_b", port: portB)
            let forged = try again.ping(signer: Curve25519.Signing.PrivateKey())
            #expect(RawPeer.errorCode(try await again.send(forged.encode())) == "invalid_signature")
            await again.dialer.shutdown()
            seen = try await clientB.peer("system_a")
            #expect(seen.badMessages == 21)
            #expect(seen.effectiveTrust == "0.4000")
        }
    }

    @Test func trustRecoversByTimeWithoutAnyMessage() async throws {
        try await TestNode.withFederated(
            "system_b", configure: { $0.federation?.trustRecoveryHalfLife = .seconds(1) }
        ) { clientB, _, portB in
            try await DevelopmentFederation.register("system_a", port: 1, with: clientB)
            var stranger = try RawPeer("system_a", to: "system_b", port: portB)
            let forged = try stranger.ping(signer: Curve25519.Signing.PrivateKey())
            #expect(RawPeer.errorCode(try await stranger.send(forged.encode())) == "invalid_signature")
            await stranger.dialer.shutdown()
            let afterOffense = try await clientB.peer("system_a")
            #expect(afterOffense.badMessages == 1)
            #expect(afterOffense.lastOffenseAt != nil)
            // A half-life of 1 s: the gap of 0.2 rounds away only after about 12 s, so a slow
            // machine still reads the node below its level here.
            let lowered = try #require(Double(afterOffense.effectiveTrust))
            #expect(lowered < 0.8)
            // No message arrives; the gap shrinks with time alone, never past the configured level.
            #expect(
                try await eventually {
                    let now = try #require(Double(try await clientB.peer("system_a").effectiveTrust))
                    return now > lowered && now <= 0.8
                })
            let recovered = try await clientB.peer("system_a")
            #expect(recovered.goodMessages == 0)
            #expect(recovered.lastOffenseAt == afterOffense.lastOffenseAt)
        }
    }
}
