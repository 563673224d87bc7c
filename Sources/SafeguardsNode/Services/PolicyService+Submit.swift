import Logging
import SafeguardsCore
import SafeguardsStore

/// Submitting a policy's change, and the fallback when the ledger refuses it.
extension PolicyService {
    /// Applies the change with its decision; when the ledger refuses it, the budget stays as it
    /// is (the static budget) and the fallback is logged.
    ///
    /// A policy that proposes the same change at every tick and is refused for the same reason
    /// would log a row each time (86,400 a day at a one-second tick): the first refusal is logged,
    /// the repeats are counted, and when something changes (another proposal, another reason, or
    /// the change goes through) one row says how many times it was repeated and over what span.
    @discardableResult
    func submit(_ command: BudgetCommand, _ decision: DecisionRecord, key: String) async -> Bool {
        do {
            _ = try await writer.submitAsCaller(.decided(command, decision))
            lastChange[key] = now()
            closeRefusalStreak(key)
            return true
        } catch {
            let signature = "\(decision.policy)|\(decision.newValue)|\(error.message)"
            if var streak = refusals[key], streak.signature == signature {
                streak.repeats += 1
                streak.last = now()
                refusals[key] = streak
                return false
            }
            closeRefusalStreak(key)
            logger.warning(
                "a policy change was refused; the budget stays as it is",
                metadata: ["policy": "\(decision.policy)", "target": "\(key)", "error": "\(error)"])
            var fallback = decision
            fallback.newValue = decision.oldValue
            fallback.transferID = nil
            fallback.actor = APICaller.current
            fallback.reason = "fallback to the static budget: \(error.message) (proposed \(decision.newValue): \(decision.reason))"
            try? store.logDecision(fallback)
            refusals[key] = RefusalStreak(signature: signature, fallback: fallback, first: now(), last: now())
            return false
        }
    }

    /// Ends `key`'s refusal streak; when the refusal was repeated, logs how often.
    private func closeRefusalStreak(_ key: String) {
        guard let streak = refusals.removeValue(forKey: key), streak.repeats > 0 else { return }
        var summary = streak.fallback
        summary.reason =
            "the same refusal repeated \(streak.repeats) more time\(streak.repeats == 1 ? "" : "s") "
            + "from \(streak.first) to \(streak.last): \(streak.fallback.reason)"
        summary.inputs["repeats"] = String(streak.repeats)
        summary.at = now()
        summary.actor = nil
        try? store.logDecision(summary)
    }
}

/// A refusal that repeats at every tick: logged once, then counted.
struct RefusalStreak: Sendable {
    /// Policy, proposed value and reason: a repeat has the same.
    var signature: String
    /// The fallback row logged for the first refusal.
    var fallback: DecisionRecord
    var first: Timestamp
    var last: Timestamp
    var repeats = 0

    init(signature: String, fallback: DecisionRecord, first: Timestamp, last: Timestamp) {
        self.signature = signature
        self.fallback = fallback
        self.first = first
        self.last = last
    }
}
