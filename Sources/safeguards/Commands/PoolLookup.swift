import SafeguardsAPI

/// Lets people name a pool by its name as well as its generated id (`pool_...`).
enum PoolLookup {
    /// The id of the pool whose id or name is `text`. When no pool matches, `text` is returned
    /// unchanged so the node reports it as not found in its own words.
    static func id(for text: String, client: SafeguardsClient) async throws(APIClientError) -> String {
        let pools = try await client.pools().pools
        if pools.contains(where: { $0.id == text }) { return text }
        return pools.first(where: { $0.name == text })?.id ?? text
    }

    /// Pool names by id, to show names instead of ids in agent tables.
    static func names(client: SafeguardsClient) async throws(APIClientError) -> [String: String] {
        Dictionary(try await client.pools().pools.map { ($0.id, $0.name) }, uniquingKeysWith: { first, _ in first })
    }
}
