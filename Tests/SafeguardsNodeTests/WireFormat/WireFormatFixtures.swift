import SafeguardsAPI
import SafeguardsCore

/// Representative values of every API body: one with optionals left out, one with everything
/// set, strings that need escaping, non-ASCII text, and map keys in mixed case and order.
enum WireFormatFixtures {
    /// A string with every kind of character the encoder treats apart.
    static let awkward = "q\" b\\ s/ t\t n\n r\r nul\u{0} bell\u{7} us\u{1F} del\u{7F} é 😀 \u{2028} e\u{301}"
    static let metadata = [
        "team": "research", "Team": "upper", "cost/center": "a/b", "a10": "1", "a9": "2", "é": "accent", "_x": "u",
        "with space": " ", "quote\"": "\\", "": "empty key", "Z": awkward,
    ]
    static let amounts: [String: Amount] = ["gpu": 12, "tokens": Amount(micros: 1), "API": .max, "b10": .zero]
    static let time = "2026-11-29T18:41:58.123Z"

    static let pool = PoolBody(
        id: "pool_1", name: "research/β", priority: 7, total: 1000, available: Amount(micros: 250_500_000),
        allocated: 700, spent: Amount(micros: 49_500_000), metadata: metadata, createdAt: time)
    static let agentBudget = AgentBudgetBody(
        initial: 150, total: 150, available: Amount(micros: 100_000_001), reserved: 20, spent: Amount(micros: 29_999_999))
    static let agent = AgentBody(
        agentID: "coder", poolID: "pool_1", priority: "HIGH", budget: agentBudget, alertLevel: "warning", createdAt: time)
    static let reservation = ReservationBody(
        reservationID: "rsv:key/1", agentID: "coder", amount: 20, state: "pending", settledAmount: .zero,
        expiresAt: time, createdAt: time, resolvedAt: nil)
    static let transfer = TransferBody(
        id: "spd_1", debitAccount: "agent:coder", creditAccount: "spent:coder", amount: Amount(micros: 1),
        postedAmount: Amount(micros: 1), twoPhase: false, state: "posted", reason: "spend by agent \(awkward)",
        metadata: ["agent_id": "coder", "kind": "spend"], createdAt: time, expiresAt: nil, resolvedAt: time)
    static let alert = AlertBody(
        id: "alert_1", agentID: "coder", poolID: "pool_1", level: "warning", usagePercent: "76.50", used: 115,
        budget: 150, transferID: "spd_1", createdAt: time)
    static let receipt = ReceiptBody(
        transactionID: "tx_1", requester: "system_a", giver: "system_b", amount: 200, status: "accepted", reason: nil,
        decidedAt: time, signedEnvelope: "AAEC+/==")
    static let transaction = FederationTransactionBody(
        transactionID: "tx_1", direction: "outgoing", kind: "transfer", peer: "system_b", agentID: "coder", amount: 200,
        status: "accepted", reason: nil, createdAt: time, settledAt: time, receipt: receipt)
    static let grant = GrantBody(proposalID: "prop_1", requested: 2000, granted: 1600, status: "accepted", reason: nil)
    static let peer = PeerBody(
        systemID: "system_b", address: "127.0.0.1:9082", publicKey: "5kbXRxoMGH5VJobVV0wFGknAlvid/8xc7+P9v4YCwDY=",
        trustLevel: "0.8000", effectiveTrust: "0.7500", goodMessages: 10, badMessages: 1, lastContact: time,
        lastOffenseAt: nil, source: "config", createdAt: time)
    static let adaptive = AdaptiveSizingBody(
        adjustmentIntervalSeconds: 60, minPoolBudget: 100, maxPoolBudget: 5000, utilizationTarget: "0.7",
        growthRate: "0.1", shrinkRate: "0.05", minAgentsForAdjustment: 2)
    static let reallocation = PriorityReallocationBody(
        reallocationIntervalSeconds: 30, emergencyThreshold: 10, minBudgetPercentage: "0.05", reservePercentage: "0.1",
        priorityWeights: ["CRITICAL": "4", "high": "2.5"])
    static let profiles = TimeProfilesBody(
        timeZone: "Europe/Berlin",
        profiles: [
            "Night": .init(budget: 10, startTime: "22:00", endTime: "06:00", days: [0, 1, 2]),
            "day": .init(budget: 100, startTime: "06:00", endTime: "22:00", days: []),
        ])
    static let prediction = UsagePredictionBody(
        safetyMargin: "1.2", predictionWindowHours: 24, updateIntervalSeconds: 3600, learningPeriodDays: 14,
        timeBucketMinutes: 60, minDataPoints: 10, predictionConfidence: "0.7", timeZone: "UTC")
    static let learning = ReinforcementLearningBody(
        learningRate: "0.01", discountFactor: "0.9", explorationRate: "0.1", maxBudgetChangePercentage: "0.3",
        trainingEpisodes: 1000, updateIntervalSeconds: 3600, learningPeriodDays: 7, minDataPoints: 20,
        seed: .max, timeZone: "UTC", reward: RewardWeightsBody(), stateFeatures: ["time_of_day", "recent_usage"])
    static let decision = DecisionBody(
        policy: "adaptive_sizing", poolID: "pool_1", agentID: nil, oldValue: 100, newValue: 120,
        reason: "utilization above target", inputs: ["utilization": "0.9", "Target": "0.7"], transferID: "bud_1",
        at: time)

