import SafeguardsCore

/// Limits on every automatic change, whatever the policy: at most `maxChangePerStep` of the
/// current value per step, and no change to the same target within `coolDown` of the last one.
/// A frozen pool (human override) gets no automatic change at all.
public struct SafetyRails: Sendable, Hashable {
    public var maxChangePerStep: Ratio
    public var coolDown: Duration

    public init(maxChangePerStep: Ratio = Ratio(basisPoints: 5000), coolDown: Duration = .seconds(60)) {
        self.maxChangePerStep = maxChangePerStep
        self.coolDown = coolDown
    }

    /// The proposal within the step limit (its reason says so when it was cut), or `nil` when the
    /// target is cooling down or nothing is left to change.
    public func bound(_ proposal: PolicyProposal, lastChange: Timestamp?, now: Timestamp) -> PolicyProposal? {
        if let lastChange, lastChange.duration(to: now) < coolDown { return nil }
        var bounded = proposal
        let step = maxChangePerStep.of(proposal.oldValue)
        let up = (try? proposal.oldValue.adding(step)) ?? proposal.newValue
        let down = (try? proposal.oldValue.subtracting(step)) ?? proposal.newValue
        if proposal.newValue > up, proposal.oldValue.isPositive {
            bounded.newValue = up
            bounded.reason += "; limited to +\(maxChangePerStep) per step"
        } else if proposal.newValue < down {
            bounded.newValue = max(down, .zero)
            bounded.reason += "; limited to -\(maxChangePerStep) per step"
        }
        return bounded.newValue == bounded.oldValue ? nil : bounded
    }
}
