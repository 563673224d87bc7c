import SafeguardsCore
import SafeguardsFederation

/// The limit on a `metadata` map in an API body (`federation.max_metadata_bytes`, default 4 KiB,
/// measured as compact JSON by ``MetadataSize``): what a pool, an agent's remote request or a
/// federated pool keeps for good, so what one stored record can hold in memory and on disk.
struct MetadataLimit: Sendable {
    /// The largest metadata map accepted, in bytes of compact JSON.
    let bytes: Int

    /// Refuses `metadata` when it is larger than the limit.
    ///
    /// - Throws: `invalid_request` naming the size and the limit; nothing is stored.
    func check(_ metadata: [String: String]?) throws(SafeguardsError) {
        guard let metadata else { return }
        let size = MetadataSize.jsonBytes(metadata)
        guard size <= bytes else {
            throw .invalidRequest("metadata is \(size) bytes as JSON; at most \(bytes) are accepted (federation.max_metadata_bytes)")
        }
    }
}
