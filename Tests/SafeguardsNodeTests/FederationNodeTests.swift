import Crypto
import Foundation
import Logging
import SafeguardsAPI
import SafeguardsCore
import SafeguardsFederation
import SafeguardsNode
import SafeguardsTransport
import Testing

/// A connection to a node's federation port with a real certificate, for sending frames an
/// honest node never would.
struct RawPeer {
    let system: SystemID
    let dialer: PeerDialer
    let target: SystemID
    let port: Int
    var random = SystemRandomNumberGenerator()

    init(_ system: String, to target: String, port: Int) throws {
        self.system = try SystemID(system)
        self.target = try SystemID(target)
        self.port = port
        let directory = DevelopmentFederation.directory
        dialer = try PeerDialer(
            identity: TLSIdentity.load(
                caPath: "\(directory)/ca.pem", certificatePath: "\(directory)/\(system).pem",
                privateKeyPath: "\(directory)/\(system).key"),
            identify: { try CertificateIdentity.systemID(derEncoded: $0) },
            logger: Logger(label: "raw-peer", factory: { _ in SwiftLogNoOpLogHandler() }))
    }

    static func signingKey(of system: String) throws -> Curve25519.Signing.PrivateKey {
        try SigningKeys.loadPrivateKey(at: "\(DevelopmentFederation.directory)/\(system).signing.key")
    }

    /// A ping envelope, signed by `signer`'s key and claiming to come from `sender`.
    mutating func ping(
        sender: String? = nil, signer: Curve25519.Signing.PrivateKey? = nil, type: MessageType = .ping,
        sentAt: Timestamp = .now()
    ) throws -> Envelope {
        try Envelope.sign(
            type: type, sender: SystemID(sender ?? system.rawValue), body: PingBody(payload: "p").encodedBody(),
            now: sentAt, nonceGenerator: &random, key: signer ?? Self.signingKey(of: system.rawValue))
    }

    /// Sends bytes and returns the answer's envelope.
    func send(_ bytes: [UInt8]) async throws -> Envelope {
        try Envelope.decode(try await dialer.request(bytes, to: target, host: "127.0.0.1", port: port))
    }

    /// The code of an error answer, or `nil` for any other answer.
    static func errorCode(_ answer: Envelope) -> String? {
        guard answer.type == .error else { return nil }
        return (try? ErrorBody(decodingBody: answer.body))?.code.rawValue
    }
}

@Suite("Federation between nodes over mutual TLS", .timeLimit(.minutes(5)))
struct FederationNodeTests {
    @Test func twoNodesExchangeSignedPings() async throws {
        try await TestNode.withFederated("system_b") { clientB, _, portB in
            try await TestNode.withFederated("system_a") { clientA, _, portA in
                try await DevelopmentFederation.register("system_b", port: portB, with: clientA)
                try await DevelopmentFederation.register("system_a", port: portA, with: clientB)
                let pingAB = try await clientA.ping(peer: "system_b")
                #expect(pingAB.systemID == "system_b")
                #expect(pingAB.effectiveTrust == "0.8000")
                let pingBA = try await clientB.ping(peer: "system_a")
                #expect(pingBA.systemID == "system_a")
                // Each side counted the other's verified messages.
                let aSeenByB = try await clientB.peer("system_a")
                #expect(aSeenByB.goodMessages >= 2)
                #expect(aSeenByB.badMessages == 0)
                #expect(aSeenByB.lastContact != nil)
                #expect(try await clientA.peer("system_b").goodMessages >= 2)
            }
        }
    }

    @Test func forgedReplayedAndStaleFramesAreRefusedAndCostTrust() async throws {
        try await TestNode.withFederated("system_b") { clientB, _, portB in
            try await TestNode.withFederated("system_a") { clientA, _, portA in
                try await DevelopmentFederation.register("system_b", port: portB, with: clientA)
                try await DevelopmentFederation.register("system_a", port: portA, with: clientB)
                var raw = try RawPeer("system_a", to: "system_b", port: portB)

                // A genuine frame is answered with a pong.
                let genuine = try raw.ping()
                #expect(try await raw.send(genuine.encode()).type == .pong)
                // The same bytes again: a replay.
                #expect(RawPeer.errorCode(try await raw.send(genuine.encode())) == "replayed")

                // The body altered after signing.
                let signed = try raw.ping()
                let altered = try Envelope(
                    version: signed.version, type: signed.type, sender: signed.sender, nonce: signed.nonce,
                    sentAt: signed.sentAt, body: try PingBody(payload: "changed").encodedBody(),
                    signature: signed.signature)
                #expect(RawPeer.errorCode(try await raw.send(altered.encode())) == "invalid_signature")
                // Signed by a key that is not the pinned one.
                let wrongKey = try raw.ping(signer: Curve25519.Signing.PrivateKey())
                #expect(RawPeer.errorCode(try await raw.send(wrongKey.encode())) == "invalid_signature")
                // An hour old.
                let stale = try raw.ping(sentAt: Timestamp.now().advanced(by: .seconds(-3600)))
                #expect(RawPeer.errorCode(try await raw.send(stale.encode())) == "stale")
                // A type this node does not act on.
                let unknown = try raw.ping(type: MessageType(rawValue: "teleport"))
                #expect(RawPeer.errorCode(try await raw.send(unknown.encode())) == "unknown_type")

                let seen = try await clientB.peer("system_a")
                #expect(seen.badMessages >= 4)
                let effective = try #require(Double(seen.effectiveTrust))
                #expect(effective < 0.8)
                // The node goes on serving: a genuine ping from system_a's node still works.
                #expect(try await clientA.ping(peer: "system_b").systemID == "system_b")
                await raw.dialer.shutdown()
            }
        }
    }

