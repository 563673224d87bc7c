import SafeguardsCore

/// The limits on the `metadata` a caller sends with a reservation or a spend (`model`,
/// `input_tokens`, `operation`...). It is kept with the transfer for good, so one request may add
/// only so much; the node's own keys (``TransferMetadataKey/reserved``) cannot be set.
enum SpendMetadata {
    static let maxEntries = 32
    static let maxKeyBytes = 64
    static let maxValueBytes = 1024

    /// Refuses `metadata` that breaks a limit, naming it; nothing is stored.
    ///
    /// - Throws: `invalid_request`: too many entries, a key that is empty, too long, outside
    ///   `[A-Za-z0-9_.-]` or reserved, a value too long, or the whole map over `limit`.
    static func check(_ metadata: [String: String]?, limit: MetadataLimit) throws(SafeguardsError) {
        guard let metadata, !metadata.isEmpty else { return }
        guard metadata.count <= maxEntries else {
            throw .invalidRequest("metadata has \(metadata.count) entries; at most \(maxEntries) are accepted")
        }
        for (key, value) in metadata.sorted(by: { $0.key < $1.key }) {
            guard !key.isEmpty, key.utf8.count <= maxKeyBytes, key.utf8.allSatisfy(isKeyByte) else {
                throw .invalidRequest(
                    "metadata key '\(key.prefix(80))' must be 1 to \(maxKeyBytes) bytes of A-Z a-z 0-9 _ . -")
            }
            guard !TransferMetadataKey.reserved.contains(key) else {
                throw .invalidRequest("metadata.\(key) is set by the node and cannot be given")
            }
            guard value.utf8.count <= maxValueBytes else {
                throw .invalidRequest(
                    "metadata.\(key) is \(value.utf8.count) bytes; at most \(maxValueBytes) are accepted")
            }
        }
        try limit.check(metadata)
    }

    private static func isKeyByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "-"):
            true
        default: false
        }
    }
}
