import SafeguardsCore
import SafeguardsPolicies
import SafeguardsStore
import Synchronization

/// Per-agent rate limits, enforced on reserve and spend.
///
/// **The journal is the record.** What counts against an agent's window is every reservation and
/// spend of the agent (the transfers that credit its `spent` account), at the time and for the
/// amount the journal holds them. The limiter in memory is a cache of that: rebuilt from the
/// journal at start and whenever a limit is set (so a restart, or posting the same limit again,
/// keeps what the window already holds), and fed with each transfer once it is committed. The
/// spend path writes nothing more than the transfer itself.
///
/// - A replay creates no transfer and a refused operation writes none, so neither counts.
/// - An admission whose transfer is not committed yet is held apart, in flight, and counts
///   against the window until its operation ends, so concurrent requests cannot overshoot.
/// - Uses made before a limit was set count once it is set: the window is what the agent
///   reserved and spent in its last length of time, limited or not.
/// - A reservation counts what it reserved while it is pending, and once it ends what it settled:
///   settled for less, the rest leaves the window; released or expired, all of it does. Still at
///   the time it was reserved, so a settle never moves a use later in the window.
public actor AgentRateLimits {
    private var limiters: [AgentID: SlidingWindowLimiter] = [:] {
        didSet { limitedAgents.withLock { $0 = Set(limiters.keys) } }
    }
    /// The agents with a limit, readable without a hop to the actor: most agents have none, and
    /// their spends should not queue here to learn it.
    private nonisolated let limitedAgents = Mutex<Set<AgentID>>([])
    private var admissions: [Int: Admission] = [:]
    private var nextAdmission = 0
    private let store: LedgerStore
    private let now: @Sendable () -> Timestamp

    /// An admitted operation whose transfer is not yet known to be in the journal.
    private struct Admission {
        let agent: AgentID
        let transfer: TransferID
        let amount: Amount
        /// Found in the journal by a rebuild of the window, which counted it already.
        var counted = false
    }

    /// A ticket for an admitted operation, to hand back to ``finish(_:committed:)``.
    struct Ticket: Sendable {
        fileprivate let number: Int
    }

    init(store: LedgerStore, now: @escaping @Sendable () -> Timestamp = Timestamp.now) throws(NodeStartupError) {
        self.store = store
        self.now = now
        var loaded: [AgentID: SlidingWindowLimiter] = [:]
        do {
            let time = now()
            for (agent, maxBudget, window) in try store.rateLimits() {
                let limit = RateLimit(maxBudget: maxBudget, window: window)
                loaded[agent] = try Self.window(of: agent, limit, at: time, store: store, waiting: []).limiter
            }
        } catch {
            throw NodeStartupError("cannot load the rate limits: \(error)")
        }
        limiters = loaded
        // Observers do not run in an initializer.
        limitedAgents.withLock { $0 = Set(loaded.keys) }
    }

    /// Stores `limit` for `agent`; the window keeps what the journal shows the agent used in it.
    func set(_ agent: AgentID, _ limit: RateLimit) throws(SafeguardsError) {
        do {
            try store.saveRateLimit(agent: agent, maxBudget: limit.maxBudget, window: limit.window)
            limiters[agent] = try rebuilt(agent, limit, at: now())
        } catch {
            throw SafeguardsError(.unavailable, "the rate limit could not be stored: \(error)")
        }
    }

    /// Removes the limit of `agent` and returns it, or `nil` when it had none. Its reservations
    /// and spends stay in the journal: a limit set again counts them (see ``set(_:_:)``).
    func remove(_ agent: AgentID) throws(SafeguardsError) -> RateLimit? {
        guard let limit = limiters[agent]?.limit else { return nil }
        do { try store.deleteRateLimit(agent: agent) } catch {
            throw SafeguardsError(.unavailable, "the rate limit could not be removed: \(error)")
        }
        limiters[agent] = nil
        return limit
    }

    /// A reservation of a limited agent ended (settled, released or expired): the window keeps
    /// only what it settled. Call once per resolution, never for a replay.
    func resolved(_ reservation: Transfer) {
        guard reservation.isPending, reservation.state != .pending, let agent = BudgetOperations.reservingAgent(reservation)
        else { return }
        let settled = reservation.state == .posted ? reservation.postedAmount : .zero
        let unsettled = (try? reservation.amount.subtracting(settled)) ?? .zero
        limiters[agent]?.remove(unsettled, recordedAt: reservation.createdAt)
    }

    /// Rebuilds the window of `agent` from the journal, for a resolution the caller saw only as
    /// an error (a settle that came too late and expired the reservation on the spot).
    func recount(_ agent: AgentID) {
        guard let limit = limiters[agent]?.limit, let limiter = try? rebuilt(agent, limit, at: now()) else { return }
        limiters[agent] = limiter
    }

    nonisolated func hasLimit(_ agent: AgentID) -> Bool { limitedAgents.withLock { $0.contains(agent) } }

    /// The answer to "may `agent` reserve or spend `amount` now, and if not, when?", counting what
    /// is in flight, without counting `amount` anywhere. `nil` when the agent has no limit.
    func check(_ agent: AgentID, _ amount: Amount, at now: Timestamp) -> RateLimitCheck? {
        guard let limiter = limiters[agent] else { return nil }
        let used = Int128(limiter.used(at: now).micros) + inFlight(agent)
        let requested = Int128(amount.micros) + inFlight(agent)
        let limit = Int128(limiter.limit.maxBudget.micros)
        var check = RateLimitCheck(limit: limiter.limit, used: Amount(micros: Int64(clamping: used)), retryAfterSeconds: 0)
        guard requested > limit || !limiter.check(Amount(micros: Int64(requested)), at: now) else { return check }
        // More than the whole limit never fits; otherwise wait until enough leaves the window.
        // Operations in flight leave it when they end: ask again in a second then.
        let wait = requested <= limit ? limiter.retryAfter(Amount(micros: Int64(requested)), at: now) : nil
        let seconds = wait.map { Int($0.components.seconds) + ($0.components.attoseconds > 0 ? 1 : 0) }
        check.retryAfterSeconds = seconds.map { max($0, 1) } ?? (amount <= limiter.limit.maxBudget ? 1 : nil)
        return check
    }

    /// Counts `amount` for `agent` as in flight for transfer `id`, or throws `rate_limited`
    /// with the seconds to wait. Returns `nil` when the agent has no limit.
    func admit(_ agent: AgentID, _ amount: Amount, transfer id: TransferID, at now: Timestamp) throws(SafeguardsError)
        -> Ticket?
    {
        guard amount.isPositive, let check = check(agent, amount, at: now) else { return nil }
        guard check.allowed else {
            var error = SafeguardsError(
                .rateLimited,
                amount > check.limit.maxBudget
                    ? "\(amount) is more than agent \(agent)'s whole rate limit of \(check.limit.maxBudget) per window"
                    : "agent \(agent) may spend \(check.limit.maxBudget) per \(check.limit.window); \(check.used) is used")
            error.retryAfterSeconds = check.retryAfterSeconds
            throw error
        }
        nextAdmission += 1
        admissions[nextAdmission] = Admission(agent: agent, transfer: id, amount: amount)
        return Ticket(number: nextAdmission)
    }

    /// Ends an admitted operation. `committed` is the transfer it created, or `nil` when it
    /// created none (refused, failed, or a replay of an earlier request).
    func finish(_ ticket: Ticket?, committed: Transfer?) {
        guard let ticket, let admission = admissions.removeValue(forKey: ticket.number) else { return }
        guard let committed, !admission.counted else { return }
        limiters[admission.agent]?.record(committed.amount, at: committed.createdAt)
    }

    private func inFlight(_ agent: AgentID) -> Int128 {
        admissions.values.reduce(Int128(0)) { $0 + ($1.agent == agent ? Int128($1.amount.micros) : 0) }
    }

    /// The window of `agent` at `now`, from the journal. Admissions in flight whose transfer the
    /// journal already holds are marked counted, so their end does not count them again.
    private func rebuilt(_ agent: AgentID, _ limit: RateLimit, at now: Timestamp) throws(StoreError)
        -> SlidingWindowLimiter
    {
        let waiting = Set(admissions.values.filter { $0.agent == agent }.map(\.transfer))
        let (limiter, found) = try Self.window(of: agent, limit, at: now, store: store, waiting: waiting)
        for (number, admission) in admissions where admission.agent == agent && found.contains(admission.transfer) {
            admissions[number]?.counted = true
        }
        return limiter
    }

    /// Replays the agent's uses of the last window from the journal into a limiter; also returns
    /// which of the `waiting` transfers it found there.
    private static func window(
        of agent: AgentID, _ limit: RateLimit, at now: Timestamp, store: LedgerStore, waiting: Set<TransferID>
    ) throws(StoreError) -> (limiter: SlidingWindowLimiter, found: Set<TransferID>) {
        var limiter = SlidingWindowLimiter(limit)
        var found: Set<TransferID> = []
        try store.agentUses(agent, after: now.advanced(by: .zero - limit.window)) { id, at, amount in
            limiter.record(amount, at: at)
            if waiting.contains(id) { found.insert(id) }
        }
        return (limiter, found)
    }
}

/// What a rate-limit check found: the agent's limit, what its window holds (in flight included),
/// and how many seconds until the amount asked about fits (0: now; `nil`: never, it is more than
/// the whole limit).
struct RateLimitCheck: Sendable, Equatable {
    var limit: RateLimit
    var used: Amount
    var retryAfterSeconds: Int?

    var allowed: Bool { retryAfterSeconds == 0 }
}
