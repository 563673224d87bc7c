/// How big a metadata map is, measured the way a node limits it (`federation.max_metadata_bytes`):
/// the bytes of the map as compact JSON, `{"key":"value",...}`, with the escapes JSON requires
/// (`\"`, `\\`, the short forms of control characters and `\u00XX` for the rest) and every other
/// character as its UTF-8 bytes.
///
/// Pure arithmetic over the strings, so the API and the settlement machine measure alike and no
/// encoder has to build the bytes first.
public enum MetadataSize {
    /// The default limit: 4 KiB.
    public static let defaultLimit = 4096

    /// The JSON byte length of `metadata`.
    public static func jsonBytes(_ metadata: [String: String]) -> Int {
        var total = 2  // { }
        for (key, value) in metadata {
            total += quotedBytes(key) + 1 + quotedBytes(value)  // "key":"value"
        }
        return total + max(0, metadata.count - 1)  // commas
    }

    /// Whether `metadata` is within `limit` bytes.
    public static func fits(_ metadata: [String: String], limit: Int) -> Bool {
        jsonBytes(metadata) <= limit
    }

    private static func quotedBytes(_ text: String) -> Int {
        var count = 2
        for scalar in text.unicodeScalars {
            switch scalar.value {
            case 0x22, 0x5C, 0x08, 0x0C, 0x0A, 0x0D, 0x09: count += 2
            case 0..<0x20: count += 6
            case 0..<0x80: count += 1
            case 0..<0x800: count += 2
            case 0..<0x10000: count += 3
            default: count += 4
            }
        }
        return count
    }
}
