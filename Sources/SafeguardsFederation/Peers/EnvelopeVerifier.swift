import SafeguardsCore

/// The outcome of checking one envelope.
public enum VerificationResult: Sendable, Hashable {
    /// Authentic, fresh, of a supported version and a known type: act on it.
    case accepted
    /// Refused; answer with `rejection.errorBody` and lower the channel peer's trust by `rejection.offense`.
    case rejected(EnvelopeRejection)

    /// Whether the envelope was accepted.
    public var isAccepted: Bool {
        if case .accepted = self { return true }
        return false
    }

    /// The rejection, or `nil` when accepted.
    public var rejection: EnvelopeRejection? {
        if case .rejected(let rejection) = self { return rejection }
        return nil
    }
}

/// Decides whether an envelope that arrived on a TLS channel is authentic, fresh and meant for us.
///
/// Checks run in a fixed order, and each one only after the ones before it passed:
///
/// 1. **version** supported (`unsupported_version`): nothing else of a newer protocol is read;
/// 2. **sender = channel identity** (`identity_mismatch`): the TLS peer certificate, not a
///    field in the message, says who is talking (DESIGN.md section 9);
/// 3. **peer known** (`unknown_peer`) and **sender = peer record** (`identity_mismatch`);
/// 4. **signature** with the pinned key (`invalid_signature`);
/// 5. **replay and staleness** (`replayed`, `stale`): the nonce is remembered only here, after
///    the signature checked out, so a forged frame cannot plant nonces that would make an honest
///    sender's later frames look like replays;
/// 6. **type** known (`unknown_type`): last, so an authentic frame of a type we do not act on
///    still uses up its nonce and cannot be replayed once a later version learns the type.
public struct EnvelopeVerifier: Sendable {
    /// Protocol versions this node accepts.
    public var supportedVersions: Set<UInt16>
    /// Message types this node acts on.
    public var knownTypes: Set<MessageType>

    /// A verifier for the given versions and types (by default this build's).
    public init(
        supportedVersions: Set<UInt16> = [Envelope.currentVersion], knownTypes: Set<MessageType> = MessageType.known
    ) {
        self.supportedVersions = supportedVersions
        self.knownTypes = knownTypes
    }

    /// Checks `envelope` in the order described on the type.
    ///
    /// - Parameters:
    ///   - channelIdentity: the system id named by the verified TLS peer certificate.
    ///   - peer: the registry record for `channelIdentity`, or `nil` when it has none.
    ///   - replayGuard: remembers the nonce when the envelope gets past the signature check.
    ///   - now: the receiver's current time.
    public func verify(
        _ envelope: Envelope, channelIdentity: SystemID, peer: PeerKeyInfo?, guard replayGuard: inout ReplayGuard,
        now: Timestamp
    ) -> VerificationResult {
        guard supportedVersions.contains(envelope.version) else {
            let supported = supportedVersions.sorted().map(String.init).joined(separator: ", ")
            return reject(.unsupportedVersion, "protocol version \(envelope.version) is not supported (\(supported))")
        }
        guard envelope.sender == channelIdentity else {
            return reject(
                .identityMismatch,
                "envelope names sender \(envelope.sender) but the channel is authenticated as \(channelIdentity)")
        }
        guard let peer else {
            return reject(.unknownPeer, "\(envelope.sender) is not a registered peer")
        }
        guard envelope.sender == peer.systemID else {
            return reject(
                .identityMismatch, "envelope names sender \(envelope.sender) but the peer record is \(peer.systemID)")
        }
        guard envelope.verifySignature(with: peer.publicKey) else {
            return reject(.invalidSignature, "signature does not verify with the pinned key of \(peer.systemID)")
        }
        do {
            try replayGuard.admit(
                sender: envelope.sender, nonce: envelope.nonce, sentAt: envelope.sentAt, now: now)
        } catch {
            return .rejected(EnvelopeRejection(error))
        }
        guard knownTypes.contains(envelope.type) else {
            return reject(.unknownType, "message type '\(envelope.type.rawValue)' is not known")
        }
        return .accepted
    }

    /// Decodes `bytes` (one frame's payload) and checks the envelope like
    /// ``verify(_:channelIdentity:peer:guard:now:)``; bytes that do not decode are `malformed`.
    public func decodeAndVerify(
        _ bytes: [UInt8], channelIdentity: SystemID, peer: PeerKeyInfo?, guard replayGuard: inout ReplayGuard,
        now: Timestamp
    ) -> Result<Envelope, EnvelopeRejection> {
        let envelope: Envelope
        do {
            envelope = try Envelope.decode(bytes)
        } catch {
            return .failure(EnvelopeRejection(error))
        }
        switch verify(envelope, channelIdentity: channelIdentity, peer: peer, guard: &replayGuard, now: now) {
        case .accepted: return .success(envelope)
        case .rejected(let rejection): return .failure(rejection)
        }
    }

    private func reject(_ code: RejectCode, _ reason: String) -> VerificationResult {
        .rejected(EnvelopeRejection(code: code, reason: reason))
    }
}
