import Foundation
import SafeguardsNode
import Testing

/// Found by the fuzzer (Fuzz/, target `config`): a policy written in YAML became JSON whose key
/// order followed a dictionary's, which differs from one instance to the next, so one config file
/// parsed twice gave two unequal configs.
@Suite("Config parsing is a function of the text")
struct ConfigDeterminismTests {
    @Test func theSameTextGivesEqualConfigs() throws {
        let parameters = [
            ("learning_rate", "0.01"), ("discount_factor", "0.9"), ("exploration_rate", "0.1"),
            ("max_budget_change_percentage", "0.3"), ("training_episodes", "1000"), ("update_interval_seconds", "3600"),
            ("seed", "7"),
        ]
        let yaml =
            "policies:\n  pools:\n    research:\n      reinforcement_learning:\n"
            + parameters.map { "        \($0.0): \($0.1)\n" }.joined()
        let first = try NodeConfig.parse(yaml: yaml)
        for _ in 0..<20 {
            #expect(try NodeConfig.parse(yaml: yaml) == first)
        }
        let json = try #require(first.policies.pools["research"]?["reinforcement_learning"])
        #expect(String(decoding: json, as: UTF8.self).hasPrefix(#"{"discount_factor":"0.9","exploration_rate""#))
    }
}
