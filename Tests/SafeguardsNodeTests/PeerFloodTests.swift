import Foundation
import SafeguardsAPI
import SafeguardsCore
import SafeguardsFederation
import SafeguardsNode
import SafeguardsStore
import SafeguardsTestKit
import SafeguardsTransport
import Testing

/// A registered peer that may draw nothing cannot grow its giver: refusals are kept compactly and
/// at most `refusals_kept_per_peer` of them, and metadata is limited everywhere.
@Suite("A peer cannot grow a node without bound", .timeLimit(.minutes(5)))
struct PeerFloodTests {
    static let kept = 50

    /// system_b with no credit line for system_a, which it registers with trust 0; `body` gets B's
    /// client, a raw system_a connection to it, and B's store opened beside the node.
    static func withRefusingGiver(
        offer: Amount? = nil, trust: String = "0", _ body: @Sendable (SafeguardsClient, inout RawPeer, LedgerStore) async throws -> Void
    ) async throws {
        let directory = try makeTemporaryDirectory()
        try await TestNode.withFederated("system_b", dataDirectory: directory, configure: { config in
            config.federation?.settlement.refusalsKeptPerPeer = Self.kept
            config.federation?.settlement.perRequestCap = 10_000
            if let offer { config.federation?.offers = [SystemID(unchecked: "system_a"): offer] }
        }) { clientB, _, portB in
            try await DevelopmentFederation.register("system_a", port: 1, trust: trust, with: clientB)
            var raw = try RawPeer("system_a", to: "system_b", port: portB)
            let store = try LedgerStore(path: TestNode.config(dataDirectory: directory).databasePath)
            do { try await body(clientB, &raw, store) } catch {
                await raw.dialer.shutdown()
                throw error
            }
            await raw.dialer.shutdown()
        }
    }

    /// Sends a signed transfer request for `amount` with `metadata` and returns the receipt.
    static func request(
        _ raw: inout RawPeer, _ id: String, amount: Amount = 5, metadata: [String: String],
        createdAt: Timestamp = .now()
    ) async throws -> TransferReceipt {
        let body = RemoteTransferRequest(
            transactionID: try TransferID(id), requester: raw.system, giver: raw.target, amount: amount,
            agentID: try AgentID("x"), metadata: metadata, createdAt: createdAt)
        let envelope = try Envelope.sign(
            type: .transferRequest, sender: raw.system, body: body.encodedBody(), now: .now(),
            nonceGenerator: &raw.random, key: RawPeer.signingKey(of: raw.system.rawValue))
        let answer = try await raw.send(envelope.encode())
        return try TransferReceipt(decodingBody: answer.body)
    }

    @Test func thousandsOfRefusedRequestsStayWithinAFixedByteBound() async throws {
        try await Self.withRefusingGiver { clientB, raw, store in
            // 3 KiB of metadata each: under the 4 KiB limit, so only the bound on refusals holds it.
            let metadata = ["why": String(repeating: "m", count: 3 * 1024)]
            // Fill the table to its cap first; from then on every refusal replaces the oldest.
            for number in 0..<Self.kept {
                _ = try await Self.request(&raw, "warm-\(number)", metadata: metadata)
            }
            let before = try store.databaseBytes()
            let flood = 600
            let firstCreatedAt = Timestamp.now()
            for number in 0..<flood {
                let createdAt = number == 0 ? firstCreatedAt : .now()
                let receipt = try await Self.request(&raw, "flood-\(number)", metadata: metadata, createdAt: createdAt)
                #expect(receipt.status == .rejected && receipt.reason == .unknownPeer)
            }
            let after = try store.databaseBytes()
            // The bound: a refusal row is at most 3 identifiers (128 bytes each) plus a reason and
            // four integers, under 512 bytes; the cap's rows twice over (B-tree pages half full)
            // plus 16 pages of slack for the peer counters and indexes.
            let bound = 2 * Self.kept * 512 + 16 * 4096
            #expect(after - before <= bound, "grew \(after - before) bytes for \(flood) refusals; bound \(bound)")
            // Storing each in full would have taken the metadata alone: 600 × 3 KiB.
            #expect(bound < flood * 3 * 1024 / 10)
            #expect(try store.federationRefusalCount(peer: SystemID(unchecked: "system_a")) == Self.kept)
            // What the node holds in memory is what it lists: the last `kept` refusals, no metadata.
            let listed = try await clientB.federationTransactions(peer: "system_a").transactions
            #expect(listed.count == Self.kept)
            #expect(Set(listed.map(\.transactionID)) == Set((flood - Self.kept..<flood).map { "flood-\($0)" }))
            #expect(listed.allSatisfy { $0.status == "rejected" && $0.reason == "unknown_peer" })
            // A forgotten id sent again (same created_at, as a retry or a late copy) stays refused
            // (expired), never decided anew; a remembered one gets its stored receipt.
            let forgotten = try await Self.request(&raw, "flood-0", metadata: metadata, createdAt: firstCreatedAt)
            #expect(forgotten.status == .rejected && forgotten.reason == .expired)
            let remembered = try await Self.request(&raw, "flood-\(flood - 1)", metadata: metadata)
            #expect(remembered.reason == .unknownPeer)
            #expect(try await clientB.ledgerCheck().balanced)
        }
    }

    /// Creation times one second apart, fixed for the test run (a retry carries its first one).
    static let base = Timestamp.now()
    static func created(_ number: Int) -> Timestamp { base.advanced(by: .seconds(number - 10)) }

