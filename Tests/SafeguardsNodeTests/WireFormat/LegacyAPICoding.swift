import Foundation
import SafeguardsAPI
import SafeguardsCore

@testable import SafeguardsNode

/// The API's JSON coders as they were before each body spelled out its keys: key strategies that
/// converted every key at run time (`agentID` ↔ `agent_id`) and left the entries of known map
/// properties alone. Kept here as the reference the wire format is compared against.
enum LegacyAPICoding {
    static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .custom { path in
            let key = path.last?.stringValue ?? ""
            return WireKey(isMapEntry(path) ? key : snakeCase(key))
        }
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    /// The legacy decoder, for bodies with the current `CodingKeys`. It turned a wire key into a
    /// Swift name (`camelCase`) and matched that with the property's name; the current keys are
    /// those names in `snakeCase` (`WireFormatTests` checks it by reflection), so the Swift name
    /// is turned into its current key to find the same property. `agentID` and `agent_id` both
    /// still find `agent_id`, as both found `agentID` then.
    static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .custom { path in
            let key = path.last?.stringValue ?? ""
            return WireKey(isMapEntry(path) ? key : snakeCase(camelCase(key)))
        }
        return decoder
    }

    static let mapProperties: Set<String> = [
        "metadata", "remoteAllocations", "remote_allocations", "grants", "balances", "results", "inputs",
        "priorityWeights", "priority_weights", "profiles", "budgets", "amounts", "used", "states", "allocations", "agents",
    ]

    static func isMapEntry(_ path: [any CodingKey]) -> Bool {
        path.count >= 2 && mapProperties.contains(path[path.count - 2].stringValue)
    }

    static func snakeCase(_ name: String) -> String {
        var words: [String] = []
        var current = ""
        for character in name {
            if character.isUppercase, !current.isEmpty, !(current.last?.isUppercase ?? false) {
                words.append(current)
                current = ""
            }
            current.append(character)
        }
        if !current.isEmpty { words.append(current) }
        return words.map { $0.lowercased() }.joined(separator: "_")
    }

    static func camelCase(_ key: String) -> String {
        let parts = key.split(separator: "_", omittingEmptySubsequences: false)
        guard let first = parts.first else { return key }
        return String(first)
            + parts.dropFirst().map { part in
                part == "id" ? "ID" : part.prefix(1).uppercased() + part.dropFirst()
            }.joined()
    }

    /// The error a request body got: the strict check, then the legacy decoder, its error described
    /// as the node described it then (each key of the path converted to snake_case).
    static func refusal<T: Decodable>(_ type: T.Type, _ text: String) -> SafeguardsError? {
        let data = Data(text.utf8)
        do {
            try StrictJSON.validate(data)
        } catch {
            switch error {
            case .duplicateKey: return .invalidRequest("the body has a \(error.description)")
            case .tooDeep, .invalid: return .invalidRequest("the body is not valid JSON: \(error.description)")
            }
        }
        do {
            _ = try decoder().decode(T.self, from: data)
            return nil
        } catch let error as DecodingError {
            // Each key of the path was a Swift name, written in snake_case.
            return JSONBody.describe(error, keyName: snakeCase)
        } catch {
            return .invalidRequest("the body is not valid JSON")
        }
    }

    private struct WireKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ string: String) { stringValue = string }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}
