import Foundation
import Hummingbird
import SafeguardsAPI
import SafeguardsCore
import SafeguardsPolicies
import SafeguardsStore

/// Dynamic allocation: pool policies, freezes, agent rate limits and the decision log.
struct PolicyRoutes: Sendable {
    let policies: PolicyService
    let rateLimits: AgentRateLimits
    let operations: BudgetOperations
    let maxBodyBytes: Int

    func add(to v1: RouterGroup<NodeRequestContext>) {
        v1.put("pools/:id/policies/:kind") { request, context in
            let pool = try await poolID(context)
            let kind: String = try context.parameters.require("kind")
            var request = request
            let buffer = try await request.collectBody(upTo: maxBodyBytes)
            guard buffer.readableBytes > 0 else { throw SafeguardsError.invalidRequest("the request needs a JSON body") }
            let json = Data(buffer.readableBytesView)
            try JSONBody.checkStrict(json)
            return JSONBody.response(try await policies.setPolicy(kind: kind, json: json, pool: pool))
        }
        v1.delete("pools/:id/policies/:kind") { _, context in
            let pool = try await poolID(context)
            return JSONBody.response(try await policies.removePolicy(kind: try context.parameters.require("kind"), pool: pool))
        }
        v1.get("pools/:id/policies") { _, context in
            JSONBody.response(try await policies.policiesBody(try await poolID(context)))
        }
        v1.post("pools/:id/policies/apply") { _, context in
            JSONBody.response(try await policies.apply(try await poolID(context)))
        }
        v1.post("pools/:id/freeze") { _, context in
            JSONBody.response(try await policies.setFrozen(try await poolID(context), true))
        }
        v1.post("pools/:id/unfreeze") { _, context in
            JSONBody.response(try await policies.setFrozen(try await poolID(context), false))
        }
        v1.post("agents/:id/rate-limit") { request, context in
            let body = try await JSONBody.decode(RateLimitBody.self, from: request, limit: maxBodyBytes)
            let agent = try await limitedAgent(context)
            guard body.maxBudget.isPositive else { throw SafeguardsError.invalidAmount("max_budget must be positive") }
            guard (1...31_536_000).contains(body.timeWindowSeconds) else {
                throw SafeguardsError.invalidRequest("time_window_seconds must be between 1 and 31536000 (a year)")
            }
            try await rateLimits.set(agent, RateLimit(maxBudget: body.maxBudget, window: .seconds(body.timeWindowSeconds)))
            return JSONBody.response(body)
        }
        v1.get("agents/:id/rate-limit") { _, context in
            let agent = try await limitedAgent(context)
            guard let check = await rateLimits.check(agent, .zero, at: .now()) else {
                throw SafeguardsError.notFound("agent \(agent) has no rate limit")
            }
            return JSONBody.response(Self.status(agent, check))
        }
        v1.delete("agents/:id/rate-limit") { _, context in
            let agent = try await limitedAgent(context)
            guard let check = await rateLimits.check(agent, .zero, at: .now()), try await rateLimits.remove(agent) != nil else {
                throw SafeguardsError.notFound("agent \(agent) has no rate limit")
            }
            return JSONBody.response(Self.status(agent, check))
        }
        v1.get("agents/:id/rate-limit/check") { request, context in
            let agent = try await limitedAgent(context)
            var amount = Amount(micros: 1)
            if let text = request.uri.queryParameters["amount"] {
                do { amount = try Amount(parsing: String(text)) } catch {
                    throw SafeguardsError.invalidAmount("amount: '\(text)' is not a decimal amount")
                }
                guard amount.isPositive else { throw SafeguardsError.invalidAmount("amount must be positive") }
            }
            guard let check = await rateLimits.check(agent, amount, at: .now()) else {
                return JSONBody.response(
                    RateLimitCheckBody(agentID: agent.rawValue, amount: amount, limited: false, allowed: true, retryAfterSeconds: 0))
            }
            return JSONBody.response(
                RateLimitCheckBody(
                    agentID: agent.rawValue, amount: amount, limited: true, allowed: check.allowed,
                    retryAfterSeconds: check.retryAfterSeconds, maxBudget: check.limit.maxBudget,
                    timeWindowSeconds: Int(check.limit.window.components.seconds), used: check.used))
        }
        v1.post("agents/:id/resources") { request, context in
            let body = try await JSONBody.decode(ResourceBudgetsRequest.self, from: request, limit: maxBodyBytes)
            let agent = try BudgetOperations.agentID(try context.parameters.require("id"))
            let transferID = try BudgetOperations.transferID(prefix: "resb", key: body.idempotencyKey)
            _ = try await operations.writer.submitAsCaller(.setResourceBudgets(agent, budgets: body.budgets, transferID: transferID))
            return JSONBody.response(await resources(agent))
        }
        v1.get("agents/:id/resources") { _, context in
            let agent = try BudgetOperations.agentID(try context.parameters.require("id"))
            _ = try await operations.agent(agent.rawValue)
            return JSONBody.response(await resources(agent))
        }
        v1.post("agents/:id/resources/reserve") { request, context in
            let body = try await JSONBody.decode(ResourceReserveRequest.self, from: request, limit: maxBodyBytes)
            let agent = try BudgetOperations.agentID(try context.parameters.require("id"))
            let reservationID = try BudgetOperations.transferID(prefix: "rres", key: body.idempotencyKey)
            var timeout: Duration? = operations.defaultReservationTimeout
            if let seconds = body.timeoutSeconds {
                guard (1...2_592_000).contains(seconds) else {
                    throw SafeguardsError.invalidRequest("timeout_seconds must be between 1 and 2592000 (30 days)")
                }
                timeout = .seconds(seconds)
            }
            let result = try await operations.writer.submitAsCaller(
                .reserveResources(agent, amounts: body.amounts, reservationID: reservationID, timeout: timeout))
            guard case .resources(let transfers, let replayed) = result else { throw BudgetOperations.unexpected(result) }
            return APIRoutes.created(Self.reservation(reservationID, agent: agent, transfers), replayed: replayed)
        }
        v1.post("resource-reservations/:id/settle") { request, context in
            let body = try await JSONBody.decode(ResourceSettleRequest.self, from: request, limit: maxBodyBytes)
            return try await resolve(context, used: body.used)
        }
        v1.post("resource-reservations/:id/release") { _, context in
            try await resolve(context, used: nil)
        }
        v1.post("cost-benefit/operations") { request, _ in
            let body = try await JSONBody.decode(OperationProfileBody.self, from: request, limit: maxBodyBytes)
            let agent = try BudgetOperations.identifier(AgentID.self, body.agentID, field: "agent_id")
            _ = try await operations.agent(agent.rawValue)
            guard !body.operationType.isEmpty, body.operationType.count <= 64 else {
                throw SafeguardsError.invalidRequest("operation_type must be 1-64 characters")
            }
            let profile = try Self.operationProfile(body)
            // The store keeps the absolute standard deviation, whichever form was given.
            try store {
                try operations.store.saveOperation(
                    agent: agent, type: body.operationType, averageCost: body.averageCost, averageBenefit: body.averageBenefit,
                    variability: profile.benefitStandardDeviation)
            }
            var stored = body
            stored.benefitVariability = profile.benefitVariability.map { RatioText($0.description) }
            stored.benefitStddev = profile.benefitStandardDeviation
            return JSONBody.response(stored, status: .created)
        }
        v1.post("cost-benefit/optimize") { request, _ in
            let body = try await JSONBody.decode(OptimizeRequest.self, from: request, limit: maxBodyBytes)
            return JSONBody.response(try await optimize(body))
        }
        v1.post("cost-benefit/benefits") { request, _ in
            let body = try await JSONBody.decode(BenefitReport.self, from: request, limit: maxBodyBytes)
            let agent = try BudgetOperations.identifier(AgentID.self, body.agentID, field: "agent_id")
            _ = try await operations.agent(agent.rawValue)
            guard !body.benefit.isNegative else { throw SafeguardsError.invalidAmount("benefit must be 0 or more") }
            var recorded = false
            try store { recorded = try operations.store.reportBenefit(agent: agent, benefit: body.benefit, at: .now()) }
            guard recorded else {
                throw SafeguardsError.invalidAmount(
                    "benefit \(body.benefit) is too large: \(agent)'s reported benefits would total more than \(Amount.max)")
            }
            return JSONBody.response(body, status: .created)
        }
        v1.get("cost-benefit/effectiveness") { request, _ in
            let days = request.uri.queryParameters["lookback_days"].flatMap { Int(String($0)) } ?? 7
            let metric = request.uri.queryParameters["metric"].map(String.init) ?? "roi"
            guard (1...3650).contains(days) else { throw SafeguardsError.invalidRequest("lookback_days must be 1-3650") }
            guard metric == "roi" else { throw SafeguardsError.invalidRequest("metric must be roi") }
            return JSONBody.response(try await effectiveness(days: days))
        }
        v1.get("agents/:id/patterns") { request, context in
            let (agent, settings, patterns) = try await learn(request, context)
            let buckets = patterns.buckets().map { bucket in
                PatternsBody.Bucket(
                    day: bucket.day, start: String(format: "%02d:%02d", bucket.startMinute / 60, bucket.startMinute % 60),
                    mean: bucket.mean)
            }
            return JSONBody.response(
                PatternsBody(
                    agentID: agent.rawValue, timeBucketMinutes: settings.timeBucketMinutes,
                    learningPeriodDays: settings.learningPeriodDays, weeks: patterns.weeks,
                    dataPoints: patterns.dataPoints, buckets: buckets))
        }
        v1.get("agents/:id/prediction") { request, context in
            let (agent, _, patterns) = try await learn(request, context)
            let hours = request.uri.queryParameters["hours"].flatMap { Int(String($0)) } ?? 24
            guard (1...24 * 31).contains(hours) else { throw SafeguardsError.invalidRequest("hours must be 1-744") }
            let from = try Self.predictionStart(request.uri.queryParameters["from"], now: patterns.now)
            let prediction: UsagePrediction
            do throws(UsagePredictionRefusal) {
                prediction = try patterns.predict(hours: hours, from: from)
            } catch {
                switch error {
                case .insufficientData(let points, let needed):
                    throw SafeguardsError(
                        .insufficientData, "agent \(agent) has \(points) uses in the learning period; \(needed) are needed")
                case .noPastWindow(let hours, let days):
                    throw SafeguardsError(
                        .insufficientData,
                        "no whole past \(hours) h window of the same weekly phase lies in the \(days)-day learning period of agent \(agent)")
                case .lowConfidence(let prediction, let threshold):
                    throw SafeguardsError(
                        .insufficientData,
                        "usage of agent \(agent) is too irregular to predict: confidence \(prediction.confidence) is below \(threshold)")
                }
            }
            return JSONBody.response(
                PredictionBody(
                    agentID: agent.rawValue, hours: hours, predictedBudget: prediction.predictedBudget,
                    confidence: prediction.confidence.description, dataPoints: prediction.dataPoints, from: from.description,
                    low: prediction.low, high: prediction.high, windows: prediction.windows,
                    regimeChange: prediction.regimeChange))
        }
        v1.get("optimizer/policy") { request, _ in
            var pool: PoolID?
            if let text = request.uri.queryParameters["pool_id"] { pool = try await operations.pool(String(text)).pool.id }
            return JSONBody.response(try await policies.optimizerPolicy(pool: pool))
        }
        v1.get("decisions") { request, _ in
            let pool = try request.uri.queryParameters["pool_id"].map { text throws(SafeguardsError) in
                try BudgetOperations.identifier(PoolID.self, String(text), field: "pool_id")
            }
            let page = try PageRequest(request, list: "decisions")
            let rows: [(sequence: Int64, item: DecisionRecord)]
            do { rows = try operations.store.decisionPage(pool: pool, before: try page.afterSequence(), limit: page.limit + 1) }
            catch let error as SafeguardsError { throw error }
            catch { throw SafeguardsError(.unavailable, "cannot read the decision log") }
            let (decisions, next) = page.page(rows: rows)
            return JSONBody.response(
                DecisionListBody(
                    decisions: decisions.map { decision in
                        DecisionBody(
                            policy: decision.policy, poolID: decision.poolID?.rawValue, agentID: decision.agentID?.rawValue,
                            oldValue: decision.oldValue, newValue: decision.newValue, reason: decision.reason,
                            inputs: decision.inputs, transferID: decision.transferID?.rawValue, at: decision.at.description,
                            actor: decision.actor)
                    }, next: next))
        }
    }

