import Foundation
import Logging
import SafeguardsAPI
import SafeguardsCore
import SafeguardsFederation
import SafeguardsStore
import ServiceLifecycle

/// The shell around the pure ``SettlementMachine`` and ``GrantBook``: it feeds them events (API
/// calls, frames from peers, time), writes every record they emit to SQLite together with its
/// ledger movement (through ``SettlementStorage``: the one ``BudgetWriter``), and only then sends
/// or answers.
///
/// Settlement events are pipelined: the machine steps each one at once, in arrival order, while
/// the records of earlier events are still being written, so many events' writes are in flight
/// together and group commit serves them with one SQLite commit. An event acts (sends, answers)
/// only once the disk holds every record its step saw, so a repeat of a request is never answered
/// from a decision not yet on disk; after a failed write the machine is rebuilt from the store
/// before any new event steps (``SettlementWrites``). Grant events (allocation proposals and
/// grants) are rare and handled one at a time (``EventLock``). Network waits hold nothing.
public actor SettlementService: Service {
    var machine: SettlementMachine
    var grants = GrantBook()
    let writer: BudgetWriter
    let storage: any SettlementStorage
    let store: LedgerStore
    let federation: FederationNode
    let settings: FederationConfig.SettlementSettings
    private let offers: [SystemID: Amount]
    let now: @Sendable () -> Timestamp
    let logger: Logger
    /// The records applied in memory and not yet durable, and the events waiting on them.
    var writes = SettlementWrites()
    /// Grant events, one at a time in arrival order.
    let grantLock = EventLock()
    var delivering: Set<TransferID> = []
    /// Callers waiting for a transfer's outcome, each with the timer that ends its wait.
    var waiters: [TransferID: [Int: (continuation: CheckedContinuation<Void, Never>, timer: Task<Void, Never>)]] = [:]
    var nextWaiter = 0
    private var nextTickAt: Timestamp?
    /// Transfers settled by a status answer that reconciliation asked for, per peer.
    var repaired: [SystemID: Int] = [:]
    /// Each peer's settlement digest, computed once and dropped when a record with that peer is
    /// written: gossip reads them every round, and the history they hash only grows.
    var digests: [SystemID: SettlementDigest] = [:]

    public var me: SystemID { machine.me }

    init(
        me: SystemID, settings: FederationConfig.SettlementSettings, offers: [SystemID: Amount],
        maxMetadataBytes: Int = MetadataSize.defaultLimit, writer: BudgetWriter, store: LedgerStore,
        federation: FederationNode, now: @escaping @Sendable () -> Timestamp, logger: Logger,
        storage: (any SettlementStorage)? = nil
    ) throws(NodeStartupError) {
        let configuration = SettlementConfiguration(
            me: me, offers: offers, minimumTrust: settings.minimumTrust, perRequestCap: settings.perRequestCap,
            rateLimit: RateLimitPolicy(maximumRequests: settings.rateLimit, window: settings.rateWindow),
            retry: RetryPolicy(initial: settings.retryInitial, maximum: settings.retryMaximum),
            maxMetadataBytes: maxMetadataBytes, refusalsKeptPerPeer: settings.refusalsKeptPerPeer)
        let stored: Stored
        do {
            stored = try Self.load(store)
            self.machine = try Self.restoredMachine(stored, configuration: configuration, store: store)
        } catch let error as NodeStartupError {
            throw error
        } catch {
            throw NodeStartupError("cannot restore the federation records: \(error)")
        }
        self.grants = stored.grants
        self.writer = writer
        self.storage = storage ?? writer
        self.store = store
        self.federation = federation
        self.settings = settings
        self.offers = offers
        self.now = now
        self.logger = logger
    }

    // MARK: Running

    /// Funds the credit lines from the config, resumes every unsettled transfer and proposal,
    /// then retries on schedule until shutdown.
    public func run() async throws {
        await fundCreditLines()
        await complete(await step { $0.restart(now: now()) }, evidence: nil)
        resendPendingProposals()
        var lastProposalRound = ContinuousClock.now
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(50))
            if let due = nextTickAt, due <= now() {
                nextTickAt = nil
                await complete(await step { $0.tick(now: now()) }, evidence: nil)
            }
            if ContinuousClock.now - lastProposalRound > settings.retryMaximum {
                lastProposalRound = ContinuousClock.now
                resendPendingProposals()
            }
        }
    }

    /// Calls the machine's tick at `due`, or earlier if one is scheduled earlier.
    func scheduleTick(at due: Timestamp) {
        if nextTickAt.map({ due < $0 }) ?? true { nextTickAt = due }
    }

    /// Moves each credit line to its configured offer: the line holds offer minus what the peer
    /// drew. A smaller offer takes back only what is not drawn.
    private func fundCreditLines() async {
        for (peer, offer) in offers.sorted(by: { $0.key < $1.key }) {
            let line = FederationLedger.creditLine(peer)
            let (available, given) = await writer.read { book in
                (
                    book.ledger.account(line)?.available ?? .zero,
                    book.ledger.account(FederationLedger.given(peer))?.postedBalance ?? .zero
                )
            }
            guard
                let request = FederationLedger.creditLineAdjustment(
                    peer: peer, offer: offer, funded: (try? available.adding(given)) ?? available, available: available,
                    id: TransferID(unchecked: "offer:\(peer):\(now().millisecondsSince1970)"))
            else { continue }
            do {
                _ = try await writer.submit(
                    .federation(
                        FederationPosting(
                            accounts: [
                                line: .debitsMustNotExceedCredits, FederationLedger.given(peer): [], LedgerAccounts.funding: [],
                            ],
                            operations: [.create(request)], record: nil)))
                logger.info("credit line set", metadata: ["peer.system_id": "\(peer)", "offer": "\(offer)"])
            } catch {
                logger.error("cannot fund a credit line", metadata: ["peer.system_id": "\(peer)", "error": "\(error)"])
            }
        }
    }

    // MARK: Requests from the API

    /// Asks `peer` for `amount` for `agent`; waits up to the configured answer time for the
    /// giver's receipt, and returns this side's record (still `pending` if no answer came).
    public func requestBudget(
        agent: AgentID, from peer: SystemID, amount: Amount, metadata: [String: String], key: IdempotencyKey?
    ) async throws(SafeguardsError) -> FederationTransactionBody {
        try await start(.transfer, agent: agent, peer: peer, amount: amount, metadata: metadata, key: key).body
    }

    /// Gives `amount` of `agent`'s budget back to `peer`, which it came from.
    public func returnBudget(agent: AgentID, to peer: SystemID, amount: Amount, key: IdempotencyKey?)
        async throws(SafeguardsError) -> FederationTransactionBody
    {
        try await start(.return, agent: agent, peer: peer, amount: amount, metadata: [:], key: key).body
    }

    /// Starts a request or a return, and says whether it was a replay: an earlier call with the
    /// same idempotency key already wrote this transaction, so nothing new was written.
    func start(
        _ kind: SettlementKind, agent: AgentID, peer: SystemID, amount: Amount, metadata: [String: String],
        key: IdempotencyKey?
    ) async throws(SafeguardsError) -> (body: FederationTransactionBody, replayed: Bool) {
        guard amount.isPositive else { throw .invalidAmount("amount \(amount) must be greater than zero") }
        _ = try await federation.registry.registered(peer)
        try requireAgent(agent)
        let id = Self.transactionID(key: key, kind: kind)
        let time = now()
        let stepped: SettlementWrites.Step
        do throws(SettlementError) {
            stepped = try await step { machine throws(SettlementError) in
                switch kind {
                case .transfer:
                    try machine.requestBudget(id, from: peer, agent: agent, amount: amount, metadata: metadata, now: time)
                case .return:
                    try machine.returnBudget(id, to: peer, agent: agent, amount: amount, now: time)
                }
            }
        } catch {
            throw Self.apiError(error)
        }
        // Held: the transfer is durable and pending; the rebuilt machine sends it again.
        if case .failed(let failure) = await complete(stepped, evidence: nil) { throw failure }
        await awaitOutcome(id, within: settings.answerWait)
        guard let body = transaction(id) else { throw .notFound("transaction \(id) does not exist") }
        // A first call writes the transaction's record; a replay of a known id writes nothing.
        let replayed = !stepped.directives.contains { if case .persist = $0 { true } else { false } }
        return (body, replayed)
    }

    /// Checks that `agent` exists, in the committed state (without waiting for the writer).
    private func requireAgent(_ agent: AgentID) throws(SafeguardsError) {
        guard writer.view({ $0.agents[agent] != nil }) else { throw .notFound("agent \(agent) does not exist") }
    }

    /// A transaction id from an idempotency key (the same key always names the same transfer),
    /// or a fresh one.
    static func transactionID(key: IdempotencyKey?, kind: SettlementKind) -> TransferID {
        let prefix = kind == .transfer ? "tx" : "rt"
        if let key { return TransferID(unchecked: "\(prefix):\(key.rawValue)") }
        return TransferID(unchecked: "\(prefix)_\(BudgetOperations.randomHex())")
    }

    static func apiError(_ error: SettlementError) -> SafeguardsError {
        switch error {
        case .conflict: return .conflict(error.description)
        case .invalidAmount, .amountOverflow: return .invalidAmount(error.description)
        case .selfAsPeer: return .invalidRequest(error.description)
        case .exceedsDrawn: return SafeguardsError(.insufficientBudget, error.description)
        case .historyUnavailable: return SafeguardsError(.unavailable, error.description)
        }
    }

    // MARK: Frames from peers

    /// Answers a requester stores (a receipt is kept whole, in its signed envelope, as evidence).
    static let answerTypes: Set<MessageType> = [.transferReceipt, .returnReceipt, .statusAnswer]
    /// The largest answer body kept: a receipt's fields are bounded (ids of at most 128 bytes), so
    /// an honest one is far below this, and a peer cannot make this node store more per transfer.
    static let maxAnswerBodyBytes = 4096

    /// Handles a settlement or allocation message from `peer` (authenticated by the channel) and
    /// returns the answer to send back, if any. Every decision is durable before it is answered.
    /// Decoding happens before the actor is entered: frames of many connections decode in parallel.
    nonisolated func handle(_ envelope: Envelope, from peer: SystemID) async -> (any MessageBody)? {
        if envelope.type == .allocationProposal {
            guard let proposal = try? AllocationProposal(decodingBody: envelope.body) else {
                return ErrorBody(code: .malformed, message: "an allocation_proposal body did not decode")
            }
            return await decideProposal(proposal, from: peer)
        }
        if Self.answerTypes.contains(envelope.type), envelope.body.count > Self.maxAnswerBodyBytes {
            // A receipt is a few hundred bytes; a larger one would be kept whole as evidence.
            logger.warning("a peer's answer is too large to keep; ignored", metadata: [
                "peer.system_id": "\(peer)", "type": "\(envelope.type)", "bytes": "\(envelope.body.count)",
            ])
            return nil
        }
        let message: SettlementMessage
        do {
            guard let decoded = try SettlementMessage(type: envelope.type, body: envelope.body) else {
                return ErrorBody(code: .unknownType, message: "this node does not act on \(envelope.type)")
            }
            message = decoded
        } catch {
            return ErrorBody(code: .malformed, message: "\(error)")
        }
        // Only a giver deciding a transfer weighs the peer's trust.
        var trust = TrustLevel.zero
        if case .transferRequest = message { trust = await federation.registry.effectiveTrust(of: peer, now: now()) }
        return await receive(message, envelope: envelope, from: peer, trust: trust)
    }

    /// Steps the machine with a decoded message and carries out what it says; returns the reply.
    private func receive(
        _ message: SettlementMessage, envelope: Envelope, from peer: SystemID, trust: TrustLevel
    ) async -> (any MessageBody)? {
        let stepped = await step { $0.receive(message, from: peer, peerTrust: trust, now: now()) }
        if case .statusAnswer = message, !stepped.sequences.isEmpty { repaired[peer, default: 0] += 1 }
        guard case .carriedOut = await complete(stepped, evidence: envelope) else { return nil }
        for case .reply(_, let reply) in stepped.directives { return reply.body }
        return nil
    }

    /// Decides a peer's allocation proposal and stores the grant before answering it. Only an
    /// accepted grant is stored: a refused one grants nothing on either side, so a peer sending
    /// proposal after proposal cannot grow this node; a repeat of a refused proposal is decided
    /// again (the proposer keeps the first grant it learned). Pool names are held to the pool rules.
    private func decideProposal(_ proposal: AllocationProposal, from peer: SystemID) async -> any MessageBody {
        guard (try? Pool.validateName(proposal.poolName)) != nil, proposal.poolName.utf8.count <= 400 else {
            return ErrorBody(code: .malformed, message: "pool_name must be 1-100 printable characters")
        }
        let trust = await federation.registry.effectiveTrust(of: peer, now: now())
        return await grantLock.run { () -> any MessageBody in
            let (grant, isNew) = grants.decide(
                proposal, from: peer, me: me, offer: offers[peer], trust: trust, minimumTrust: settings.minimumTrust,
                now: now())
            guard isNew, grant.status == .accepted else { return grant }
            let record = FederationRecord(
                kind: FederationRecordCoding.grantDecided, recordID: grant.proposalID.rawValue, peer: peer.rawValue,
                body: FederationRecordCoding.encode(grant))
            do {
                _ = try await writer.submit(.federation(FederationPosting(operations: [], record: record)))
                grants.recordDecision(grant)
                logger.info("granted an allocation", metadata: [
                    "peer.system_id": "\(peer)", "pool": "\(grant.poolName)", "requested": "\(grant.requested)",
                    "granted": "\(grant.granted)", "status": "\(grant.status.rawValue)",
                ])
                return grant
            } catch {
                return ErrorBody(code: .unavailable, message: "the grant could not be stored; ask again")
            }
        }
    }
}
