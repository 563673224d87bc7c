import NIOHTTP1
import SafeguardsCore

/// `POST /v1/federation/requests`: ask a peer for budget for one of this node's agents.
public struct RemoteBudgetRequest: Codable, Sendable, Equatable {
    public var agentID: String
    public var remoteSystemID: String
    public var amount: Amount
    public var metadata: [String: String]?
    public var idempotencyKey: String?

    public init(
        agentID: String, remoteSystemID: String, amount: Amount, metadata: [String: String]? = nil,
        idempotencyKey: String? = nil
    ) {
        self.agentID = agentID
        self.remoteSystemID = remoteSystemID
        self.amount = amount
        self.metadata = metadata
        self.idempotencyKey = idempotencyKey
    }

    enum CodingKeys: String, CodingKey {
        case agentID = "agent_id", remoteSystemID = "remote_system_id", amount, metadata
        case idempotencyKey = "idempotency_key"
    }
}

/// `POST /v1/federation/returns`: give unused remote budget of an agent back to the peer it came from.
public struct RemoteReturnRequest: Codable, Sendable, Equatable {
    public var agentID: String
    public var remoteSystemID: String
    public var amount: Amount
    public var idempotencyKey: String?

    public init(agentID: String, remoteSystemID: String, amount: Amount, idempotencyKey: String? = nil) {
        self.agentID = agentID
        self.remoteSystemID = remoteSystemID
        self.amount = amount
        self.idempotencyKey = idempotencyKey
    }

    enum CodingKeys: String, CodingKey {
        case agentID = "agent_id", remoteSystemID = "remote_system_id", amount, idempotencyKey = "idempotency_key"
    }
}

/// The signed decision of a giver, as stored.
public struct ReceiptBody: Codable, Sendable, Equatable {
    public var transactionID: String
    public var requester: String
    public var giver: String
    public var amount: Amount
    public var status: String
    public var reason: String?
    public var decidedAt: String
    /// Base64 of the signed envelope the receipt arrived in (requester side), the evidence
    /// `safeguards federation verify` checks.
    public var signedEnvelope: String?

    public init(
        transactionID: String, requester: String, giver: String, amount: Amount, status: String, reason: String?,
        decidedAt: String, signedEnvelope: String?
    ) {
        self.transactionID = transactionID
        self.requester = requester
        self.giver = giver
        self.amount = amount
        self.status = status
        self.reason = reason
        self.decidedAt = decidedAt
        self.signedEnvelope = signedEnvelope
    }

    enum CodingKeys: String, CodingKey {
        case transactionID = "transaction_id", requester, giver, amount, status, reason, decidedAt = "decided_at"
        case signedEnvelope = "signed_envelope"
    }
}

/// One side's record of a remote transfer or return.
public struct FederationTransactionBody: Codable, Sendable, Equatable {
    public var transactionID: String
    /// `outgoing` (this node asked) or `incoming` (this node decided).
    public var direction: String
    /// `transfer` or `return`.
    public var kind: String
    public var peer: String
    public var agentID: String
    public var amount: Amount
    /// `pending`, `accepted`, `rejected`, or `returned` for an accepted return.
    public var status: String
    public var reason: String?
    public var createdAt: String
    public var settledAt: String?
    public var receipt: ReceiptBody?

    public init(
        transactionID: String, direction: String, kind: String, peer: String, agentID: String, amount: Amount,
        status: String, reason: String?, createdAt: String, settledAt: String?, receipt: ReceiptBody?
    ) {
        self.transactionID = transactionID
        self.direction = direction
        self.kind = kind
        self.peer = peer
        self.agentID = agentID
        self.amount = amount
        self.status = status
        self.reason = reason
        self.createdAt = createdAt
        self.settledAt = settledAt
        self.receipt = receipt
    }

    enum CodingKeys: String, CodingKey {
        case transactionID = "transaction_id", direction, kind, peer, agentID = "agent_id", amount, status, reason
        case createdAt = "created_at", settledAt = "settled_at", receipt
    }
}

/// `GET /v1/federation/transactions`.
public struct FederationTransactionList: PagedList, Equatable {
    public var transactions: [FederationTransactionBody]
    /// The cursor of the next page (`?after=`), `nil` on the last page.
    public var next: String?
    public init(transactions: [FederationTransactionBody], next: String? = nil) {
        self.transactions = transactions
        self.next = next
    }

    public var items: [FederationTransactionBody] {
        get { transactions }
        set { transactions = newValue }
    }

    public func encode(to encoder: any Encoder) throws {
        try PageCoding.encode(transactions, as: "transactions", next: next, to: encoder)
    }

