import NIOHTTP1
import SafeguardsCore

// The journal's history: `GET /v1/transfers`, newest first, filtered and paged.

/// The filters of `GET /v1/transfers`; every one given must match. Values go to the node as
/// written: it answers 400 for a malformed id, time or kind.
public struct TransferQuery: Sendable, Equatable {
    /// Transfers that touch the agent's accounts (`agent_id`).
    public var agentID: String?
    /// Transfers that touch the pool's account or an account of one of its agents (`pool_id`).
    public var poolID: String?
    /// Created at or after this RFC 3339 time (`since`, inclusive).
    public var since: String?
    /// Created before this RFC 3339 time (`until`, exclusive).
    public var until: String?
    /// A transfer kind such as `spend` or `reservation` (`kind`).
    public var kind: String?

    /// A query; every `nil` filter matches everything.
    public init(
        agentID: String? = nil, poolID: String? = nil, since: String? = nil, until: String? = nil, kind: String? = nil
    ) {
        self.agentID = agentID
        self.poolID = poolID
        self.since = since
        self.until = until
        self.kind = kind
    }

    /// The query parameters of these filters.
    var parameters: [(String, String?)] {
        [("agent_id", agentID), ("pool_id", poolID), ("since", since), ("until", until), ("kind", kind)]
    }
}

/// `GET /v1/transfers`: a page of transfers, newest first, each as `GET /v1/transfers/{id}` shows it.
public struct TransferListBody: PagedList, Equatable {
    public var transfers: [TransferBody]
    /// The cursor of the next (older) page (`?after=`), `nil` on the last page.
    public var next: String?
    public init(transfers: [TransferBody], next: String? = nil) {
        self.transfers = transfers
        self.next = next
    }

    public var items: [TransferBody] {
        get { transfers }
        set { transfers = newValue }
    }

    public func encode(to encoder: any Encoder) throws {
        try PageCoding.encode(transfers, as: "transfers", next: next, to: encoder)
    }

    enum CodingKeys: String, CodingKey {
        case transfers, next
    }
}

extension SafeguardsClient {
    /// Every transfer matching `query`, newest first, following `next` page after page (`limit` each).
    public func transfers(_ query: TransferQuery = TransferQuery(), limit: Int? = nil) async throws(APIClientError)
        -> TransferListBody
    {
        try await allPages(limit: limit) { page throws(APIClientError) in try await transfers(query, page: page) }
    }

    /// One page of `GET /v1/transfers`, newest first.
    public func transfers(_ query: TransferQuery = TransferQuery(), page: PageQuery) async throws(APIClientError)
        -> TransferListBody
    {
        try await call(.GET, Self.path("/v1/transfers", query: query.parameters + page.parameters))
    }
}
