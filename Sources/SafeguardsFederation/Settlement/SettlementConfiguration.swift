import SafeguardsCore

/// What one node's settlement machine enforces as a giver and how it retries as a requester.
public struct SettlementConfiguration: Sendable, Hashable {
    /// This node.
    public var me: SystemID
    /// What this node offers each peer before trust: the credit line limit is offer × trust.
    /// A peer with no offer is ``SettlementRejectReason/unknownPeer``.
    public var offers: [SystemID: Amount]
    /// What each peer told us it grants (informational on the requester side; the giver decides).
    public var grants: [SystemID: Amount]
    /// Peers trusted less than this may draw nothing (``SettlementRejectReason/trustTooLow``).
    public var minimumTrust: TrustLevel
    /// The largest single transfer this node gives (``SettlementRejectReason/overRequestCap``).
    public var perRequestCap: Amount
    /// How many new transfer requests each peer may have decided per window.
    public var rateLimit: RateLimitPolicy
    /// When pending requests are sent again.
    public var retry: RetryPolicy
    /// The largest metadata map a request may carry, in bytes of compact JSON (``MetadataSize``);
    /// larger ones are ``SettlementRejectReason/metadataTooLarge``.
    public var maxMetadataBytes: Int
    /// How many refusals this node remembers per peer (at least 1); past that it forgets the
    /// oldest under a horizon (``ForgottenRefusals``).
    public var refusalsKeptPerPeer: Int

    /// A configuration with every field.
    public init(
        me: SystemID, offers: [SystemID: Amount], grants: [SystemID: Amount] = [:], minimumTrust: TrustLevel,
        perRequestCap: Amount, rateLimit: RateLimitPolicy = RateLimitPolicy(),
        retry: RetryPolicy = RetryPolicy(), maxMetadataBytes: Int = MetadataSize.defaultLimit,
        refusalsKeptPerPeer: Int = 1000
    ) {
        self.me = me
        self.offers = offers
        self.grants = grants
        self.minimumTrust = minimumTrust
        self.perRequestCap = perRequestCap
        self.rateLimit = rateLimit
        self.retry = retry
        self.maxMetadataBytes = maxMetadataBytes
        self.refusalsKeptPerPeer = max(1, refusalsKeptPerPeer)
    }
}

/// A fixed-window rate limit per peer: at most ``maximumRequests`` new transfer requests are
/// decided per window; the window starts at the first request after the previous one ended.
///
/// Fixed window rather than a token bucket: it needs no fractional tokens (so no floating point),
/// and its worst case (twice the limit across a window edge) is acceptable for a guard whose job
/// is to stop a runaway peer, not to shape traffic. Repeats of a decided id never count.
public struct RateLimitPolicy: Sendable, Hashable {
    /// Requests admitted per window per peer.
    public var maximumRequests: Int
    /// The window's length.
    public var window: Duration

    /// A limit of `maximumRequests` per `window`.
    public init(maximumRequests: Int = 100, window: Duration = .seconds(1)) {
        self.maximumRequests = maximumRequests
        self.window = window
    }
}

/// Exponential backoff for pending requests: the n-th retry waits `initial × 2^(n-1)`, at most
/// `maximum`. No jitter: retries go to one giver per id, so there is no herd to spread, and the
/// machine stays free of randomness.
public struct RetryPolicy: Sendable, Hashable {
    /// The wait after the first send.
    public var initial: Duration
    /// The longest wait between two sends.
    public var maximum: Duration

    /// A policy with the given waits.
    public init(initial: Duration = .milliseconds(200), maximum: Duration = .seconds(10)) {
        self.initial = initial
        self.maximum = maximum
    }

    /// The wait after send number `attempt` (1 for the first send).
    public func delay(afterAttempt attempt: Int) -> Duration {
        var delay = initial
        var step = 1
        while step < attempt && delay < maximum {
            delay *= 2
            step += 1
        }
        return min(delay, maximum)
    }
}
