import SafeguardsAPI
import SafeguardsCore

/// How much of a budget is used, for people.
enum Usage {
    /// `used / budget` as a percentage with two decimals, rounded down (`"76.00%"`).
    static func percent(used: Amount, of budget: Amount) -> String {
        let basisPoints = used.basisPoints(of: budget)
        let hundredths = basisPoints % 100
        return "\(basisPoints / 100).\(hundredths < 10 ? "0" : "")\(hundredths)%"
    }

    /// What an agent has used this period: spent plus reserved.
    static func used(_ budget: AgentBudgetBody) -> Amount {
        let spent = budget.spentThisPeriod ?? budget.spent
        // Both are parts of one budget that fits in an Amount, so the sum fits too; the fallback
        // only guards against a malformed answer.
        return (try? spent.adding(budget.reserved)) ?? spent
    }

    /// The agent's used share of its total budget.
    static func percent(of budget: AgentBudgetBody) -> String {
        percent(used: used(budget), of: budget.total)
    }
}
