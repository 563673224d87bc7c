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

    nonisolated func hasLimit(_ agent: AgentID) -> Bool { limitedAgents.withLock { $0.contains(agent) } }

    /// What `agent`'s window holds at `now`, committed and in flight; `nil` without a limit.
    func used(_ agent: AgentID, at now: Timestamp) -> Amount? {
        guard let limiter = limiters[agent] else { return nil }
        let total = Int128(limiter.used(at: now).micros) + inFlight(agent)
        return Amount(micros: Int64(clamping: total))
    }

    /// Counts `amount` for `agent` as in flight for transfer `id`, or throws `rate_limited`
    /// with the seconds to wait. Returns `nil` when the agent has no limit.
    func admit(_ agent: AgentID, _ amount: Amount, transfer id: TransferID, at now: Timestamp) throws(SafeguardsError)
        -> Ticket?
    {
        guard let limiter = limiters[agent], amount.isPositive else { return nil }
        let requested = Int128(amount.micros) + inFlight(agent)
        let fits = requested <= Int128(limiter.limit.maxBudget.micros)
        guard fits, limiter.check(Amount(micros: Int64(requested)), at: now) else {
            let wait = fits ? limiter.retryAfter(Amount(micros: Int64(requested)), at: now) : nil
            var error = SafeguardsError(
                .rateLimited,
                amount > limiter.limit.maxBudget
                    ? "\(amount) is more than agent \(agent)'s whole rate limit of \(limiter.limit.maxBudget) per window"
                    : "agent \(agent) may spend \(limiter.limit.maxBudget) per \(limiter.limit.window); "
                        + "\(used(agent, at: now) ?? .zero) is used")
            // Operations in flight leave the window when they end: ask again in a second then.
            let seconds = wait.map { Int($0.components.seconds) + ($0.components.attoseconds > 0 ? 1 : 0) }
            error.retryAfterSeconds = seconds ?? (amount <= limiter.limit.maxBudget ? 1 : nil)
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