    /// The agent's uses (posted spends and settled reservations) learned into weekly buckets.
    /// Query: `time_bucket_minutes`, `learning_period_days`, `min_data_points`, `prediction_confidence`.
    private func learn(_ request: Request, _ context: NodeRequestContext) async throws
        -> (AgentID, UsagePatternSettings, UsagePatterns)
    {
        let agent = try BudgetOperations.agentID(try context.parameters.require("id"))
        _ = try await operations.agent(agent.rawValue)
        let query = request.uri.queryParameters
        var settings = UsagePatternSettings()
        if let value = query["time_bucket_minutes"].flatMap({ Int(String($0)) }) { settings.timeBucketMinutes = value }
        if let value = query["learning_period_days"].flatMap({ Int(String($0)) }) { settings.learningPeriodDays = value }
        if let value = query["min_data_points"].flatMap({ Int(String($0)) }) { settings.minDataPoints = value }
        if let text = query["prediction_confidence"] {
            do { settings.predictionConfidence = try Ratio(parsing: String(text)) } catch {
                throw SafeguardsError.invalidRequest("prediction_confidence: \(error.message)")
            }
        }
        do { try settings.validate() } catch { throw SafeguardsError.invalidRequest(error.message) }
        let now = Timestamp.now()
        let since = now.advanced(by: .seconds(-settings.learningPeriodDays * 86_400))
        let uses: [(Timestamp, Amount)]
        do { uses = try operations.store.postedUses(agents: [agent], since: since).map { ($0.1, $0.2) } } catch {
            throw SafeguardsError(.unavailable, "cannot read the spending history: \(error)")
        }
        return (agent, settings, UsagePatterns(settings: settings, uses: uses, now: now))
    }

