import Crypto
import Foundation
import Logging
import SafeguardsAPI
import SafeguardsCore
import SafeguardsFederation
@testable import SafeguardsNode
import SafeguardsStore
import SafeguardsTestKit
import Synchronization
import Testing

/// Settlement storage with a hand in between: while holding, each write waits until the test
/// lets it through to the node's writer, or fails it (nothing written, as a failed commit).
actor HeldStorage: SettlementStorage {
    let writer: BudgetWriter
    private var holding = true
    private var arrived = 0
    private var held: [Int: CheckedContinuation<Bool, Never>] = [:]

    init(writer: BudgetWriter) {
        self.writer = writer
    }

    func write(_ posting: FederationPosting) async throws(SafeguardsError) {
        guard await pass() else { throw SafeguardsError(.unavailable, "the test failed this write") }
        try await writer.write(posting)
    }

    func recordRefusal(_ refusal: IncomingRefusal, forgetting forgotten: ForgottenRefusals?) async throws(StoreError) {
        guard await pass() else { throw StoreError(operation: "record a refusal", underlying: HeldWriteFailed()) }
        try await writer.recordRefusal(refusal, forgetting: forgotten)
    }

    /// Whether the write that arrives now may go on (waits while holding).
    private func pass() async -> Bool {
        arrived += 1
        guard holding else { return true }
        let index = arrived
        return await withCheckedContinuation { held[index] = $0 }
    }

    /// Waits (bounded) until `count` writes arrived.
    func waitForWrites(_ count: Int) async {
        for _ in 0..<500 where arrived < count { try? await Task.sleep(for: .milliseconds(10)) }
    }

    var writesArrived: Int { arrived }

    /// Lets the `index`-th write (from 1) through, or fails it.
    func finish(_ index: Int, failing: Bool = false) {
        held.removeValue(forKey: index)?.resume(returning: !failing)
    }

    /// Stops holding: every held write goes through, and so does every later one.
    func stopHolding() {
        holding = false
        for continuation in held.values { continuation.resume(returning: true) }
        held.removeAll()
    }
}

/// A settlement service over a node opened for `system` (its services not run) whose settlement
/// writes go through a ``HeldStorage``, with `peer` registered (trust 0.8, at `peerPort`) and
/// offered `offer` when given. The service runs (it funds the credit line, then ticks) for the
/// length of `body`. As a giver (system_b), frames are handed to
/// ``SettlementService/handle(_:from:)`` as the federation node would after verifying them.
struct HeldSettlement: Sendable {
    static let requester = SystemID(unchecked: "system_a")
    let node: BudgetNode
    let service: SettlementService
    let storage: HeldStorage
    /// A new service over the same node and store, as a restarted process would build it (not run).
    let restarted: @Sendable () throws -> SettlementService

    /// system_b giving to system_a.
    static func giver(offer: Amount = 1000, _ body: @Sendable (HeldSettlement) async throws -> Void) async throws {
        try await with(system: "system_b", peer: "system_a", offer: offer, body)
    }

