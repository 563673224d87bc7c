import Crypto
import Logging
import SafeguardsCore
import SafeguardsFederation
import SafeguardsTransport
import Synchronization

extension SafeguardsError.Code {
    /// The peer is not in this node's registry.
    public static let unknownPeer = Self(rawValue: "unknown_peer")
    /// The peer could not be reached, or the channel to it failed.
    public static let peerUnreachable = Self(rawValue: "peer_unreachable")
    /// The peer answered with an error, or with something that did not verify.
    public static let peerRefused = Self(rawValue: "peer_refused")
    /// This node has no federation section in its config.
    public static let federationDisabled = Self(rawValue: "federation_disabled")
}

/// The outcome of a ping round trip.
public struct PingResult: Sendable {
    public let peer: SystemID
    public let roundTrip: Duration
    public let effectiveTrust: TrustLevel
}

/// This node's side of the federation protocol: verifies every frame that arrives (TLS identity,
/// pinned key, replay window), answers it with a signed envelope, and keeps peers' trust up to
/// date; and sends signed requests to peers. The transport below it only carries bytes.
public actor FederationNode: FrameResponder {
    public let systemID: SystemID
    public let registry: PeerRegistry
    private let signingKey: Curve25519.Signing.PrivateKey
    private let dialer: PeerDialer
    private let verifier = EnvelopeVerifier(
        knownTypes: MessageType.known.union(MessageType.settlement).union(MessageType.gossip)
            .union([.allocationProposal, .allocationGrant]))
    private var replayGuard: ReplayGuard
    private let now: @Sendable () -> Timestamp
    private let logger: Logger
    private var random = SystemRandomNumberGenerator()

    public init(
        systemID: SystemID, signingKey: Curve25519.Signing.PrivateKey, registry: PeerRegistry, dialer: PeerDialer,
        replayWindow: Duration, now: @escaping @Sendable () -> Timestamp, logger: Logger
    ) {
        self.systemID = systemID
        self.signingKey = signingKey
        self.registry = registry
        self.dialer = dialer
        self.replayGuard = ReplayGuard(configuration: .init(window: replayWindow))
        self.now = now
        self.logger = logger
    }

    // MARK: Answering peers

    public func respond(to frame: IncomingFrame) async -> FrameReply {
        let time = now()
        let keyInfo = await keyInfo(for: frame.peer)
        switch verifier.decodeAndVerify(
            frame.payload, channelIdentity: frame.peer, peer: keyInfo, guard: &replayGuard, now: time)
        {
        case .failure(let rejection):
            var charged = 0
            if let offense = rejection.offense {
                charged = await registry.recordOffense(frame.peer, offense, connection: frame.connection, now: time)
            }
            logger.warning(
                "refused a federation frame",
                metadata: ["peer.system_id": "\(frame.peer)", "reject.code": "\(rejection.code)",
                    "reason": "\(rejection.reason)", "connection.id": "\(frame.connection)",
                    "trust.charged_basis_points": "\(charged)"])
            let answer = signed(rejection.errorBody)
            switch rejection.code {
            case .unknownPeer, .identityMismatch, .malformed: return answer.map(FrameReply.replyAndClose) ?? .close
            default: return answer.map(FrameReply.reply) ?? .close
            }
        case .success(let envelope):
            await registry.recordGood(frame.peer, now: time)
            return await handle(envelope, from: frame.peer)
        }
    }

    /// A connection that broke the framing is closed, so this costs once per connection.
    public func connectionFailed(peer: SystemID?, reason: String) async {
        guard let peer else { return }
        await registry.recordOffense(peer, .malformed, now: now())
    }

    /// Where settlement and allocation messages go (set once, while the node is assembled). Held
    /// weakly: the service holds this node, and the node's owner holds both.
    private nonisolated let settlementSlot = Mutex(WeakSlot<SettlementService>())

    nonisolated func attach(_ settlement: SettlementService) {
        settlementSlot.withLock { $0.value = settlement }
    }

    /// Where gossip messages go (held weakly, as settlement is).
    private nonisolated let gossipSlot = Mutex(WeakSlot<GossipService>())

    nonisolated func attach(_ gossip: GossipService) {
        gossipSlot.withLock { $0.value = gossip }
    }

    private func handle(_ envelope: Envelope, from peer: SystemID) async -> FrameReply {
        if MessageType.gossip.contains(envelope.type) {
            guard let gossip = gossipSlot.withLock({ $0.value }) else {
                return reply(ErrorBody(code: .unknownType, message: "this node does not gossip"))
            }
            return reply(await gossip.handle(envelope, from: peer))
        }
        if MessageType.settlement.contains(envelope.type) || envelope.type == .allocationProposal {
            guard let settlement = settlementSlot.withLock({ $0.value }) else {
                return reply(ErrorBody(code: .unknownType, message: "this node does not settle budget"))
            }
            guard let answer = await settlement.handle(envelope, from: peer) else {
                return reply(ErrorBody(code: .unavailable, message: "the message could not be acted on; ask again"))
            }
            return reply(answer)
        }
        switch envelope.type {
        case .ping:
            guard let ping = try? PingBody(decodingBody: envelope.body) else {
                return reply(ErrorBody(code: .malformed, message: "a ping body is {\"payload\": string}"))
            }
            return reply(ping.pong)
        default:
            return reply(ErrorBody(code: .unknownType, message: "this node does not act on \(envelope.type)"))
        }
    }

    /// `body` signed as the answer on the connection (which closes when it cannot be signed).
    private func reply(_ body: any MessageBody) -> FrameReply {
        signed(body).map(FrameReply.reply) ?? .close
    }

    // MARK: Asking peers

    /// Sends a signed ping to `peer` and verifies its signed pong.
    public func ping(_ peer: SystemID) async throws(SafeguardsError) -> PingResult {
        let payload = String(random.next() as UInt64, radix: 16)
        let start = ContinuousClock.now
        let answer = try await exchange(PingBody(payload: payload), with: peer)
        let roundTrip = ContinuousClock.now - start
        guard answer.type == .pong, let pong = try? PongBody(decodingBody: answer.body), pong.answers(PingBody(payload: payload))
        else {
            await registry.recordOffense(peer, .malformed, now: now())
            throw SafeguardsError(.peerRefused, "peer \(peer) did not answer the ping with its pong")
        }
        let trust = await registry.effectiveTrust(of: peer, now: now())
        return PingResult(peer: peer, roundTrip: roundTrip, effectiveTrust: trust)
    }

    /// Sends `body` signed to `peer` and returns its verified answer (an error answer throws).
    /// With a `deadline`, gives up (`peer_unreachable`) when no answer came by then, including
    /// while the dialer backs off from the peer.
    func exchange(
        _ body: any MessageBody, with peer: SystemID, deadline: ContinuousClock.Instant? = nil
    ) async throws(SafeguardsError) -> Envelope {
        let record = try await registry.registered(peer)
        guard let key = record.signingKey else {
            throw SafeguardsError(.unknownPeer, "peer \(peer) has no pinned signing key")
        }
        let keyInfo = PeerKeyInfo(systemID: peer, publicKey: key)
        guard let address = HostPort(parsing: record.address) else {
            throw .invalidRequest("peer \(peer) has no usable address '\(record.address)'")
        }
        guard let request = signed(body) else { throw .invalidRequest("the message could not be signed") }
        let answer: PeerDialer.Answer
        do {
            answer = try await dialer.send(
                request, to: peer, host: address.host, port: address.port, deadline: deadline)
        } catch {
            throw SafeguardsError(.peerUnreachable, "cannot reach \(peer) at \(record.address): \(error)")
        }
        let time = now()
        switch verifier.decodeAndVerify(
            answer.payload, channelIdentity: peer, peer: keyInfo, guard: &replayGuard, now: time)
        {
        case .failure(let rejection):
            if let offense = rejection.offense {
                await registry.recordOffense(peer, offense, connection: answer.connection, now: time)
            }
            throw SafeguardsError(.peerRefused, "the answer of \(peer) was refused: \(rejection)")
        case .success(let envelope):
            await registry.recordGood(peer, now: time)
            if envelope.type == .error {
                let error = try? ErrorBody(decodingBody: envelope.body)
                throw SafeguardsError(
                    .peerRefused, "\(peer) refused: \(error.map { "\($0.code): \($0.message)" } ?? "unreadable error")")
            }
            return envelope
        }
    }

    /// Closes every outgoing connection and stops every dial: the requests waiting on them fail at
    /// once, and later ones fail too (the node is shutting down). Frames from peers are still
    /// answered until the listener stops.
    public func closeOutgoing() async {
        await dialer.shutdown()
    }

    /// Closes every outgoing connection and writes what the registry still holds in memory.
    public func shutdown() async {
        await closeOutgoing()
        await registry.flush()
    }

    private func keyInfo(for peer: SystemID) async -> PeerKeyInfo? {
        guard let record = await registry.peer(peer), let key = record.signingKey else { return nil }
        return PeerKeyInfo(systemID: peer, publicKey: key)
    }

    private func signed(_ body: any MessageBody) -> [UInt8]? {
        guard let bytes = try? body.encodedBody(),
            let envelope = try? Envelope.sign(
                type: type(of: body).messageType, sender: systemID, body: bytes, now: now(),
                nonceGenerator: &random, key: signingKey)
        else { return nil }
        return envelope.encode()
    }
}

/// A weak reference to an object, as a value a `Mutex` can hold.
struct WeakSlot<Object: AnyObject & Sendable>: Sendable {
    weak var value: Object?
}
