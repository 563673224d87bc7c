import ArgumentParser
import SafeguardsCore

/// Parses option values the node would otherwise refuse, so the mistake is reported before
/// anything is sent, naming the option.
enum ValueParsing {
    /// An exact decimal amount (`"5"`, `"3.2"`, `"0.0004"`), never rounded.
    ///
    /// - Throws: `ValidationError` naming `option` when the text is not an amount.
    static func amount(_ text: String, option: String) throws(ValidationError) -> Amount {
        do {
            return try Amount(parsing: text)
        } catch {
            throw ValidationError("\(option): \(error.description)")
        }
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
    static func amounts(_ pairs: [String], option: String) throws(ValidationError) -> [String: Amount] {
        var amounts: [String: Amount] = [:]
        for (key, value) in try metadata(pairs, option: option) { amounts[key] = try amount(value, option: option) }
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
