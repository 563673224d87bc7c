import Foundation

/// The JSON conventions of the API: snake_case keys on the wire (`agent_id`), Swift names in
/// code (`agentID`), sorted output for stable bodies.
public enum APICoding {
    public static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .custom { path in WireKey(snakeCase(path.last?.stringValue ?? "")) }
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    public static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .custom { path in WireKey(camelCase(path.last?.stringValue ?? "")) }
        return decoder
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
