import Crypto
import SafeguardsCore
import SafeguardsFederation
import SafeguardsTestKit
import Testing

@Suite("Envelope verifier")
struct EnvelopeVerifierTests {
    let verifier = EnvelopeVerifier()
    let now = Fixtures.now

    func verify(
        _ envelope: Envelope, channel: SystemID = Fixtures.systemA, peer: PeerKeyInfo?, replayGuard: inout ReplayGuard,
        at time: Timestamp? = nil
    ) -> VerificationResult {
        verifier.verify(envelope, channelIdentity: channel, peer: peer, guard: &replayGuard, now: time ?? now)
    }

    @Test("an authentic, fresh ping from the channel's peer is accepted and its nonce remembered")
    func authenticPingIsAccepted() throws {
        var replayGuard = ReplayGuard()
        let envelope = try Fixtures.signedPing()
        #expect(verify(envelope, peer: try Fixtures.peerA(), replayGuard: &replayGuard) == .accepted)
        #expect(replayGuard.remembers(nonce: envelope.nonce, from: Fixtures.systemA))
    }

    @Test("an unsupported version is refused first, before anything is remembered")
    func unsupportedVersionIsRefusedFirst() throws {
        var replayGuard = ReplayGuard()
        // Also from the wrong channel and badly signed: the version check still comes first.
        let envelope = try Fixtures.altered(Fixtures.signedPing(), version: 7)
        let result = verify(envelope, channel: Fixtures.systemB, peer: nil, replayGuard: &replayGuard)
        #expect(result.rejection?.code == .unsupportedVersion)
        #expect(result.rejection?.offense == nil)
        #expect(replayGuard.rememberedNonceCount == 0)
    }

    @Test("a sender other than the TLS identity is an identity mismatch, whatever the signature")
    func senderMustMatchChannel() throws {
        var replayGuard = ReplayGuard()
        // system_b's channel carries an envelope validly signed by system_a.
        let result = verify(
            try Fixtures.signedPing(), channel: Fixtures.systemB, peer: try Fixtures.peerA(), replayGuard: &replayGuard)
        #expect(result.rejection?.code == .identityMismatch)
        #expect(result.rejection?.offense == .impersonation)
        #expect(replayGuard.rememberedNonceCount == 0)
    }

    @Test("a channel peer that is not in the registry is an unknown peer")
    func unknownPeerIsRefused() throws {
        var replayGuard = ReplayGuard()
        let result = verify(try Fixtures.signedPing(), peer: nil, replayGuard: &replayGuard)
        #expect(result.rejection?.code == .unknownPeer)
        #expect(replayGuard.rememberedNonceCount == 0)
    }

    @Test("a peer record for another system is an identity mismatch")
    func peerRecordMustMatchSender() throws {
        var replayGuard = ReplayGuard()
        let otherRecord = PeerKeyInfo(systemID: Fixtures.systemB, publicKey: try Fixtures.keyA().publicKey)
        let result = verify(try Fixtures.signedPing(), peer: otherRecord, replayGuard: &replayGuard)
        #expect(result.rejection?.code == .identityMismatch)
    }

    @Test("a forged frame is refused as invalid_signature and does not record its nonce")
    func forgedFrameDoesNotPoisonTheWindow() throws {
        var replayGuard = ReplayGuard()
        let genuine = try Fixtures.signedPing(seed: 5)
        // The attacker guesses (or copies) the nonce system_a will use and signs with its own key.
        let forged = try Fixtures.signedPing(key: Fixtures.attackerKey(), seed: 5)
        #expect(forged.nonce == genuine.nonce)
        let result = verify(forged, peer: try Fixtures.peerA(), replayGuard: &replayGuard)
        #expect(result.rejection?.code == .invalidSignature)
        #expect(result.rejection?.offense == .invalidSignature)
        #expect(!replayGuard.remembers(nonce: forged.nonce, from: Fixtures.systemA))
        #expect(verify(genuine, peer: try Fixtures.peerA(), replayGuard: &replayGuard) == .accepted)
    }

