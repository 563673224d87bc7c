/// What a peer did that costs it trust, and how much.
public enum TrustOffense: String, Sendable, Hashable, CaseIterable, Codable, CustomStringConvertible {
    /// A frame whose signature did not verify with the peer's pinned key.
    case invalidSignature = "invalid_signature"
    /// A frame claiming to come from another system than the peer's TLS identity.
    case impersonation
    /// A promise not kept: a granted credit line or an accepted settlement the peer went back on.
    case failedPromise = "failed_promise"
    /// A frame, envelope or body that did not parse.
    case malformed
    /// A nonce the peer already used within the replay window.
    case replayed
    /// A send time outside the window (often a skewed clock rather than malice, hence the small cost).
    case stale

    /// The trust this offense costs, in basis points (2,000 = 0.2).
    public var penaltyBasisPoints: Int {
        switch self {
        case .invalidSignature, .impersonation: return 2_000
        case .failedPromise: return 1_000
        case .malformed, .replayed: return 500
        case .stale: return 200
        }
    }

    /// The offense behind a refusal with `code`, or `nil` when the refusal costs no trust:
    /// `unknown_type` and `unsupported_version` come from a newer peer, not a misbehaving one,
    /// and `unknown_peer` names no peer whose trust could fall.
    public init?(rejectCode code: RejectCode) {
        switch code {
        case .invalidSignature: self = .invalidSignature
        case .identityMismatch: self = .impersonation
        case .malformed: self = .malformed
        case .replayed: self = .replayed
        case .stale: self = .stale
        default: return nil
        }
    }

    public var description: String { rawValue }
}