    @Test func refusalsSurviveARestartAndTheHorizonWithThem() async throws {
        let directory = try makeTemporaryDirectory()
        let configure: @Sendable (inout NodeConfig) -> Void = { $0.federation?.settlement.refusalsKeptPerPeer = 3 }
        try await TestNode.withFederated("system_b", dataDirectory: directory, configure: configure) { clientB, _, port in
            try await DevelopmentFederation.register("system_a", port: 1, trust: "0", with: clientB)
            var raw = try RawPeer("system_a", to: "system_b", port: port)
            for number in 0..<5 { _ = try await Self.request(&raw, "r-\(number)", metadata: [:], createdAt: Self.created(number)) }
            await raw.dialer.shutdown()
        }
        try await TestNode.withFederated("system_b", dataDirectory: directory, configure: configure) { clientB, _, port in
            var raw = try RawPeer("system_a", to: "system_b", port: port)
            #expect(try await clientB.federationTransactions(peer: "system_a").transactions.map(\.transactionID) == ["r-4", "r-3", "r-2"])
            #expect(try await Self.request(&raw, "r-0", metadata: [:], createdAt: Self.created(0)).reason == .expired)
            #expect(try await Self.request(&raw, "r-4", metadata: [:], createdAt: Self.created(4)).reason == .unknownPeer)
            await raw.dialer.shutdown()
        }
    }

    @Test func aRequestWithMetadataOverTheLimitIsRefusedOverFederationAndNotStored() async throws {
        try await Self.withRefusingGiver(offer: 1000, trust: "0.8") { clientB, raw, store in
            let before = try store.databaseBytes()
            let huge = ["why": String(repeating: "h", count: 64 * 1024)]
            let receipt = try await Self.request(&raw, "big-1", metadata: huge)
            #expect(receipt.status == .rejected && receipt.reason == .metadataTooLarge)
            #expect(try store.databaseBytes() - before < 16 * 1024)
            // Just under the limit is accepted: the limit is the JSON of the map, 4096 bytes.
            let fits = ["why": String(repeating: "f", count: 4096 - 10)]
            #expect(MetadataSize.jsonBytes(fits) == 4096)
            #expect(try await Self.request(&raw, "fits-1", metadata: fits).status == .accepted)
            let accounts = try await clientB.accountBalances()
            #expect(accounts.balance("given:system_a") == 5)
            #expect(try await clientB.ledgerCheck().balanced)
        }
    }

    @Test func metadataOverTheLimitIsRefusedOnTheAPI() async throws {
        try await SettlementPair.with { clientA, _, _ in
            let huge = ["why": String(repeating: "h", count: 5000)]
            let pool = await #expect(throws: APIClientError.self) {
                _ = try await clientA.createPool(CreatePoolRequest(name: "big", initialBudget: 10, priority: 3, metadata: huge))
            }
            #expect(pool?.code == "invalid_request")
            #expect(try await clientA.pools().pools.isEmpty)
            let federated = await #expect(throws: APIClientError.self) {
                _ = try await clientA.createFederatedPool(
                    CreateFederatedPoolRequest(name: "fbig", localBudget: 10, priority: 3, metadata: huge, remoteAllocations: [:]))
            }
            #expect(federated?.code == "invalid_request")
            _ = try await SettlementPair.federatedPool(clientA)
            let remote = await #expect(throws: APIClientError.self) {
                _ = try await clientA.requestRemoteBudget(
                    RemoteBudgetRequest(agentID: "x", remoteSystemID: "system_b", amount: 5, metadata: huge))
            }
            #expect(remote?.code == "invalid_request")
            #expect(try await clientA.federationTransactions().transactions.isEmpty)
            #expect(try await clientA.ledgerCheck().balanced)
        }
    }
}

@Suite("Allocation proposals cannot grow a node", .timeLimit(.minutes(5)))
struct ProposalFloodTests {
    static func propose(_ raw: inout RawPeer, _ id: String, poolName: String) async throws -> Envelope {
        let body = AllocationProposal(
            proposalID: try TransferID(id), requester: raw.system, giver: raw.target, poolName: poolName, requested: 10)
        let envelope = try Envelope.sign(
            type: .allocationProposal, sender: raw.system, body: body.encodedBody(), now: .now(),
            nonceGenerator: &raw.random, key: RawPeer.signingKey(of: raw.system.rawValue))
        return try await raw.send(envelope.encode())
    }

    @Test func refusedProposalsAreAnsweredAndNotStored() async throws {
        try await PeerFloodTests.withRefusingGiver { clientB, raw, store in
            _ = try await Self.propose(&raw, "warm", poolName: "p")
            let before = try store.databaseBytes()
            let name = String(repeating: "n", count: 100)
            for number in 0..<500 {
                let answer = try await Self.propose(&raw, "proposal-\(number)", poolName: name)
                let grant = try AllocationGrant(decodingBody: answer.body)
                #expect(grant.status == .rejected && grant.reason == .unknownPeer && grant.granted == .zero)
            }
            #expect(try store.databaseBytes() - before <= 16 * 4096)
            // A pool name beyond the pool rules is refused before anything is decided.
            let huge = try await Self.propose(&raw, "huge", poolName: String(repeating: "h", count: 100_000))
            #expect(RawPeer.errorCode(huge) == "malformed")
            #expect(try await clientB.ledgerCheck().balanced)
        }
    }
}
