import Foundation
import SafeguardsCore

/// A peer's trust over time: the level the operator configured, what the peer's offenses took
/// from it, and counts of good and bad messages.
///
/// Rules, kept by every transition:
/// - **Offenses cost, messages do not earn.** An offense lowers effective trust by its penalty
///   (``recordOffense(_:at:halfLife:alreadyCharged:)``), down to 0. A good message is counted and
///   earns nothing (``recordGood()``), so a peer cannot buy back trust it lost with cheap pings.
/// - **Recovery is by time.** After the last offense, the gap between effective trust and the
///   configured level halves every half-life (``effective(at:halfLife:)``). A peer that stops
///   misbehaving is trusted again; one that keeps misbehaving stays down.
/// - **Stored values are exact.** What is kept is the level right after the last offense
///   (``floor``, in basis points) and that offense's time; the effective level at any moment is
///   derived from them, so no rounding accumulates in what is stored.
/// - **Never above the configured level**, and never below 0.
///
/// Who pays how often (once per connection, for offenses a stranger could commit in the peer's
/// name) is the caller's rule: it passes what the same connection already cost as
/// `alreadyCharged`.
public struct TrustState: Sendable, Hashable {
    /// The level the operator set: the ceiling of effective trust.
    public private(set) var configured: TrustLevel
    /// Effective trust right after the last offense that cost something; recovery starts here.
    /// Equal to ``configured`` for a peer that never cost anything.
    public private(set) var floor: TrustLevel
    /// When trust last fell (an offense that cost something); `nil` if it never did.
    public private(set) var lastOffenseAt: Timestamp?
    /// Messages from the peer that verified and were processed (saturates at `Int.max`).
    public private(set) var goodMessages: Int
    /// Messages from the peer that were refused for an offense, charged or not (saturates at `Int.max`).
    public private(set) var badMessages: Int

    /// A new peer's trust: effective equals configured, no history.
    public init(configured: TrustLevel) {
        self.init(configured: configured, floor: configured, lastOffenseAt: nil, goodMessages: 0, badMessages: 0)
    }

    /// Trust restored from storage. `floor` is clamped to `configured` and negative counts to
    /// zero, so a hand-edited row cannot break the invariants.
    public init(
        configured: TrustLevel, floor: TrustLevel, lastOffenseAt: Timestamp?, goodMessages: Int, badMessages: Int
    ) {
        self.configured = configured
        self.floor = min(floor, configured)
        self.lastOffenseAt = lastOffenseAt
        self.goodMessages = max(goodMessages, 0)
        self.badMessages = max(badMessages, 0)
    }

    /// The level the node acts on at `now`: ``configured`` less the gap left at the last offense,
    /// halved for every `halfLife` since.
    ///
    /// The gap is a whole number of basis points; after whole half-lives it is divided exactly by
    /// a power of two, and within one it is scaled by 2^(−elapsed / halfLife). The result is
    /// rounded to a basis point, halves toward the lower trust. A clock that reads earlier than
    /// the offense, or a floor with no offense time (stored before recovery by time existed),
    /// gives no recovery. A `halfLife` of zero or less recovers at once.
    public func effective(at now: Timestamp, halfLife: Duration) -> TrustLevel {
        let gap = configured.basisPoints - floor.basisPoints
        guard gap > 0, let since = lastOffenseAt else { return floor }
        let halfLifeMilliseconds = Transfer.milliseconds(halfLife)
        guard halfLifeMilliseconds > 0 else { return configured }
        let elapsed = max(Transfer.milliseconds(since.duration(to: now)), 0)
        let halvings = elapsed / halfLifeMilliseconds
        // 10,000 basis points are gone after 14 halvings; past 62 a shift would overflow.
        guard halvings < 62 else { return configured }
        let remainder = Double(elapsed % halfLifeMilliseconds) / Double(halfLifeMilliseconds)
        let left = Double(gap) / Double(Int64(1) << halvings) * exp2(-remainder)
        let rounded = Int(left.rounded(.toNearestOrAwayFromZero))
        return TrustLevel(clampingBasisPoints: configured.basisPoints - min(rounded, gap))
    }

    /// A message from the peer verified and was processed. It is counted; it earns nothing.
    public mutating func recordGood() {
        goodMessages = goodMessages == .max ? .max : goodMessages + 1
    }

    /// The peer committed `offense` at `now`. It is counted; trust falls from its effective level
    /// at `now` by the penalty less `alreadyCharged` (what the same connection already cost, so
    /// a connection costs at most its worst offense), not below 0.
    ///
    /// - Returns: the basis points actually charged (0 when the connection already paid as much).
    @discardableResult
    public mutating func recordOffense(
        _ offense: TrustOffense, at now: Timestamp, halfLife: Duration, alreadyCharged: Int = 0
    ) -> Int {
        badMessages = badMessages == .max ? .max : badMessages + 1
        let charge = max(offense.penaltyBasisPoints - max(alreadyCharged, 0), 0)
        guard charge > 0 else { return 0 }
        floor = TrustLevel(clampingBasisPoints: effective(at: now, halfLife: halfLife).basisPoints - charge)
        lastOffenseAt = now
        return charge
    }

    /// The operator changed the configured level. The peer keeps the gap its offenses left, and
    /// that gap goes on recovering from the same offense time: raising the level raises effective
    /// trust by the same step, lowering it lowers effective trust by the same step (not below 0),
    /// so a change of configuration neither wipes nor doubles what the peer earned.
    public mutating func reconfigure(_ newConfigured: TrustLevel) {
        let step = newConfigured.basisPoints - configured.basisPoints
        floor = TrustLevel(clampingBasisPoints: min(floor.basisPoints + step, newConfigured.basisPoints))
        configured = newConfigured
    }
}
