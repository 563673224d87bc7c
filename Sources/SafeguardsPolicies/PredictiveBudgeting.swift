import SafeguardsCore

/// Applies usage predictions to agents' budgets, after the original's `apply_optimized_budgets`:
/// every `updateInterval`, an agent whose usage over the next `windowHours` is predicted with at
/// least the settings' `predictionConfidence` gets its available budget set to the prediction
/// times `safetyMargin`: its budget becomes what it has used (spent and reserved) plus that.
/// An agent the learner declines keeps its budget (the static budget).
public struct PredictiveBudgeting: Sendable, Hashable {
    public var settings: UsagePatternSettings
    public var safetyMargin: Ratio
    public var windowHours: Int
    public var updateInterval: Duration

    public init(
        settings: UsagePatternSettings = UsagePatternSettings(), safetyMargin: Ratio = Ratio(basisPoints: 12_000),
        windowHours: Int = 24, updateInterval: Duration = .seconds(3600)
    ) {
        self.settings = settings
        self.safetyMargin = safetyMargin
        self.windowHours = windowHours
        self.updateInterval = updateInterval
    }

    public func validate() throws(PolicyError) {
        try settings.validate()
        guard (10_000...50_000).contains(safetyMargin.basisPoints) else {
            throw PolicyError("safety_margin must be between 1 and 5 (1.2 adds 20%)")
        }
        guard (1...744).contains(windowHours) else { throw PolicyError("prediction_window_hours must be 1-744") }
        guard updateInterval >= .seconds(60), updateInterval <= .seconds(31 * 86_400) else {
            throw PolicyError("update_interval_seconds must be between 60 and 2678400 (31 days)")
        }
    }

    /// The agent's budget that leaves it the prediction times the margin to spend.
    public func propose(agent: AgentUsage, prediction: UsagePrediction) -> PolicyProposal {
        let target = safetyMargin.of(prediction.predictedBudget)
        let budget = (try? agent.used.adding(target)) ?? agent.budget
        return PolicyProposal(
            oldValue: agent.budget, newValue: budget,
            reason: "predicted \(prediction.predictedBudget) for the next \(windowHours) h "
                + "(confidence \(prediction.confidence) of \(prediction.low)-\(prediction.high), \(prediction.windows) past windows"
                + (prediction.regimeChange ? " since usage changed" : "") + ", \(prediction.dataPoints) uses) × \(safetyMargin) safety margin",
            inputs: [
                "predicted_budget": prediction.predictedBudget.description, "confidence": prediction.confidence.description,
                "data_points": String(prediction.dataPoints), "safety_margin": safetyMargin.description,
                "window_hours": String(windowHours), "used": agent.used.description, "windows": String(prediction.windows),
                "regime_change": String(prediction.regimeChange),
            ])
    }

    /// Why an agent keeps its budget, in words for the decision log.
    public static func describe(_ refusal: UsagePredictionRefusal) -> String {
        switch refusal {
        case .insufficientData(let points, let needed):
            "too little history to predict: \(points) uses in the learning period, \(needed) needed"
        case .noPastWindow(let hours, let days):
            "too little history to predict: no whole past \(hours) h window of the same weekly phase in \(days) days"
        case .lowConfidence(let prediction, let threshold):
            "usage too irregular to predict: confidence \(prediction.confidence) is below \(threshold)"
        }
    }
}