    enum CodingKeys: String, CodingKey {
        case transactions, next
    }
}

/// `POST /v1/federated-pools`.
public struct CreateFederatedPoolRequest: Codable, Sendable, Equatable {
    public var name: String
    public var localBudget: Amount
    public var priority: Int
    public var metadata: [String: String]?
    public var remoteAllocations: [String: Amount]
    public var idempotencyKey: String?

    public init(
        name: String, localBudget: Amount, priority: Int, metadata: [String: String]? = nil,
        remoteAllocations: [String: Amount], idempotencyKey: String? = nil
    ) {
        self.name = name
        self.localBudget = localBudget
        self.priority = priority
        self.metadata = metadata
        self.remoteAllocations = remoteAllocations
        self.idempotencyKey = idempotencyKey
    }

    enum CodingKeys: String, CodingKey {
        case name, localBudget = "local_budget", priority, metadata, remoteAllocations = "remote_allocations"
        case idempotencyKey = "idempotency_key"
    }
}

/// What one peer granted a federated pool.
public struct GrantBody: Codable, Sendable, Equatable {
    public var proposalID: String
    public var requested: Amount
    public var granted: Amount
    /// `pending` (no answer yet; retried in the background), `accepted` or `rejected`.
    public var status: String
    public var reason: String?

    public init(proposalID: String, requested: Amount, granted: Amount, status: String, reason: String?) {
        self.proposalID = proposalID
        self.requested = requested
        self.granted = granted
        self.status = status
        self.reason = reason
    }

    enum CodingKeys: String, CodingKey {
        case proposalID = "proposal_id", requested, granted, status, reason
    }
}

/// A federated pool: the local pool and what each peer granted it.
public struct FederatedPoolBody: Codable, Sendable, Equatable {
    public var poolID: String
    public var pool: PoolBody
    public var grants: [String: GrantBody]

    public init(poolID: String, pool: PoolBody, grants: [String: GrantBody]) {
        self.poolID = poolID
        self.pool = pool
        self.grants = grants
    }

    enum CodingKeys: String, CodingKey {
        case poolID = "pool_id", pool, grants
    }
}

/// What `safeguards federation verify` found.
public struct EvidenceReport: Codable, Sendable, Equatable {
    public struct Problem: Codable, Sendable, Equatable {
        public var transactionID: String
        public var peer: String
        public var problem: String
        public init(transactionID: String, peer: String, problem: String) {
            self.transactionID = transactionID
            self.peer = peer
            self.problem = problem
        }

        enum CodingKeys: String, CodingKey {
            case transactionID = "transaction_id", peer, problem
        }
    }

    /// At most this many problems are listed; ``problemCount`` says how many there are.
    public static let listLimit = 100

    /// Receipts whose signature and contents were checked.
    public var checked: Int
    /// The first problems found, at most ``listLimit``.
    public var problems: [Problem]
    /// How many problems were found in all (absent from older nodes: then `problems.count`).
    public var problemCount: Int?

    public init(checked: Int, problems: [Problem], problemCount: Int? = nil) {
        self.checked = checked
        self.problems = problems
        self.problemCount = problemCount
    }

    /// Notes `problem`: listed while fewer than ``listLimit`` are, counted always.
    public mutating func report(_ problem: Problem) {
        if problems.count < Self.listLimit { problems.append(problem) }
        problemCount = (problemCount ?? problems.count - 1) + 1
    }

    enum CodingKeys: String, CodingKey {
        case checked, problems, problemCount = "problem_count"
    }
}

/// `GET /v1/ledger/accounts`: balances of ledger accounts (all, or those whose id starts with a prefix).
public struct AccountBalancesBody: PagedList, Equatable {
    public struct Entry: Codable, Sendable, Equatable {
        public var id: String
        /// Posted credits minus posted debits.
        public var balance: Amount
        public var debitsPending: Amount
        public var creditsPending: Amount
        public init(id: String, balance: Amount, debitsPending: Amount, creditsPending: Amount) {
            self.id = id
            self.balance = balance
            self.debitsPending = debitsPending
            self.creditsPending = creditsPending
        }

        enum CodingKeys: String, CodingKey {
            case id, balance, debitsPending = "debits_pending", creditsPending = "credits_pending"
        }
    }

    public var accounts: [Entry]
    /// The cursor of the next page (`?after=`), `nil` on the last page.
    public var next: String?
    public init(accounts: [Entry], next: String? = nil) {
        self.accounts = accounts
        self.next = next
    }

    public var items: [Entry] {
        get { accounts }
        set { accounts = newValue }
    }

    public func encode(to encoder: any Encoder) throws {
        try PageCoding.encode(accounts, as: "accounts", next: next, to: encoder)
    }

