import NIOHTTP1
import SafeguardsCore

/// `POST /v1/api-keys`: a scoped key. An `agent` key names the agents it acts for, directly
/// (`agent_ids`) or by pool (`pool_ids`: every agent in the pool, also one registered later).
public struct CreateAPIKeyRequest: Codable, Sendable, Equatable {
    public var name: String
    /// `admin` or `agent`.
    public var role: String
    public var agentIDs: [String]?
    public var poolIDs: [String]?
    /// RFC 3339; after it the key is refused (401).
    public var expiresAt: String?
    public var idempotencyKey: String?

    public init(
        name: String, role: String, agentIDs: [String]? = nil, poolIDs: [String]? = nil, expiresAt: String? = nil,
        idempotencyKey: String? = nil
    ) {
        self.name = name
        self.role = role
        self.agentIDs = agentIDs
        self.poolIDs = poolIDs
        self.expiresAt = expiresAt
        self.idempotencyKey = idempotencyKey
    }

    enum CodingKeys: String, CodingKey {
        case name, role, agentIDs = "agent_ids", poolIDs = "pool_ids", expiresAt = "expires_at"
        case idempotencyKey = "idempotency_key"
    }
}

/// An API key as the node shows it. `key` is present only in the answer that created it: the
/// node keeps its SHA-256, never the key.
public struct APIKeyBody: Codable, Sendable, Equatable {
    public var id: String
    public var key: String?
    public var name: String
    public var role: String
    public var agentIDs: [String]
    public var poolIDs: [String]
    public var expiresAt: String?
    public var createdAt: String

    public init(
        id: String, key: String? = nil, name: String, role: String, agentIDs: [String], poolIDs: [String],
        expiresAt: String?, createdAt: String
    ) {
        self.id = id
        self.key = key
        self.name = name
        self.role = role
        self.agentIDs = agentIDs
        self.poolIDs = poolIDs
        self.expiresAt = expiresAt
        self.createdAt = createdAt
    }

    enum CodingKeys: String, CodingKey {
        case id, key, name, role, agentIDs = "agent_ids", poolIDs = "pool_ids", expiresAt = "expires_at"
        case createdAt = "created_at"
    }
}

/// `GET /v1/api-keys`: keys in id order, without key material.
public struct APIKeyListBody: PagedList, Equatable {
    public var apiKeys: [APIKeyBody]
    /// The cursor of the next page (`?after=`), `nil` on the last page.
    public var next: String?
    public init(apiKeys: [APIKeyBody], next: String? = nil) {
        self.apiKeys = apiKeys
        self.next = next
    }

    public var items: [APIKeyBody] {
        get { apiKeys }
        set { apiKeys = newValue }
    }

    enum CodingKeys: String, CodingKey {
        case apiKeys = "api_keys", next
    }

    public func encode(to encoder: any Encoder) throws {
        try PageCoding.encode(apiKeys, as: "api_keys", next: next, to: encoder)
    }
}

extension SafeguardsClient {
    /// Creates a key; the answer is the only place its `key` appears.
    public func createAPIKey(_ request: CreateAPIKeyRequest) async throws(APIClientError) -> APIKeyBody {
        try await call(.POST, "/v1/api-keys", body: request)
    }

    /// Every key, in id order, following `next` page after page.
    public func apiKeys() async throws(APIClientError) -> APIKeyListBody {
        try await allPages { page throws(APIClientError) in try await apiKeys(page: page) }
    }

    /// One page of `GET /v1/api-keys`.
    public func apiKeys(page: PageQuery) async throws(APIClientError) -> APIKeyListBody {
        try await call(.GET, Self.path("/v1/api-keys", query: page.parameters))
    }

    public func apiKey(_ id: String) async throws(APIClientError) -> APIKeyBody {
        try await call(.GET, "/v1/api-keys/\(Self.escape(id))")
    }

    /// Revokes a key: refused (401) from the moment this returns. Answers the key as it was.
    public func revokeAPIKey(_ id: String) async throws(APIClientError) -> APIKeyBody {
        try await call(.DELETE, "/v1/api-keys/\(Self.escape(id))")
    }
}