    @Test("an altered body is refused as invalid_signature")
    func alteredBodyIsRefused() throws {
        var replayGuard = ReplayGuard()
        let envelope = try Fixtures.signedPing(payload: "100")
        let altered = try Fixtures.altered(envelope, body: PingBody(payload: "900").encodedBody())
        #expect(
            verify(altered, peer: try Fixtures.peerA(), replayGuard: &replayGuard).rejection?.code == .invalidSignature)
    }

    @Test("the signature is checked before freshness: a forged stale frame is a forgery")
    func signatureBeforeFreshness() throws {
        var replayGuard = ReplayGuard()
        let forgedStale = try Fixtures.signedPing(
            sentAt: now.advanced(by: .seconds(-3_600)), key: Fixtures.attackerKey())
        let result = verify(forgedStale, peer: try Fixtures.peerA(), replayGuard: &replayGuard)
        #expect(result.rejection?.code == .invalidSignature)
    }

    @Test("a replayed frame is refused as replayed, a stale one as stale")
    func replayAndStaleAreRefused() throws {
        var replayGuard = ReplayGuard()
        let peer = try Fixtures.peerA()
        let envelope = try Fixtures.signedPing()
        #expect(verify(envelope, peer: peer, replayGuard: &replayGuard) == .accepted)
        let replay = verify(envelope, peer: peer, replayGuard: &replayGuard, at: now.advanced(by: .seconds(10)))
        #expect(replay.rejection?.code == .replayed)
        #expect(replay.rejection?.offense == .replayed)
        let stale = try Fixtures.signedPing(sentAt: now.advanced(by: .seconds(-301)), seed: 2)
        #expect(verify(stale, peer: peer, replayGuard: &replayGuard).rejection?.code == .stale)
        let future = try Fixtures.signedPing(sentAt: now.advanced(by: .seconds(31)), seed: 3)
        #expect(verify(future, peer: peer, replayGuard: &replayGuard).rejection?.code == .stale)
        #expect(replayGuard.rememberedNonceCount == 1)
    }

    @Test("an authentic frame of an unknown type is refused last, and its nonce is used up")
    func unknownTypeIsRefusedAfterReplayCheck() throws {
        var replayGuard = ReplayGuard()
        let peer = try Fixtures.peerA()
        let envelope = try Fixtures.signedPing(type: MessageType(rawValue: "transfer_request_v9"))
        let first = verify(envelope, peer: peer, replayGuard: &replayGuard)
        #expect(first.rejection?.code == .unknownType)
        #expect(first.rejection?.offense == nil)
        #expect(verify(envelope, peer: peer, replayGuard: &replayGuard).rejection?.code == .replayed)
    }

    @Test("a verifier that knows more types and versions accepts them")
    func configurableTypesAndVersions() throws {
        var replayGuard = ReplayGuard()
        let custom = MessageType(rawValue: "gossip_digest")
        let verifier = EnvelopeVerifier(supportedVersions: [1, 2], knownTypes: MessageType.known.union([custom]))
        let envelope = try Fixtures.signedPing(type: custom)
        let result = verifier.verify(
            envelope, channelIdentity: Fixtures.systemA, peer: try Fixtures.peerA(), guard: &replayGuard, now: now)
        #expect(result.isAccepted)
    }

    @Test("decodeAndVerify answers undecodable bytes with malformed and decodes the rest")
    func decodeAndVerify() throws {
        var replayGuard = ReplayGuard()
        let peer = try Fixtures.peerA()
        let garbage = verifier.decodeAndVerify(
            [1, 2, 3], channelIdentity: Fixtures.systemA, peer: peer, guard: &replayGuard, now: now)
        guard case .failure(let rejection) = garbage else {
            Issue.record("garbage was accepted")
            return
        }
        #expect(rejection.code == .malformed)
        #expect(rejection.offense == .malformed)
        #expect(rejection.errorBody.code == .malformed)
        let envelope = try Fixtures.signedPing()
        let decoded = verifier.decodeAndVerify(
            envelope.encode(), channelIdentity: Fixtures.systemA, peer: peer, guard: &replayGuard, now: now)
        #expect(try decoded.get() == envelope)
    }
}
