import Foundation
import SafeguardsCore

/// The JSON conventions of the API: snake_case keys on the wire (`agent_id`), spelled out by each
/// body's `CodingKeys`; map keys (metadata keys, system ids) exactly as written; sorted keys and
/// unescaped slashes, for stable bodies.
///
/// The coders are plain Foundation coders: no key strategy, so no key is converted at run time.
/// The busiest bodies also have a direct form (``JSONWritable``, ``JSONMemberDecodable``) that
/// writes and reads the same bytes without the generic `Codable` machinery.
public enum APICoding {
    /// The options every API body is written with.
    static let outputFormatting: JSONEncoder.OutputFormatting = [.sortedKeys, .withoutEscapingSlashes]

    /// A new encoder with the API's conventions, for a caller that changes its options (the CLI
    /// pretty-prints). ``encode(_:)`` uses one shared encoder instead.
    public static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = outputFormatting
        return encoder
    }

    /// A new decoder with the API's conventions. ``decode(_:from:)`` uses one shared decoder instead.
    public static func decoder() -> JSONDecoder {
        JSONDecoder()
    }

    // Foundation's coders are thread-safe once configured, and these are never changed after.
    private static let sharedEncoder = encoder()
    private static let sharedDecoder = decoder()

    /// Encodes an API body.
    ///
    /// - Throws: `EncodingError` (never for the API's own bodies).
    public static func encode<T: Encodable>(_ value: T) throws -> Data {
        try sharedEncoder.encode(value)
    }

    /// Decodes an API body: the strict check first (no duplicate keys, bounded nesting; see
    /// ``StrictJSON``), then the decoder. Foundation alone would keep the last of two equal keys.
    ///
    /// - Throws: ``StrictJSONError`` when the text is refused by the check, else the decoder's
    ///   `DecodingError`.
    public static func decode<T: Decodable>(_ type: T.Type, from data: Data) throws -> T {
        try StrictJSON.validate(data)
        return try decodeChecked(type, from: data)
    }

    /// Decodes text that already passed the strict check.
    ///
    /// - Throws: the decoder's `DecodingError`.
    public static func decodeChecked<T: Decodable>(_ type: T.Type, from data: Data) throws -> T {
        try sharedDecoder.decode(type, from: data)
    }
}