    /// - Parameter answerWait: how long a request waits for its answer before it answers
    ///   `pending` (the config's default when nil).
    static func with(
        system: String, peer: String, peerPort: Int = 1, offer: Amount?, answerWait: Duration? = nil,
        _ body: @Sendable (HeldSettlement) async throws -> Void
    ) async throws {
        let peerID = SystemID(unchecked: peer)
        var config = TestNode.config(dataDirectory: try makeTemporaryDirectory())
        config.systemID = system
        config.federation = DevelopmentFederation.config(for: system)
        config.federation?.offers = offer.map { [peerID: $0] } ?? [:]
        if let answerWait { config.federation?.settlement.answerWait = answerWait }
        let logger = Logger(label: "held-\(system)", factory: { _ in SwiftLogNoOpLogHandler() })
        let node = try BudgetNode.open(config: config, logger: logger, developmentCertificatesExpected: true)
        guard let federation = node.federation, let settings = config.federation?.settlement else {
            Issue.record("a node with a federation section opened without its federation side")
            return
        }
        try await federation.registry.upsert(
            peerID, address: HostPort(host: "127.0.0.1", port: peerPort), trust: TrustLevel(clampingBasisPoints: 8000),
            publicKeyBase64: try DevelopmentFederation.publicKey(of: peer), source: PeerRecord.Source.api,
            now: Timestamp.now())
        let storage = HeldStorage(writer: node.operations.writer)
        let offers = config.federation?.offers ?? [:]
        let makeService: @Sendable () throws -> SettlementService = {
            try SettlementService(
                me: SystemID(unchecked: system), settings: settings, offers: offers, writer: node.operations.writer,
                store: node.operations.store, federation: federation, now: Timestamp.now, logger: logger, storage: storage)
        }
        let service = try makeService()
        let running = Task { try await service.run() }
        defer { running.cancel() }
        if let offer {
            let line = FederationLedger.creditLine(peerID)
            for _ in 0..<500 {
                let funded = await node.operations.writer.read { $0.ledger.account(line)?.available ?? .zero }
                if funded == offer { break }
                try await Task.sleep(for: .milliseconds(10))
            }
        }
        try await body(HeldSettlement(node: node, service: service, storage: storage, restarted: makeService))
    }

    /// A transfer request from system_a, as its frame arrives.
    static func request(_ id: String, amount: Amount = 10) throws -> Envelope {
        let body = RemoteTransferRequest(
            transactionID: TransferID(unchecked: id), requester: requester, giver: SystemID(unchecked: "system_b"),
            amount: amount, agentID: AgentID(unchecked: "agent"), createdAt: .now())
        var random = SystemRandomNumberGenerator()
        return try Envelope.sign(
            type: .transferRequest, sender: requester, body: try body.encodedBody(), now: .now(),
            nonceGenerator: &random, key: Curve25519.Signing.PrivateKey())
    }

    /// Hands the request `id` to the giver in a task of its own.
    func send(_ id: String, amount: Amount = 10) throws -> SentRequest {
        let envelope = try Self.request(id, amount: amount)
        let answered = SetOnce()
        let service = service
        return SentRequest(answered: answered) {
            let answer = await service.handle(envelope, from: Self.requester)
            answered.set()
            return answer as? TransferReceipt
        }
    }

    /// What the giver's ledger says system_a drew, and what its machine says.
    func drawn() async -> (ledger: Amount, machine: Amount) {
        let ledger = await node.operations.writer.read {
            $0.ledger.account(FederationLedger.given(Self.requester))?.postedBalance ?? .zero
        }
        let machine = await service.machine.creditLines[Self.requester]?.used ?? .zero
        return (ledger, machine)
    }
}

/// What a write the test failed throws underneath.
struct HeldWriteFailed: Error {}

/// A flag set once, shared between tasks.
final class SetOnce: Sendable {
    private let value = Atomic<Bool>(false)

    func set() { value.store(true, ordering: .sequentiallyConsistent) }

    var isSet: Bool { value.load(ordering: .sequentiallyConsistent) }
}

/// A request handed to the giver: its answer (a receipt, or `nil` for "ask again") and whether it came yet.
struct SentRequest: Sendable {
    private let answered: SetOnce
    private let task: Task<TransferReceipt?, Never>

    init(answered: SetOnce, _ body: @escaping @Sendable () async -> TransferReceipt?) {
        self.answered = answered
        self.task = Task { await body() }
    }

    var isAnswered: Bool { answered.isSet }

    var answer: TransferReceipt? { get async { await task.value } }

    /// Whether it stays unanswered through a bounded watch.
    func staysUnanswered() async -> Bool { await answered.staysUnset() }
}

extension SetOnce {
    /// Whether it stays unset through 20 looks 10 ms apart (a bounded watch, not a claim about time).
    func staysUnset() async -> Bool {
        for _ in 0..<20 {
            if isSet { return false }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return !isSet
    }
}