    /// The profile a registration describes: `benefit_variability` (a fraction of the average
    /// benefit, 0 to 10) or `benefit_stddev` (absolute), not both.
    static func operationProfile(_ body: OperationProfileBody) throws(SafeguardsError) -> OperationProfile {
        guard body.averageCost.isPositive else { throw SafeguardsError.invalidAmount("average_cost must be positive") }
        guard !body.averageBenefit.isNegative else { throw SafeguardsError.invalidAmount("average_benefit must be 0 or more") }
        switch (body.benefitVariability, body.benefitStddev) {
        case (.some, .some):
            throw SafeguardsError.invalidRequest(
                "give benefit_variability (a fraction of average_benefit, 0.2 for 20%) or benefit_stddev (absolute), not both")
        case (.some(let text), nil):
            let variability: Ratio
            do { variability = try Ratio(parsing: text.text) } catch {
                throw SafeguardsError.invalidRequest("benefit_variability: \(error.message)")
            }
            guard variability.basisPoints <= 100_000 else {
                throw SafeguardsError.invalidRequest("benefit_variability is a fraction of average_benefit and must be 0 to 10")
            }
            return OperationProfile(
                operationType: body.operationType, averageCost: body.averageCost, averageBenefit: body.averageBenefit,
                benefitVariability: variability)
        case (nil, let deviation):
            guard !(deviation ?? .zero).isNegative else { throw SafeguardsError.invalidAmount("benefit_stddev must be 0 or more") }
            return OperationProfile(
                operationType: body.operationType, averageCost: body.averageCost, averageBenefit: body.averageBenefit,
                benefitStandardDeviation: deviation ?? .zero)
        }
    }

