import SafeguardsCore

/// Refuses envelopes that were seen before or whose send time is outside the accepted window.
///
/// An envelope passes when its `sent_at` is within `[now - window, now + allowedSkew]` and its
/// nonce was not seen from the same sender within the window. Because the signature covers the
/// nonce *and* `sent_at`, a replay carries the original send time: once that time falls out of
/// the window the replay is refused as stale, so the guard may forget nonces older than the
/// window and its memory stays bounded.
///
/// ## Memory
///
/// - On every ``admit(sender:nonce:sentAt:now:)`` all senders' nonces older than the window are
///   forgotten (the check is O(1) per sender when nothing expired).
/// - Each sender keeps at most ``Configuration/maximumNoncesPerSender`` nonces. When a sender
///   goes past the cap inside the window, the oldest nonce is evicted and **every send time up
///   to and including the evicted one is refused from then on** (as `stale`) until the window
///   passes it. Forgetting an in-window nonce must never let its replay in; refusing the whole
///   older range does that while newer messages keep flowing. The cost falls only on a sender
///   that sends more than the cap per window, and only on its out-of-order stragglers.
/// - Senders are recorded only after their signature verified against a registered peer (see
///   ``EnvelopeVerifier``), so the number of senders is bounded by the peer registry.
///
/// ## Time
///
/// `now` is passed in. The guard never lets its `now` go backwards: a `now` earlier than one it
/// already saw is replaced by that later one, so a clock that steps back cannot revive nonces
/// the guard already forgot.
public struct ReplayGuard: Sendable {
    /// How long nonces are remembered, how far ahead a sender's clock may run, and the per-sender cap.
    public struct Configuration: Sendable, Hashable {
        /// How far back a send time may lie (default 5 minutes). Nonces are remembered this long.
        public var window: Duration
        /// How far ahead of `now` a send time may lie, for clock skew between nodes (default 30 s).
        public var allowedSkew: Duration
        /// The most nonces remembered per sender (default 10,000); see the type's Memory section.
        public var maximumNoncesPerSender: Int

        /// A configuration; `window` must be positive, `allowedSkew` not negative, and the cap at least 1.
        public init(
            window: Duration = .seconds(300), allowedSkew: Duration = .seconds(30),
            maximumNoncesPerSender: Int = 10_000
        ) {
            precondition(window > .zero, "the replay window must be positive")
            precondition(allowedSkew >= .zero, "the allowed clock skew must not be negative")
            precondition(maximumNoncesPerSender >= 1, "the replay guard must remember at least one nonce per sender")
            self.window = window
            self.allowedSkew = allowedSkew
            self.maximumNoncesPerSender = maximumNoncesPerSender
        }
    }

    /// The limits this guard applies.
    public let configuration: Configuration
    private var histories: [SystemID: NonceHistory] = [:]
    /// The latest `now` seen; time never runs backwards for the guard.
    private var latestNow: Timestamp?

    /// An empty guard.
    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
    }

    /// Checks an envelope's nonce and send time without remembering anything.
    ///
    /// - Throws: ``ReplayRejection/replayed(sender:)`` for a nonce seen from `sender` within the
    ///   window; ``ReplayRejection/tooOld(sentAt:oldestAccepted:)`` or
    ///   ``ReplayRejection/fromTheFuture(sentAt:latestAccepted:)`` for a send time outside it.
    public func check(sender: SystemID, nonce: [UInt8], sentAt: Timestamp, now: Timestamp) throws(ReplayRejection) {
        let now = effectiveNow(now)
        let history = histories[sender]
        if history?.contains(nonce) == true { throw .replayed(sender: sender) }
        let latestAccepted = now.advanced(by: configuration.allowedSkew)
        if sentAt > latestAccepted { throw .fromTheFuture(sentAt: sentAt, latestAccepted: latestAccepted) }
        let windowStart = now.advanced(by: .zero - configuration.window)
        if sentAt < windowStart { throw .tooOld(sentAt: sentAt, oldestAccepted: windowStart) }
        if let floor = history?.refusedThrough, sentAt <= floor {
            throw .tooOld(sentAt: sentAt, oldestAccepted: floor.advanced(by: .milliseconds(1)))
        }
    }

    /// Checks like ``check(sender:nonce:sentAt:now:)`` and, when the envelope passes, remembers
    /// its nonce. Call it only for envelopes whose signature verified, so that forged frames
    /// cannot fill the window with nonces an honest sender would later use.
    ///
    /// - Throws: the ``ReplayRejection`` from ``check(sender:nonce:sentAt:now:)``; nothing is
    ///   remembered then.
    public mutating func admit(sender: SystemID, nonce: [UInt8], sentAt: Timestamp, now: Timestamp)
        throws(ReplayRejection)
    {
        try check(sender: sender, nonce: nonce, sentAt: sentAt, now: now)
        prune(now: now)
        histories[sender, default: NonceHistory()].insert(
            nonce, sentAt: sentAt, capacity: configuration.maximumNoncesPerSender)
    }

    /// Forgets every nonce whose send time is older than the window, and senders with nothing left.
    public mutating func prune(now: Timestamp) {
        let now = effectiveNow(now)
        latestNow = now
        let windowStart = now.advanced(by: .zero - configuration.window)
        for sender in Array(histories.keys) {
            histories[sender]?.prune(before: windowStart)
            if histories[sender]?.isEmpty == true { histories[sender] = nil }
        }
    }

    /// Whether the guard currently remembers `nonce` from `sender`.
    public func remembers(nonce: [UInt8], from sender: SystemID) -> Bool {
        histories[sender]?.contains(nonce) == true
    }

    /// How many nonces the guard remembers from `sender`.
    public func rememberedNonceCount(for sender: SystemID) -> Int {
        histories[sender]?.count ?? 0
    }

    /// How many nonces the guard remembers in all.
    public var rememberedNonceCount: Int {
        histories.values.reduce(0) { $0 + $1.count }
    }

    private func effectiveNow(_ now: Timestamp) -> Timestamp {
        guard let latestNow else { return now }
        return max(now, latestNow)
    }
}

/// Why the ``ReplayGuard`` refused an envelope.
public enum ReplayRejection: Error, Sendable, Hashable, CustomStringConvertible {
    /// The nonce was already seen from this sender within the window.
    case replayed(sender: SystemID)
    /// The send time is before the oldest one accepted now (the window's start, or the floor
    /// left by evicting an in-window nonce).
    case tooOld(sentAt: Timestamp, oldestAccepted: Timestamp)
    /// The send time is after `now` plus the allowed clock skew.
    case fromTheFuture(sentAt: Timestamp, latestAccepted: Timestamp)

    /// The code for the error frame: `replayed`, or `stale` for a send time out of the window.
    public var code: RejectCode {
        switch self {
        case .replayed: return .replayed
        case .tooOld, .fromTheFuture: return .stale
        }
    }

    public var description: String {
        switch self {
        case .replayed(let sender):
            return "nonce already seen from \(sender) within the replay window"
        case .tooOld(let sentAt, let oldestAccepted):
            return "sent at \(sentAt), before the oldest accepted send time \(oldestAccepted)"
        case .fromTheFuture(let sentAt, let latestAccepted):
            return "sent at \(sentAt), after the latest accepted send time \(latestAccepted) (clock skew?)"
        }
    }
}
