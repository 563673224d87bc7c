import Foundation
import SafeguardsCore

/// The JSON conventions of the API: snake_case keys on the wire (`agent_id`), Swift names in
/// code (`agentID`), sorted output for stable bodies.
public enum APICoding {
    public static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .custom { path in
            let key = path.last?.stringValue ?? ""
            return WireKey(isMapEntry(path) ? key : snakeCase(key))
        }
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    public static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .custom { path in
            let key = path.last?.stringValue ?? ""
            return WireKey(isMapEntry(path) ? key : camelCase(key))
        }
        return decoder
    }

    /// Decodes an API body: the strict check first (no duplicate keys, bounded nesting; see
    /// ``StrictJSON``), then ``decoder()``. Foundation alone would keep the last of two equal keys.
    ///
    /// - Throws: ``StrictJSONError`` when the text is refused by the check, else the decoder's
    ///   `DecodingError`.
    public static func decode<T: Decodable>(_ type: T.Type, from data: Data) throws -> T {
        try StrictJSON.validate(data)
        return try decoder().decode(type, from: data)
    }

    /// Properties that are maps keyed by data (metadata keys, system ids), whose keys are left as written.
    static let mapProperties: Set<String> = ["metadata", "remoteAllocations", "remote_allocations", "grants", "balances", "results", "inputs", "priorityWeights", "priority_weights", "profiles", "budgets", "amounts", "used", "states", "allocations", "agents"]

    /// Whether the last key of `path` is an entry of one of the ``mapProperties``.
    static func isMapEntry(_ path: [any CodingKey]) -> Bool {
        path.count >= 2 && mapProperties.contains(path[path.count - 2].stringValue)
    }

    /// `agentID` → `agent_id`, `retryAfterSeconds` → `retry_after_seconds`.
    public static func snakeCase(_ name: String) -> String {
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

    /// `agent_id` → `agentID`, `retry_after_seconds` → `retryAfterSeconds`.
    public static func camelCase(_ key: String) -> String {
        let parts = key.split(separator: "_", omittingEmptySubsequences: false)
        guard let first = parts.first else { return key }
        return String(first)
            + parts.dropFirst().map { part in
                part == "id" ? "ID" : part.prefix(1).uppercased() + part.dropFirst()
            }.joined()
    }

    private struct WireKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ string: String) { stringValue = string }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}