    /// Runs `check` on each value, with its concrete type.
    static func forEachBody(_ check: some BodyCheck) throws {
        // Budgets and the ledger.
        try check(HealthBody(status: "ok", systemID: "system_a"))
        try check(CreatePoolRequest(name: "research", initialBudget: 1000, priority: 7))
        try check(CreatePoolRequest(
            name: awkward, initialBudget: Amount(micros: 1), priority: 1, metadata: metadata, idempotencyKey: "k-1"))
        try check(pool)
        try check(PoolListBody(pools: [pool, pool], next: "cursor"))
        try check(PoolListBody(pools: [], next: nil))
        try check(RegisterAgentRequest(agentID: "coder", poolID: "pool_1", priority: "HIGH", initialBudget: 150))
        try check(RegisterAgentRequest(
            agentID: "c", poolID: "p", priority: "LOW", initialBudget: 1, idempotencyKey: awkward))
        try check(agentBudget)
        try check(agent)
        try check(AgentListBody(agents: [agent], next: nil))
        try check(UpdateBudgetRequest(budget: 200, reason: awkward, idempotencyKey: "b"))
        try check(ReserveRequest(amount: 20))
        try check(ReserveRequest(amount: Amount(micros: -1), idempotencyKey: "r/1", timeoutSeconds: .max))
        try check(reservation)
        try check(ReservationBody(
            reservationID: "rsv_2", agentID: "", amount: .max, state: "posted", settledAmount: Amount(micros: -.max),
            expiresAt: nil, createdAt: time, resolvedAt: time))
        try check(SettleRequest(amount: Amount(micros: 12_500_000)))
        try check(SpendRequest(amount: 1))
        try check(SpendRequest(amount: Amount(micros: 999_999), idempotencyKey: awkward))
        try check(transfer)
        try check(TransferBody(
            id: "rsv:k", debitAccount: "a", creditAccount: "b", amount: 5, postedAmount: .zero, twoPhase: true,
            state: "pending", reason: "", metadata: metadata, createdAt: time, expiresAt: time, resolvedAt: nil))
        try check(alert)
        try check(AlertListBody(alerts: [alert], next: "7"))
        try check(LedgerCheckBody(
            balanced: false, debits: "1.000000", credits: "2.000000", debitsPending: "0.000000",
            creditsPending: "-0.000001", accounts: 5, overdrawnAccounts: ["agent:x"]))
        try check(ProblemBody(title: "Bad Request", status: 400, detail: awkward, code: "invalid_request"))
        try check(ProblemBody(title: "Too Many Requests", status: 429, detail: "slow", code: "rate_limited", retryAfterSeconds: 3))
        // Federation.
        try check(RemoteBudgetRequest(agentID: "coder", remoteSystemID: "system_b", amount: 200))
        try check(RemoteBudgetRequest(
            agentID: "coder", remoteSystemID: "system_b", amount: 200, metadata: metadata, idempotencyKey: "x"))
        try check(RemoteReturnRequest(agentID: "coder", remoteSystemID: "system_b", amount: 5, idempotencyKey: "y"))
        try check(receipt)
        try check(transaction)
        try check(FederationTransactionList(transactions: [transaction], next: nil))
        try check(CreateFederatedPoolRequest(
            name: "shared", localBudget: 100, priority: 5, metadata: metadata,
            remoteAllocations: ["system_b": 2000, "System_C": 1000], idempotencyKey: "f"))
        try check(grant)
        try check(FederatedPoolBody(poolID: "pool_1", pool: pool, grants: ["system_b": grant, "SYSTEM_C": grant]))
        try check(EvidenceReport(checked: 2, problems: [.init(transactionID: "tx_1", peer: "system_b", problem: awkward)]))
        try check(AccountBalancesBody(
            accounts: [.init(id: "agent:coder", balance: 5, debitsPending: 1, creditsPending: .zero)], next: "agent:coder"))
        try check(SyncStatusBody(
            systemID: "system_a", generation: "7", version: "12",
            peers: [
                SyncPeerBody(
                    systemID: "system_b", state: "alive", trustLevel: "0.8000", effectiveTrust: "0.8000", lastSync: time,
                    lastSeenVersion: "g3/v4", versionsBehind: 0, pendingTransfers: 2, disagreementsFound: 1,
                    disagreementsRepaired: 1, balances: ["research": 10, "Ops": 20], lastError: nil)
            ]))
        try check(SyncResultsBody(results: [
            "system_b": SyncResultBody(success: true, lastSync: time, error: nil),
            "System_C": SyncResultBody(success: false, lastSync: nil, error: awkward),
        ]))
        // Peers.
        try check(PeerRequest(systemID: "system_b", address: "127.0.0.1:9082", trustLevel: "0.8", publicKey: "a+b/c="))
        try check(peer)
        try check(PeerListBody(peers: [peer], next: nil))
        try check(PingResultBody(systemID: "system_b", roundTripMs: "1.25", effectiveTrust: "0.8000"))
        // Policies.
        try check(adaptive)
        try check(reallocation)
        try check(PriorityReallocationBody(
            reallocationIntervalSeconds: 1, emergencyThreshold: 1, minBudgetPercentage: "0", reservePercentage: "0"))
        try check(profiles)
        try check(PoolPoliciesBody(
            poolID: "pool_1", frozen: true, adaptiveSizing: adaptive, priorityReallocation: reallocation,
            timeProfiles: profiles, usagePrediction: prediction, reinforcementLearning: learning, activeProfile: "Night"))
        try check(PoolPoliciesBody(
            poolID: "pool_1", frozen: false, adaptiveSizing: nil, priorityReallocation: nil, timeProfiles: nil,
            activeProfile: nil))
        try check(RateLimitBody(maxBudget: 10, timeWindowSeconds: 60))
        try check(RateLimitStatusBody(agentID: "coder", maxBudget: 10, timeWindowSeconds: 60, used: 4, available: 6))
        try check(RateLimitCheckBody(
            agentID: "coder", amount: 7, limited: true, allowed: false, retryAfterSeconds: 12, maxBudget: 10,
            timeWindowSeconds: 60, used: 4))
        try check(RateLimitCheckBody(agentID: "coder", amount: 7, limited: false, allowed: true, retryAfterSeconds: 0))
        try check(decision)
        try check(DecisionListBody(decisions: [decision], next: "9"))
        // Resources and cost-benefit.
        try check(ResourceBudgetsRequest(budgets: amounts, idempotencyKey: "rb"))
        try check(ResourcesBody(
            agentID: "coder", budgets: ["gpu": .init(total: 10, available: 5, reserved: 5), "API": .init(total: 1, available: 1, reserved: 0)]))
        try check(ResourceReserveRequest(amounts: amounts, idempotencyKey: "rr", timeoutSeconds: 30))
        try check(ResourceReservationBody(
            reservationID: "rres_1", agentID: "coder", amounts: amounts, states: ["gpu": "pending", "API": "posted"]))
        try check(ResourceSettleRequest(used: amounts))
        try check(OperationProfileBody(
            agentID: "coder", operationType: "search", averageCost: 2, averageBenefit: 5, benefitVariability: "0.2", benefitStddev: 1))
        try check(OptimizeRequest(totalBudget: 1000, minAllocationPercentage: "0.05", riskTolerance: "0.5", apply: true))
        try check(OptimizeResult(allocations: ["coder": 600, "Writer": 400], objective: "12.5", applied: false))
        try check(OptimizeResult(
            allocations: ["coder": 600], objective: "12.5", applied: true, expectedBenefit: 1500, benefitStddev: Amount(micros: 12_345)))
        try check(BenefitReport(agentID: "coder", benefit: 7))
        try check(EffectivenessBody(
            lookbackDays: 7, metric: "roi",
            agents: ["coder": .init(spent: 10, benefit: 15, roi: "0.5"), "Idle": .init(spent: 0, benefit: 0, roi: nil)]))
        // Learning.
        try check(PredictionBody(agentID: "coder", hours: 24, predictedBudget: 12, confidence: "0.8", dataPoints: 40))
        try check(PredictionBody(
            agentID: "coder", hours: 168, predictedBudget: 12, confidence: "0.5", dataPoints: 40, from: time,
            low: Amount(micros: 9_600_000), high: Amount(micros: 14_400_000), windows: 1, regimeChange: true))
        try check(PatternsBody(
            agentID: "coder", timeBucketMinutes: 60, learningPeriodDays: 14, weeks: 2, dataPoints: 40,
            buckets: [.init(day: 0, start: "09:00", mean: 3)]))
        try check(prediction)
        try check(UsagePredictionBody())
        try check(learning)
        try check(ReinforcementLearningBody())
        try check(OptimizerPolicyBody(pools: [
            .init(
                poolID: "pool_1", trainedAt: time, trainingEpisodes: 1000, updateIntervalSeconds: 3600,
                maxBudgetChangePercentage: "0.3",
                agents: [.init(agentID: "coder", priority: "HIGH", baseline: 3, allowance: nil, stepsLearned: 5)],
                states: [
                    .init(
                        state: 3, timeOfDay: "morning", day: "weekday", priority: "HIGH", recentUsage: "low",
                        remainingBudget: "high", action: "+15%", values: ["-15%": "0.1000", "+7.5%": "0.2000", "0%": "0"])
                ])
        ]))
    }
}

/// A check of one body value, generic over its type.
protocol BodyCheck {
    func callAsFunction<T: Codable & Equatable & Sendable>(_ value: T) throws
}
