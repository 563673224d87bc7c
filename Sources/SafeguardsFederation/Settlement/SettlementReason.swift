/// Whether a giver accepted a transfer or a return.
public enum SettlementStatus: String, Sendable, Hashable, Codable {
    /// The giver moved the budget durably under the transaction id.
    case accepted
    /// The giver moved nothing; the receipt says why.
    case rejected
}

/// Why a giver rejected a transfer or a return. Every rejection moves nothing.
///
/// Open like a string (as ``RejectCode`` is) so a receipt from a newer peer with a reason this
/// version does not know still decodes.
public struct SettlementRejectReason: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
    /// The reason as it appears on the wire.
    public let rawValue: String

    /// Wraps a reason name.
    public init(rawValue: String) {
        self.rawValue = rawValue
    }

    /// The credit line left for this peer is smaller than the amount.
    public static let insufficientCredit = SettlementRejectReason(rawValue: "insufficient_credit")
    /// The peer's trust is below the giver's minimum for remote requests.
    public static let trustTooLow = SettlementRejectReason(rawValue: "trust_too_low")
    /// The peer asked more often than the giver's per-peer rate limit allows.
    public static let rateLimited = SettlementRejectReason(rawValue: "rate_limited")
    /// The giver offers this peer nothing (no credit line is configured for it).
    public static let unknownPeer = SettlementRejectReason(rawValue: "unknown_peer")
    /// The envelope's signature did not verify (decided by the shell, never by the machine).
    public static let invalidSignature = SettlementRejectReason(rawValue: "invalid_signature")
    /// The amount is above the giver's per-request cap.
    public static let overRequestCap = SettlementRejectReason(rawValue: "over_request_cap")
    /// The id is already decided for a request with other fields. Not stored: it changes nothing,
    /// and it says nothing about the request that first used the id.
    public static let conflict = SettlementRejectReason(rawValue: "conflict")
    /// The amount is zero or negative. Extension to the list: such a request cannot be met.
    public static let invalidAmount = SettlementRejectReason(rawValue: "invalid_amount")
    /// The body names a requester or giver other than the authenticated peer and this node. Not stored.
    public static let misaddressed = SettlementRejectReason(rawValue: "misaddressed")
    /// A return larger than what the peer has drawn and not yet returned.
    public static let exceedsDrawn = SettlementRejectReason(rawValue: "exceeds_drawn")
    /// The request's metadata is larger than the giver's `max_metadata_bytes` (as compact JSON).
    public static let metadataTooLarge = SettlementRejectReason(rawValue: "metadata_too_large")
    /// The id is unknown to the giver and the request was created at or before the horizon under
    /// which the giver forgot that peer's oldest refusals: it may have been refused and forgotten,
    /// so it is refused again, and will be forever. Not stored: the horizon only grows, so the
    /// answer cannot change.
    public static let expired = SettlementRejectReason(rawValue: "expired")

    /// Whether the giver stores a decision with this reason as final for the id. ``conflict`` and
    /// ``misaddressed`` answer a message that does not belong to the id, so they are never stored,
    /// and a requester never settles its own transfer on them.
    public var isFinalForTransaction: Bool {
        self != .conflict && self != .misaddressed && self != .invalidSignature
    }

    public var description: String { rawValue }
}