    /// The start of a predicted window: `from` (RFC 3339, the original's `future_time`), from an
    /// hour before `now` (clocks differ) to 31 days after it; `now` when absent.
    static func predictionStart(_ text: Substring?, now: Timestamp) throws(SafeguardsError) -> Timestamp {
        guard let text else { return now }
        guard let from = ISO8601.parse(String(text)) else {
            throw .invalidRequest("from '\(text.prefix(64))' is not an RFC 3339 time such as 2026-12-02T18:30:00Z")
        }
        guard from >= now.advanced(by: .seconds(-3600)), from <= now.advanced(by: .seconds(31 * 86_400)) else {
            throw .invalidRequest("from must be between now and 31 days ahead (\(now) .. \(now.advanced(by: .seconds(31 * 86_400))))")
        }
        return from
    }

    private func store(_ body: () throws -> Void) throws {
        do { try body() } catch { throw SafeguardsError(.unavailable, "storage failed: \(error)") }
    }

    private func profiles() throws -> [AgentID: [OperationProfile]] {
        var profiles: [AgentID: [OperationProfile]] = [:]
        let rows: [(AgentID, String, Amount, Amount, Amount)]
        do { rows = try operations.store.operations() } catch {
            throw SafeguardsError(.unavailable, "cannot read the operation profiles: \(error)")
        }
        for (agent, type, cost, benefit, deviation) in rows {
            profiles[agent, default: []].append(
                OperationProfile(operationType: type, averageCost: cost, averageBenefit: benefit, benefitStandardDeviation: deviation))
        }
        return profiles
    }

