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

/// A peer's trust over time: the level the operator configured, the effective level after the
/// peer's behaviour, and counts of good and bad messages.
///
/// Pure value transitions; the node stores the result. The effective level:
/// - falls by the offense's penalty on every bad message (``recordInvalid(_:)``), down to 0;
/// - recovers by ``recoveryPerGoodMessage`` (0.01) on every good one (``recordGood()``), so a
///   peer that lost 0.2 to a bad signature needs 20 good messages to earn it back;
/// - never exceeds the configured level.
public struct TrustState: Sendable, Hashable {
    /// Basis points recovered per good message (0.01).
    public static let recoveryPerGoodMessage = 100

    /// The level the operator set: the ceiling of ``effective``.
    public private(set) var configured: TrustLevel
    /// The level the node acts on (credit limits, gossip weighting), at most ``configured``.
    public private(set) var effective: TrustLevel
    /// Messages from the peer that verified and were processed (saturates at `Int.max`).
    public private(set) var goodMessages: Int
    /// Messages from the peer that were refused for an offense (saturates at `Int.max`).
    public private(set) var badMessages: Int

    /// A new peer's trust: effective equals configured, no history.
    public init(configured: TrustLevel) {
        self.init(configured: configured, effective: configured, goodMessages: 0, badMessages: 0)
    }

    /// Trust restored from storage. `effective` is clamped to `configured` and negative counts to
    /// zero, so a hand-edited row cannot break the invariants.
    public init(configured: TrustLevel, effective: TrustLevel, goodMessages: Int, badMessages: Int) {
        self.configured = configured
        self.effective = min(effective, configured)
        self.goodMessages = max(goodMessages, 0)
        self.badMessages = max(badMessages, 0)
    }

    /// A message from the peer verified and was processed: effective trust recovers a little.
    public mutating func recordGood() {
        goodMessages = goodMessages == .max ? .max : goodMessages + 1
        let recovered = min(effective.basisPoints + TrustState.recoveryPerGoodMessage, configured.basisPoints)
        effective = TrustLevel(clampingBasisPoints: recovered)
    }

    /// The peer committed `offense`: effective trust falls by its penalty, not below zero.
    public mutating func recordInvalid(_ offense: TrustOffense) {
        badMessages = badMessages == .max ? .max : badMessages + 1
        effective = TrustLevel(clampingBasisPoints: effective.basisPoints - offense.penaltyBasisPoints)
    }

    /// The operator changed the configured level.
    ///
    /// Lowering it clamps the effective level to the new ceiling. Raising it raises the effective
    /// level by the same step, so a peer keeps the deficit it earned by misbehaving (and one
    /// without a deficit goes straight to the new level) instead of having it wiped or doubled.
    public mutating func reconfigure(_ newConfigured: TrustLevel) {
        if newConfigured < configured {
            effective = min(effective, newConfigured)
        } else {
            let step = newConfigured.basisPoints - configured.basisPoints
            effective = TrustLevel(clampingBasisPoints: min(effective.basisPoints + step, newConfigured.basisPoints))
        }
        configured = newConfigured
    }
}
