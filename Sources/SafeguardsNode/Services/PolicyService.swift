import Foundation
import Logging
import SafeguardsAPI
import SafeguardsCore
import SafeguardsPolicies
import SafeguardsStore
import ServiceLifecycle
import Synchronization

/// The policies of one pool.
struct PoolPolicies: Sendable {
    var adaptiveSizing: (AdaptivePoolSizing, AdaptiveSizingBody)?
    var priorityReallocation: (PriorityReallocation, PriorityReallocationBody)?
    var timeProfiles: (TimeProfileSchedule, TimeProfilesBody)?
    var usagePrediction: (PredictiveBudgeting, UsagePredictionBody)?
    var reinforcementLearning: (AllowanceOptimizer.Settings, ReinforcementLearningBody)?
}

/// Runs the pools' dynamic allocation policies on a tick and applies what they propose as ledger
/// transfers with a reason, each with its entry in the decision log, within the safety rails: a
/// maximum change per step, a cool-down per target, and no automatic change at all to a frozen
/// pool. A change the ledger refuses leaves the budget as it was (the static budget) and is
/// logged as a fallback. Time-profile switches are scheduled by people and are not cut by the
/// step limit; they still respect a freeze.
public actor PolicyService: Service {
    public static let kinds = [
        "adaptive_sizing", "priority_reallocation", "time_profiles", "usage_prediction", "reinforcement_learning",
    ]

    let writer: BudgetWriter
    let store: LedgerStore
    let rails: SafetyRails
    private let tick: Duration
    let now: @Sendable () -> Timestamp
    let logger: Logger
    var policies: [PoolID: PoolPolicies] = [:]
    var frozen: Set<PoolID> = []
    private var lastRun: [String: Timestamp] = [:]
    var lastChange: [String: Timestamp] = [:]
    /// The refusal each target (`pool/<id>`, `agent/<id>`) is in, if any: the same refusal at
    /// every tick is logged once, and counted until something changes (see ``submit(_:_:key:)``).
    var refusals: [String: RefusalStreak] = [:]
    private var sequence = 0
    /// The reinforcement-learning optimizer of each pool, as last trained.
    var optimizers: [PoolID: AllowanceOptimizer] = [:]
    /// The allowance the optimizer last gave each agent.
    var allowances: [AgentID: Amount] = [:]
    /// Agents whose last allowance was looked for in the decision log (found or not).
    var recalled: Set<AgentID> = []
    /// The kind of decline a learning policy last logged for an agent, so the log says it once.
    var declines: [String: String] = [:]
    /// Asks a peer for budget for an agent of a federated pool whose reserve cannot cover an
    /// emergency; returns the federation transaction, or nil when no peer could be asked.
    typealias RemoteTopUp = @Sendable (PoolID, AgentID, Amount) async -> FederationTransactionBody?
    private nonisolated let remoteTopUpSlot = Mutex<RemoteTopUp?>(nil)

    /// Set once, while the node is assembled, when it is in a federation.
    nonisolated func setRemoteTopUp(_ topUp: @escaping RemoteTopUp) {
        remoteTopUpSlot.withLock { $0 = topUp }
    }

    /// Policies from the config by pool name, not yet installed on a pool of that name.
    private var configured: [String: [String: Data]]

    init(
        writer: BudgetWriter, store: LedgerStore, rails: SafetyRails, tick: Duration, configured: [String: [String: Data]] = [:],
        now: @escaping @Sendable () -> Timestamp, logger: Logger
    ) throws(NodeStartupError) {
        self.configured = configured
        self.writer = writer
        self.store = store
        self.rails = rails
        self.tick = tick
        self.now = now
        self.logger = logger
        do {
            frozen = try store.frozenPools()
            for (pool, kind, body) in try store.policies() {
                try Self.install(kind: kind, json: Data(body.utf8), pool: pool, into: &policies)
            }
        } catch {
            throw NodeStartupError("cannot load the pool policies: \(error)")
        }
    }

    // MARK: Configuration

    /// Validates and stores a policy of `kind` for `pool`; it runs from the next tick.
    func setPolicy(kind: String, json: Data, pool: PoolID) async throws(SafeguardsError) -> PoolPoliciesBody {
        guard await writer.read({ $0.pools[pool] != nil }) else { throw .notFound("pool \(pool) does not exist") }
        var updated = policies
        try Self.install(kind: kind, json: json, pool: pool, into: &updated)
        do {
            try store.savePolicy(pool: pool, kind: kind, body: String(decoding: json, as: UTF8.self), at: now())
        } catch {
            throw SafeguardsError(.unavailable, "the policy could not be stored: \(error)")
        }
        policies = updated
        lastRun.removeValue(forKey: "\(pool)/\(kind)")
        return body(pool)
    }

    /// Removes the pool's policy of `kind`; budgets stay as they are. A policy from the config
    /// comes back at the next start.
    func removePolicy(kind: String, pool: PoolID) async throws(SafeguardsError) -> PoolPoliciesBody {
        guard await writer.read({ $0.pools[pool] != nil }) else { throw .notFound("pool \(pool) does not exist") }
        guard Self.kinds.contains(kind) else {
            throw .notFound("no policy kind '\(kind)'; kinds are \(Self.kinds.joined(separator: ", "))")
        }
        let removed: Bool
        do { removed = try store.removePolicy(pool: pool, kind: kind) } catch {
            throw SafeguardsError(.unavailable, "the policy could not be removed: \(error)")
        }
        guard removed else { throw .notFound("pool \(pool) has no \(kind) policy") }
        var entry = policies[pool] ?? PoolPolicies()
        switch kind {
        case "adaptive_sizing": entry.adaptiveSizing = nil
        case "priority_reallocation": entry.priorityReallocation = nil
        case "time_profiles": entry.timeProfiles = nil
        case "usage_prediction": entry.usagePrediction = nil
        default:
            entry.reinforcementLearning = nil
            optimizers.removeValue(forKey: pool)
        }
        policies[pool] = entry
        lastRun.removeValue(forKey: "\(pool)/\(kind)")
        return body(pool)
    }

    static func install(kind: String, json: Data, pool: PoolID, into policies: inout [PoolID: PoolPolicies])
        throws(SafeguardsError)
    {
        let decoder = APICoding.decoder()
        var entry = policies[pool] ?? PoolPolicies()
        do {
            switch kind {
            case "adaptive_sizing":
                var body = try decoder.decode(AdaptiveSizingBody.self, from: json)
                let policy = AdaptivePoolSizing(
                    adjustmentInterval: .seconds(body.adjustmentIntervalSeconds), minPoolBudget: body.minPoolBudget,
                    maxPoolBudget: body.maxPoolBudget, utilizationTarget: try Ratio(parsing: body.utilizationTarget.text),
                    growthRate: try Ratio(parsing: body.growthRate.text), shrinkRate: try Ratio(parsing: body.shrinkRate.text),
                    minAgentsForAdjustment: body.minAgentsForAdjustment,
                    deadBand: try body.deadBand.map { text throws(PolicyError) in try Ratio(parsing: text.text) }
                        ?? AdaptivePoolSizing.defaultDeadBand)
                try policy.validate()
                body.deadBand = RatioText(policy.deadBand.description)
                entry.adaptiveSizing = (policy, body)
            case "priority_reallocation":
                let body = try decoder.decode(PriorityReallocationBody.self, from: json)
                var weights = PriorityReallocation.defaultWeights
                for (name, weight) in body.priorityWeights ?? [:] {
                    guard let priority = AgentPriority(rawValue: name.uppercased()) else {
                        throw PolicyError("priority_weights: '\(name)' is not CRITICAL, HIGH, MEDIUM, LOW or MINIMAL")
                    }
                    weights[priority] = try Ratio(parsing: weight.text)
                }
                let policy = PriorityReallocation(
                    reallocationInterval: .seconds(body.reallocationIntervalSeconds),
                    emergencyThreshold: body.emergencyThreshold,
                    minBudgetPercentage: try Ratio(parsing: body.minBudgetPercentage.text),
                    reservePercentage: try Ratio(parsing: body.reservePercentage.text), priorityWeights: weights)
                try policy.validate()
                entry.priorityReallocation = (policy, body)
            case "time_profiles":
                let body = try decoder.decode(TimeProfilesBody.self, from: json)
                var profiles: [TimeProfile] = []
                for (name, profile) in body.profiles.sorted(by: { $0.key < $1.key }) {
                    profiles.append(
                        TimeProfile(
                            name: name, budget: profile.budget, start: try TimeProfile.minutes(profile.startTime),
                            end: try TimeProfile.minutes(profile.endTime), days: Set(profile.days)))
                }
                let schedule = TimeProfileSchedule(timeZone: body.timeZone, profiles: profiles)
                try schedule.validate()
                entry.timeProfiles = (schedule, body)
            default:
                guard try installLearning(kind: kind, json: json, decoder: decoder, into: &entry) else {
                    throw SafeguardsError.notFound(
                        "no policy kind '\(kind)'; kinds are \(Self.kinds.joined(separator: ", "))")
                }
            }
        } catch let error as SafeguardsError {
            throw error
        } catch let error as PolicyError {
            throw .invalidRequest("\(kind): \(error.message)")
        } catch let error as DecodingError {
            throw JSONBody.describe(error)
        } catch {
            throw .invalidRequest("\(kind): \(error)")
        }
        policies[pool] = entry
    }

    func setFrozen(_ pool: PoolID, _ value: Bool) async throws(SafeguardsError) -> PoolPoliciesBody {
        guard await writer.read({ $0.pools[pool] != nil }) else { throw .notFound("pool \(pool) does not exist") }
        do { try store.setFrozen(pool, value, at: now()) } catch {
            throw SafeguardsError(.unavailable, "the freeze could not be stored: \(error)")
        }
        if value { frozen.insert(pool) } else { frozen.remove(pool) }
        // A human override is a decision too: the log says who froze the pool and when.
        if let total = writer.view({ $0.poolSnapshot(pool)?.total }) {
            try? store.logDecision(
                DecisionRecord(
                    policy: value ? "override.freeze" : "override.unfreeze", poolID: pool, agentID: nil,
                    oldValue: total, newValue: total,
                    reason: value ? "pool frozen: policies make no automatic changes" : "pool unfrozen: policies run again",
                    at: now(), actor: APICaller.current))
        }
        logger.notice(value ? "pool frozen: no automatic changes" : "pool unfrozen", metadata: ["pool_id": "\(pool)"])
        return body(pool)
    }

    func policiesBody(_ pool: PoolID) async throws(SafeguardsError) -> PoolPoliciesBody {
        guard await writer.read({ $0.pools[pool] != nil }) else { throw .notFound("pool \(pool) does not exist") }
        return body(pool)
    }

    private func body(_ pool: PoolID) -> PoolPoliciesBody {
        let entry = policies[pool]
        return PoolPoliciesBody(
            poolID: pool.rawValue, frozen: frozen.contains(pool), adaptiveSizing: entry?.adaptiveSizing?.1,
            priorityReallocation: entry?.priorityReallocation?.1, timeProfiles: entry?.timeProfiles?.1,
            usagePrediction: entry?.usagePrediction?.1, reinforcementLearning: entry?.reinforcementLearning?.1,
            activeProfile: entry?.timeProfiles?.0.active(at: now())?.name)
    }

    // MARK: Running

    public func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            await runAll(force: false)
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: self.tick) }
        }
    }

    /// Runs every pool's due policies (`force`: all of them, now).
    func runAll(force: Bool) async {
        await installConfigured()
        for pool in policies.keys.sorted() { await run(pool, force: force) }
    }

    /// Installs the config's policies on the pools of those names that exist (the config wins
    /// over what the API stored for that kind, at every start).
    private func installConfigured() async {
        guard !configured.isEmpty else { return }
        let ids = await writer.read { $0.poolIDsByName }
        for (name, kinds) in configured.sorted(by: { $0.key < $1.key }) {
            guard let pool = ids[name] else { continue }
            for (kind, json) in kinds.sorted(by: { $0.key < $1.key }) {
                do {
                    _ = try await setPolicy(kind: kind, json: json, pool: pool)
                    logger.info("policy from the config installed", metadata: ["pool": "\(name)", "kind": "\(kind)"])
                } catch {
                    logger.error("a policy from the config could not be installed", metadata: [
                        "pool": "\(name)", "kind": "\(kind)", "error": "\(error)",
                    ])
                }
            }
            configured.removeValue(forKey: name)
        }
    }

    /// Runs one pool's policies now (`POST /v1/pools/{id}/policies/apply`).
    func apply(_ pool: PoolID) async throws(SafeguardsError) -> PoolPoliciesBody {
        guard await writer.read({ $0.pools[pool] != nil }) else { throw .notFound("pool \(pool) does not exist") }
        await run(pool, force: true)
        return body(pool)
    }

    /// One run at a time: a run started by `apply` waits for the tick's run in progress (whose
    /// changes, a remote request among them, it would otherwise race).
    private let runs = EventLock()

    private func run(_ pool: PoolID, force: Bool) async {
        await runs.run { await runNow(pool, force: force) }
    }

    private func runNow(_ pool: PoolID, force: Bool) async {
        guard let entry = policies[pool], !frozen.contains(pool) else { return }
        // A closed pool holds nothing to adjust; its policies stay configured, as history.
        guard writer.view({ $0.pools[pool]?.closedAt }) == nil else { return }
        let time = now()
        if let (schedule, _) = entry.timeProfiles {
            let total = await writer.read { $0.poolSnapshot(pool)?.total }
            if let total, let proposal = schedule.propose(currentTotal: total, at: time) {
                await applyPool(pool, proposal, policy: "time_profiles", bounded: false)
            }
        }
        if let (sizing, _) = entry.adaptiveSizing, force || due("\(pool)/adaptive_sizing", every: sizing.adjustmentInterval, time) {
            if let (usage, _) = await state(of: pool), let proposal = sizing.propose(usage) {
                await applyPool(pool, proposal, policy: "adaptive_sizing", bounded: true)
            }
        }
        if let (reallocation, _) = entry.priorityReallocation {
            // Emergencies are checked on every tick: a top-up cannot wait for the interval.
            if let (usage, agents) = await state(of: pool) {
                for adjustment in reallocation.emergencies(pool: usage, agents: agents) {
                    await applyAgent(pool, adjustment, policy: "priority_reallocation.emergency", bounded: false)
                }
                await askPeers(pool, reallocation)
            }
            if force || due("\(pool)/priority_reallocation", every: reallocation.reallocationInterval, time),
                let (usage, agents) = await state(of: pool)
            {
                for adjustment in reallocation.reallocate(pool: usage, agents: agents) {
                    await applyAgent(pool, adjustment, policy: "priority_reallocation", bounded: true)
                }
            }
        }
        if let (prediction, _) = entry.usagePrediction, force || due("\(pool)/usage_prediction", every: prediction.updateInterval, time) {
            await runPrediction(pool, prediction)
        }
        if let (settings, _) = entry.reinforcementLearning,
            force || due("\(pool)/reinforcement_learning", every: settings.updateInterval, time)
        {
            await runOptimizer(pool, settings)
        }
    }

    /// Agents of a federated pool still below the emergency threshold once the reserve is spent
    /// get the difference from a peer that backs the pool, through the federation.
    private func askPeers(_ pool: PoolID, _ reallocation: PriorityReallocation) async {
        guard let remoteTopUp = remoteTopUpSlot.withLock({ $0 }), await writer.read({ $0.pools[pool]?.metadata["federated"] == "true" }) else { return }
        for agent in await agents(of: pool) where agent.available < reallocation.emergencyThreshold {
            let key = "remote/\(agent.id)"
            if let last = lastChange[key], last.duration(to: now()) < rails.coolDown { continue }
            guard let need = try? reallocation.emergencyThreshold.subtracting(agent.available), need.isPositive else { continue }
            lastChange[key] = now()
            guard let transaction = await remoteTopUp(pool, agent.id, need) else { continue }
            let granted = transaction.status == "accepted"
            try? store.logDecision(
                DecisionRecord(
                    policy: "priority_reallocation.remote_emergency", poolID: pool, agentID: agent.id,
                    oldValue: agent.budget,
                    newValue: granted ? ((try? agent.budget.adding(need)) ?? agent.budget) : agent.budget,
                    reason: "emergency with an empty reserve: asked \(transaction.peer) for \(need) (\(transaction.status)\(transaction.reason.map { ": \($0)" } ?? ""))",
                    inputs: ["transaction_id": transaction.transactionID, "peer": transaction.peer],
                    transferID: TransferID(unchecked: "fed:\(transaction.transactionID)"), at: now()))
        }
    }

    private func due(_ key: String, every interval: Duration, _ time: Timestamp) -> Bool {
        if let last = lastRun[key], last.duration(to: time) < interval { return false }
        lastRun[key] = time
        return true
    }

    /// The pool's usage and its agents', in one read of the book.
    private func state(of pool: PoolID) async -> (PoolUsage, [AgentUsage])? {
        await writer.read { book in
            guard let snapshot = book.poolSnapshot(pool) else { return nil }
            let agents = Self.agents(of: pool, in: book)
            let used = Amount.clampedSum(agents.map(\.used))
            return (
                PoolUsage(total: snapshot.total, available: snapshot.available, used: used, agentCount: agents.count),
                agents
            )
        }
    }

    func agents(of pool: PoolID) async -> [AgentUsage] {
        await writer.read { Self.agents(of: pool, in: $0) }
    }

    private static func agents(of pool: PoolID, in book: BudgetBook) -> [AgentUsage] {
        // Closed agents hold no budget and take none: policies leave them out.
        book.agentSnapshots(in: pool).filter { $0.agent.closedAt == nil }.map { snapshot in
            AgentUsage(
                id: snapshot.agent.id, priority: snapshot.agent.priority, initialBudget: snapshot.agent.initialBudget,
                budget: snapshot.total, used: Amount.clampedSum([snapshot.spent, snapshot.reserved]))
        }
    }

    private func applyPool(_ pool: PoolID, _ proposal: PolicyProposal, policy: String, bounded: Bool) async {
        let key = "pool/\(pool)"
        guard let change = bounded ? rails.bound(proposal, lastChange: lastChange[key], now: now()) : proposal else { return }
        let transfer = nextTransferID(policy)
        let decision = DecisionRecord(
            policy: policy, poolID: pool, agentID: nil, oldValue: change.oldValue, newValue: change.newValue,
            reason: change.reason, inputs: change.inputs, transferID: transfer, at: now())
        await submit(.setPoolTotal(pool, total: change.newValue, reason: "\(policy): \(change.reason)", transferID: transfer), decision, key: key)
    }

    /// The change applied (within the rails), or nil when nothing was.
    @discardableResult
    func applyAgent(_ pool: PoolID, _ adjustment: AgentAdjustment, policy: String, bounded: Bool) async -> PolicyProposal? {
        let key = "agent/\(adjustment.agent)"
        let proposal = adjustment.proposal
        guard let change = bounded ? rails.bound(proposal, lastChange: lastChange[key], now: now()) : proposal else { return nil }
        let transfer = nextTransferID(policy)
        let decision = DecisionRecord(
            policy: policy, poolID: pool, agentID: adjustment.agent, oldValue: change.oldValue, newValue: change.newValue,
            reason: change.reason, inputs: change.inputs, transferID: transfer, at: now())
        let applied = await submit(
            .setAgentBudget(adjustment.agent, budget: change.newValue, reason: "\(policy): \(change.reason)", transferID: transfer),
            decision, key: key)
        return applied ? change : nil
    }

    func nextTransferID(_ policy: String) -> TransferID {
        sequence += 1
        return TransferID(unchecked: "pol:\(now().millisecondsSince1970):\(sequence):\(BudgetOperations.randomHex().prefix(8))")
    }
}