    @Test func impostersAndStrangersAreRefused() async throws {
        try await TestNode.withFederated("system_b") { clientB, _, portB in
            try await DevelopmentFederation.register("system_a", port: 1, with: clientB)
            // system_c has a valid certificate but is not in system_b's registry.
            var stranger = try RawPeer("system_c", to: "system_b", port: portB)
            #expect(RawPeer.errorCode(try await stranger.send(try stranger.ping().encode())) == "unknown_peer")
            await stranger.dialer.shutdown()

            // system_c's channel, claiming to be system_a and signing with system_a's key.
            var imposter = try RawPeer("system_c", to: "system_b", port: portB)
            let claim = try imposter.ping(sender: "system_a", signer: RawPeer.signingKey(of: "system_a"))
            #expect(RawPeer.errorCode(try await imposter.send(claim.encode())) == "identity_mismatch")
            await imposter.dialer.shutdown()

            // Garbage inside an authenticated channel.
            let raw = try RawPeer("system_a", to: "system_b", port: portB)
            #expect(RawPeer.errorCode(try await raw.send(Array("not an envelope".utf8))) == "malformed")
            await raw.dialer.shutdown()
            let seen = try await clientB.peer("system_a")
            #expect(seen.badMessages == 1)
            #expect(seen.effectiveTrust == "0.7500")
        }
    }

    @Test func peerRegistryThroughTheAPI() async throws {
        try await TestNode.withFederated("system_a") { client, _, _ in
            let key = try DevelopmentFederation.publicKey(of: "system_b")
            let added = try await client.addPeer(
                PeerRequest(systemID: "system_b", address: "127.0.0.1:9", trustLevel: "0.8", publicKey: key))
            #expect(added.trustLevel == "0.8000" && added.effectiveTrust == "0.8000" && added.source == "api")
            #expect(added.publicKey == key)
            #expect(try await client.peers().peers.map(\.systemID) == ["system_b"])
            #expect(try await client.peer("system_b") == added)

            let invalid: [PeerRequest] = [
                PeerRequest(systemID: "system b", address: "127.0.0.1:9", trustLevel: "0.5", publicKey: key),
                PeerRequest(systemID: "system_c", address: "nowhere", trustLevel: "0.5", publicKey: key),
                PeerRequest(systemID: "system_c", address: "127.0.0.1:9", trustLevel: "1.5", publicKey: key),
                PeerRequest(systemID: "system_c", address: "127.0.0.1:9", trustLevel: "-0.1", publicKey: key),
                PeerRequest(systemID: "system_c", address: "127.0.0.1:9", trustLevel: "0.5", publicKey: "bm90IGEga2V5"),
            ]
            for request in invalid {
                let error = await #expect(throws: APIClientError.self) { _ = try await client.addPeer(request) }
                #expect(error?.code == "invalid_request", "\(request)")
            }
            // Nobody listens on port 9: unreachable, and the peer stays registered.
            let unreachable = await #expect(throws: APIClientError.self) { _ = try await client.ping(peer: "system_b") }
            #expect(unreachable?.code == "peer_unreachable")

            try await client.removePeer("system_b")
            for call in [0, 1, 2] {
                let error = await #expect(throws: APIClientError.self) {
                    switch call {
                    case 0: _ = try await client.peer("system_b")
                    case 1: try await client.removePeer("system_b")
                    default: _ = try await client.ping(peer: "system_b")
                    }
                }
                #expect(error?.code == "unknown_peer")
            }
        }
    }

    @Test func aNodeWithoutFederationSaysSo() async throws {
        try await TestNode.with { client, _ in
            let error = await #expect(throws: APIClientError.self) { _ = try await client.peers() }
            #expect(error?.code == "federation_disabled")
        }
    }
}