    /// Splits the total over the agents with registered operations; with `apply`, moves each
    /// agent's budget toward its share in one linked batch (see ``PolicyService/applyAllocation``).
    private func optimize(_ body: OptimizeRequest) async throws -> OptimizeResult {
        let profiles = try profiles()
        guard !profiles.isEmpty else { throw SafeguardsError.invalidRequest("no operations are registered") }
        let minimum: Ratio
        let tolerance: Ratio
        do {
            minimum = try Ratio(parsing: body.minAllocationPercentage.text)
            tolerance = try Ratio(parsing: body.riskTolerance.text)
        } catch { throw SafeguardsError.invalidRequest(error.message) }
        let allocator = CostBenefitAllocator(profiles: profiles)
        let allocation: [AgentID: Amount]
        do {
            allocation = try allocator.optimize(
                agents: Array(profiles.keys), total: body.totalBudget, minimum: minimum, riskTolerance: tolerance)
        } catch { throw SafeguardsError.invalidRequest(error.message) }
        let objective = allocator.objective(allocation, total: body.totalBudget, riskTolerance: tolerance)
        var applied: [String: Amount]?
        if body.apply == true {
            let budgets = try await policies.applyAllocation(
                allocation, policy: "cost_benefit",
                reason: "cost-benefit allocation of \(body.totalBudget) (risk tolerance \(tolerance))",
                inputs: ["total_budget": body.totalBudget.description, "risk_tolerance": tolerance.description,
                    "min_allocation_percentage": minimum.description],
                operatorOverride: body.operatorOverride == true)
            applied = Dictionary(uniqueKeysWithValues: budgets.map { ($0.key.rawValue, $0.value) })
        } else if body.operatorOverride == true {
            throw SafeguardsError.invalidRequest("operator_override applies only with apply: true")
        }
        let outlook = allocator.outlook(allocation)
        return OptimizeResult(
            allocations: Dictionary(uniqueKeysWithValues: allocation.map { ($0.key.rawValue, $0.value) }),
            objective: String(format: "%.6f", objective), applied: body.apply == true, appliedBudgets: applied,
            expectedBenefit: Amount(approximately: outlook.expected), benefitStddev: Amount(approximately: outlook.deviation))
    }

