import SafeguardsCore

/// A credit line this node gives one peer: what the peer has drawn and not returned.
///
/// The limit is not stored: it is offer × the peer's trust at the moment of each decision, so a
/// trust drop takes effect at once (``used`` may then exceed the new limit; nothing more is given).
public struct CreditLine: Sendable, Hashable {
    /// The configured offer before trust.
    public var offer: Amount
    /// Accepted transfers minus accepted returns.
    public var used: Amount

    /// A line with nothing used.
    public init(offer: Amount, used: Amount = .zero) {
        self.offer = offer
        self.used = used
    }

    /// offer × trust.
    ///
    /// - Throws: ``AmountError/overflow`` (not for offers within the representable range).
    public func limit(at trust: TrustLevel) throws(AmountError) -> Amount {
        try trust.applied(to: offer)
    }

    /// What the peer may still draw at `trust`; negative when trust fell below what is used.
    public func remaining(at trust: TrustLevel) throws(AmountError) -> Amount {
        try limit(at: trust).subtracting(used)
    }
}

/// Credit this node has taken from one giver, as the requester knows it.
public struct CreditTaken: Sendable, Hashable {
    /// What the giver told us it grants, if known (the giver decides; this is for display).
    public var granted: Amount?
    /// Settled accepted transfers minus settled accepted returns.
    public var drawn: Amount
    /// Returns created and not yet decided: already held away from the agents.
    public var returning: Amount

    /// Nothing drawn.
    public init(granted: Amount? = nil, drawn: Amount = .zero, returning: Amount = .zero) {
        self.granted = granted
        self.drawn = drawn
        self.returning = returning
    }

    /// Whether it says nothing: no grant known, nothing drawn or being returned.
    public var isEmpty: Bool { granted == nil && drawn.isZero && returning.isZero }

    /// What may still be returned: drawn minus what is being returned.
    public var returnable: Amount {
        (try? drawn.subtracting(returning)) ?? .zero
    }
}

/// The per-peer state of a ``RateLimitPolicy``. Volatile: a restart opens a fresh window, which
/// at most lets one extra window's worth through; decisions already stored are never re-decided.
struct PeerRateWindow: Sendable, Hashable {
    var windowStart: Timestamp
    var count: Int

    /// Counts one request at `now` and says whether it is within the limit.
    mutating func admit(at now: Timestamp, policy: RateLimitPolicy) -> Bool {
        if now >= windowStart.advanced(by: policy.window) || now < windowStart {
            windowStart = now
            count = 0
        }
        guard count < policy.maximumRequests else { return false }
        count += 1
        return true
    }
}