    enum CodingKeys: String, CodingKey {
        case accounts, next
    }

    /// The posted balance of `id`, zero when the account does not exist.
    public func balance(_ id: String) -> Amount {
        accounts.first { $0.id == id }?.balance ?? .zero
    }
}

extension SafeguardsClient {
    /// Every account (whose id starts with `prefix`), following `next` page after page.
    public func accountBalances(prefix: String? = nil) async throws(APIClientError) -> AccountBalancesBody {
        try await allPages { page throws(APIClientError) in try await accountBalances(prefix: prefix, page: page) }
    }

    /// One page of `GET /v1/ledger/accounts`, in id order.
    public func accountBalances(prefix: String? = nil, page: PageQuery) async throws(APIClientError) -> AccountBalancesBody {
        try await call(.GET, Self.path("/v1/ledger/accounts", query: [("prefix", prefix)] + page.parameters))
    }
}

/// `GET /v1/sync/status`.
public struct SyncStatusBody: Codable, Sendable, Equatable {
    public var systemID: String
    /// This node's gossip generation (new at every start) and record version.
    public var generation: String
    public var version: String
    public var peers: [SyncPeerBody]

    public init(systemID: String, generation: String, version: String, peers: [SyncPeerBody]) {
        self.systemID = systemID
        self.generation = generation
        self.version = version
        self.peers = peers
    }

    enum CodingKeys: String, CodingKey {
        case systemID = "system_id", generation, version, peers
    }
}

/// One peer in the sync status.
public struct SyncPeerBody: Codable, Sendable, Equatable {
    public var systemID: String
    /// `alive`, `suspect` or `dead`, from the peer's gossip heartbeat.
    public var state: String
    public var trustLevel: String
    public var effectiveTrust: String
    /// The last exchange with this peer that succeeded.
    public var lastSync: String?
    /// `g<generation>/v<version>` of the peer's record held here (`g1764755200123/v42`).
    public var lastSeenVersion: String?
    /// How many versions of our record the peer has not seen, as of its last digest.
    public var versionsBehind: Int
    /// Transfers to this peer still waiting for its decision.
    public var pendingTransfers: Int
    /// Times the peer's settlement digest disagreed with ours, and transfers settled by the
    /// reconciliation that followed.
    public var disagreementsFound: Int
    public var disagreementsRepaired: Int
    /// The peer's available budget per pool, as its gossip record says.
    public var balances: [String: Amount]
    public var lastError: String?

    public init(
        systemID: String, state: String, trustLevel: String, effectiveTrust: String, lastSync: String?,
        lastSeenVersion: String?, versionsBehind: Int, pendingTransfers: Int, disagreementsFound: Int,
        disagreementsRepaired: Int, balances: [String: Amount], lastError: String?
    ) {
        self.systemID = systemID
        self.state = state
        self.trustLevel = trustLevel
        self.effectiveTrust = effectiveTrust
        self.lastSync = lastSync
        self.lastSeenVersion = lastSeenVersion
        self.versionsBehind = versionsBehind
        self.pendingTransfers = pendingTransfers
        self.disagreementsFound = disagreementsFound
        self.disagreementsRepaired = disagreementsRepaired
        self.balances = balances
        self.lastError = lastError
    }

    enum CodingKeys: String, CodingKey {
        case systemID = "system_id", state, trustLevel = "trust_level", effectiveTrust = "effective_trust"
        case lastSync = "last_sync", lastSeenVersion = "last_seen_version", versionsBehind = "versions_behind"
        case pendingTransfers = "pending_transfers", disagreementsFound = "disagreements_found"
        case disagreementsRepaired = "disagreements_repaired", balances, lastError = "last_error"
    }
}

/// `POST /v1/sync`: one exchange with every peer.
public struct SyncResultsBody: Codable, Sendable, Equatable {
    public var results: [String: SyncResultBody]
    public init(results: [String: SyncResultBody]) { self.results = results }
}

public struct SyncResultBody: Codable, Sendable, Equatable {
    public var success: Bool
    public var lastSync: String?
    public var error: String?
    public init(success: Bool, lastSync: String?, error: String?) {
        self.success = success
        self.lastSync = lastSync
        self.error = error
    }

    enum CodingKeys: String, CodingKey {
        case success, lastSync = "last_sync", error
    }
}

extension SafeguardsClient {
    public func syncStatus() async throws(APIClientError) -> SyncStatusBody {
        try await call(.GET, "/v1/sync/status")
    }

    public func synchronize() async throws(APIClientError) -> SyncResultsBody {
        try await call(.POST, "/v1/sync")
    }
}