    /// Spent (posted spends and settled reservations) and reported benefit per agent over the last days.
    private func effectiveness(days: Int) async throws -> EffectivenessBody {
        let since = Timestamp.now().advanced(by: .seconds(-days * 86_400))
        let benefits: [AgentID: Amount]
        do { benefits = try operations.store.benefits(since: since) } catch {
            throw SafeguardsError(.unavailable, "cannot read the benefits: \(error)")
        }
        // Summed in 128 bits: an agent's spending over the lookback can exceed an amount's range.
        var spent: [AgentID: Int128] = [:]
        do {
            for (agent, _, amount) in try operations.store.postedUses(since: since) {
                spent[agent, default: 0] += Int128(amount.micros)
            }
        } catch {
            throw SafeguardsError(.unavailable, "cannot read the spending history: \(error)")
        }
        var entries: [String: EffectivenessBody.Entry] = [:]
        for agent in Set(spent.keys).union(benefits.keys) {
            let cost = spent[agent] ?? 0
            let gain = Int128(benefits[agent]?.micros ?? 0)
            let roi = cost > 0 ? String(format: "%.4f", Double(gain - cost) / Double(cost)) : nil
            entries[agent.rawValue] = .init(spent: Amount(clamping: cost), benefit: Amount(clamping: gain), roi: roi)
        }
        return EffectivenessBody(lookbackDays: days, metric: "roi", agents: entries)
    }

    private func resolve(_ context: NodeRequestContext, used: [String: Amount]?) async throws -> Response {
        let id = try BudgetOperations.identifier(
            TransferID.self, try context.parameters.require("id"), field: "reservation id", notFound: true)
        let result = try await operations.writer.submitAsCaller(.resolveResources(reservationID: id, used: used))
        guard case .resources(let transfers, _) = result, let first = transfers.first,
            let agent = first.metadata[TransferMetadataKey.agent]
        else { throw BudgetOperations.unexpected(result) }
        return JSONBody.response(Self.reservation(id, agent: AgentID(unchecked: agent), transfers))
    }

    private func resources(_ agent: AgentID) async -> ResourcesBody {
        let budgets = operations.writer.view { $0.resourceBudgets(of: agent) }
        return ResourcesBody(
            agentID: agent.rawValue,
            budgets: budgets.mapValues { ResourcesBody.Budget(total: $0.total, available: $0.available, reserved: $0.reserved) })
    }

    static func reservation(_ id: TransferID, agent: AgentID, _ transfers: [Transfer]) -> ResourceReservationBody {
        var amounts: [String: Amount] = [:]
        var states: [String: String] = [:]
        for transfer in transfers {
            guard let type = transfer.metadata[TransferMetadataKey.resource] else { continue }
            amounts[type] = transfer.amount
            states[type] = transfer.state.rawValue
        }
        return ResourceReservationBody(reservationID: id.rawValue, agentID: agent.rawValue, amounts: amounts, states: states)
    }

    /// The path's agent, which must exist.
    private func limitedAgent(_ context: NodeRequestContext) async throws -> AgentID {
        let agent = try BudgetOperations.agentID(try context.parameters.require("id"))
        _ = try await operations.agent(agent.rawValue)
        return agent
    }

    static func status(_ agent: AgentID, _ check: RateLimitCheck) -> RateLimitStatusBody {
        RateLimitStatusBody(
            agentID: agent.rawValue, maxBudget: check.limit.maxBudget,
            timeWindowSeconds: Int(check.limit.window.components.seconds), used: check.used,
            available: (try? check.limit.maxBudget.subtracting(check.used)).map { max($0, .zero) } ?? .zero)
    }

    private func poolID(_ context: NodeRequestContext) async throws -> PoolID {
        try await operations.pool(try context.parameters.require("id")).pool.id
    }
}
