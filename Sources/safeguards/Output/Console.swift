import Foundation
import SafeguardsAPI

/// Where the CLI writes: results to stdout, errors to stderr, JSON in the API's own field names.
enum Console {
    /// Writes one line to stderr.
    static func error(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    /// Prints an API body as pretty JSON, with the API's snake_case keys and decimal-string amounts.
    ///
    /// - Throws: `EncodingError` if the body cannot be encoded (it always can for the API's bodies).
    static func printJSON<Body: Encodable>(_ body: Body) throws {
        let encoder = APICoding.encoder()
        encoder.outputFormatting.insert(.prettyPrinted)
        print(String(decoding: try encoder.encode(body), as: UTF8.self))
    }
}
