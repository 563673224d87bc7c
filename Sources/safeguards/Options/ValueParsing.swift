import ArgumentParser
import SafeguardsCore

/// Parses option values the node would otherwise refuse, so the mistake is reported before
/// anything is sent, naming the option.
enum ValueParsing {
    /// What an amount option accepts besides being an exact decimal.
    enum AmountRule {
        /// Any amount.
        case any
        /// Zero or more (budgets).
        case notNegative
        /// More than zero (what is reserved, spent, settled, asked for or given back).
        case positive
    }

    /// An exact decimal amount (`"5"`, `"3.2"`, `"0.0004"`), never rounded.
    ///
    /// Amount options are parsed unconditionally (`@Option(parsing: .unconditional)`), so that
    /// `--amount -3` reaches this check and is refused as an amount rather than read as an option.
    ///
    /// - Throws: `ValidationError` naming `option` when the text is not an amount or breaks `rule`.
    static func amount(_ text: String, option: String, rule: AmountRule = .any) throws(ValidationError) -> Amount {
        let amount: Amount
        do {
            amount = try Amount(parsing: text)
        } catch {
            throw ValidationError("\(option): \(error.description)")
        }
        switch rule {
        case .any:
            break
        case .notNegative:
            guard !amount.isNegative else { throw ValidationError("\(option): must not be negative (got \(text))") }
        case .positive:
            guard amount.isPositive else { throw ValidationError("\(option): must be greater than zero (got \(text))") }
        }
        return amount
    }

    /// `key=value` pairs from repeated `--metadata` options; a key given twice is refused.
    static func metadata(_ pairs: [String], option: String = "--metadata") throws(ValidationError) -> [String: String] {
        var metadata: [String: String] = [:]
        for pair in pairs {
            guard let equals = pair.firstIndex(of: "="), equals != pair.startIndex else {
                throw ValidationError("\(option): '\(pair.prefix(64))' is not key=value")
            }
            let key = String(pair[..<equals])
            guard metadata[key] == nil else {
                throw ValidationError("\(option): key '\(key.prefix(64))' is given twice")
            }
            metadata[key] = String(pair[pair.index(after: equals)...])
        }
        return metadata
    }

    /// `key=amount` pairs from repeated options, each amount exact.
    static func amounts(_ pairs: [String], option: String, rule: AmountRule = .any) throws(ValidationError)
        -> [String: Amount]
    {
        var amounts: [String: Amount] = [:]
        for (key, value) in try metadata(pairs, option: option) {
            amounts[key] = try amount(value, option: "\(option) \(key)", rule: rule)
        }
        return amounts
    }

    /// An agent priority word (`CRITICAL`, `high`, ...), written back in the API's upper case.
    static func agentPriority(_ text: String, option: String = "--priority") throws(ValidationError) -> String {
        do {
            return try AgentPriority(parsing: text).rawValue
        } catch {
            throw ValidationError("\(option): \(error.message)")
        }
    }

    /// A pool priority, 1 (least important) to 10 (most important).
    static func poolPriority(_ value: Int, option: String = "--priority") throws(ValidationError) -> Int {
        guard PoolPriority.range.contains(value) else {
            throw ValidationError("\(option): \(value) is outside 1-10 (10 is most important)")
        }
        return value
    }
}
