import Foundation
import NIOHTTP1
import SafeguardsAPI
import SafeguardsCore
import SafeguardsNode
import SafeguardsTestKit
import Testing

/// Every list route pages with `limit` and `after`, answering `next`.
@Suite("List routes page", .timeLimit(.minutes(5)))
struct PagingTests {
    /// Walks a list page by page (`limit` each) and returns the ids in order, checking that no
    /// page is larger than `limit` and the last one says `next: null`.
    static func walk<List: PagedList>(
        limit: Int, id: (List.Item) -> String, _ fetch: (PageQuery) async throws -> List
    ) async throws -> [String] {
        var ids: [String] = []
        var after: String?
        var pages = 0
        repeat {
            let page = try await fetch(PageQuery(limit: limit, after: after))
            #expect(page.items.count <= limit)
            ids += page.items.map(id)
            after = page.next
            pages += 1
        } while after != nil && pages < 10_000
        return ids
    }

    /// The status and problem code of `GET path`.
    static func status(_ client: SafeguardsClient, _ path: String) async throws -> (Int, String?) {
        let response = try await client.raw(.GET, path)
        let problem = try? APICoding.decoder().decode(ProblemBody.self, from: Data(response.body))
        return (Int(response.status), problem?.code)
    }

    @Test func everyListWalksAllItemsExactlyOnceAndRefusesBadPages() async throws {
        try await SettlementPair.with { clientA, clientB, _ in
            _ = try await SettlementPair.federatedPool(clientA)
            for number in 0..<5 {
                let fixture = try await Fixture.make(clientA, poolBudget: "1000", agents: [("p\(number)-a", "10"), ("p\(number)-b", "10")])
                _ = fixture
            }
            // Alerts: each spend to 80% then 95% raises a warning and a critical alert.
            for number in 0..<3 {
                _ = try await clientA.spend(agent: "p\(number)-a", SpendRequest(amount: 8))
                _ = try await clientA.spend(agent: "p\(number)-a", SpendRequest(amount: Amount(micros: 1_500_000)))
            }
            // Decisions: cost-benefit allocations applied through the ledger.
            _ = try await clientA.registerOperation(
                OperationProfileBody(agentID: "p4-a", operationType: "x", averageCost: 1, averageBenefit: 2))
            _ = try await clientA.registerOperation(
                OperationProfileBody(agentID: "p4-b", operationType: "y", averageCost: 1, averageBenefit: 3, benefitStddev: 1))
            for total in ["12", "14", "16"] {
                _ = try await clientA.optimize(
                    OptimizeRequest(totalBudget: try Amount(parsing: total), minAllocationPercentage: "0.1", riskTolerance: "0", apply: true))
            }
            // Remote requests: a few transactions on both sides.
            for number in 0..<5 {
                _ = try await clientA.requestRemoteBudget(
                    RemoteBudgetRequest(agentID: "x", remoteSystemID: "system_b", amount: 1, idempotencyKey: "page-\(number)"))
            }

            let pools = try await clientA.pools().pools.map(\.id)
            #expect(pools.count == 6)
            #expect(try await Self.walk(limit: 2, id: \.id) { try await clientA.pools(page: $0) } == pools)
            let agents = try await clientA.agents().agents.map(\.agentID)
            #expect(agents.count == 11)
            #expect(try await Self.walk(limit: 3, id: \.agentID) { try await clientA.agents(page: $0) } == agents)
            let alerts = try await clientA.alerts().alerts.map(\.id)
            #expect(alerts.count == 6)
            #expect(try await Self.walk(limit: 4, id: \.id) { try await clientA.alerts(page: $0) } == alerts)
            let accounts = try await clientA.accountBalances().accounts.map(\.id)
            #expect(accounts.count > 20)
            #expect(try await Self.walk(limit: 7, id: \.id) { try await clientA.accountBalances(page: $0) } == accounts)
            let decisions = try await clientA.decisions().decisions.map { "\($0.at) \($0.agentID ?? "") \($0.newValue)" }
            #expect(decisions.count >= 4)
            #expect(
                try await Self.walk(limit: 1, id: { "\($0.at) \($0.agentID ?? "") \($0.newValue)" }) {
                    try await clientA.decisions(page: $0)
                } == decisions)
            let peers = try await clientB.peers().peers.map(\.systemID)
            #expect(try await Self.walk(limit: 1, id: \.systemID) { try await clientB.peers(page: $0) } == peers)
            for client in [clientA, clientB] {
                let transactions = try await client.federationTransactions().transactions.map(\.transactionID)
                #expect(transactions.count == 5)
                #expect(
                    try await Self.walk(limit: 2, id: \.transactionID) { try await client.federationTransactions(page: $0) }
                        == transactions)
            }
            // Each id exactly once.
            #expect(Set(agents).count == agents.count && Set(accounts).count == accounts.count)

            for path in ["/v1/pools", "/v1/agents", "/v1/alerts", "/v1/ledger/accounts", "/v1/federation/transactions",
                "/v1/peers", "/v1/decisions"]
            {
                for query in ["limit=0", "limit=-1", "limit=1001", "limit=ten", "after=%%%", "after=bm90LWEtY3Vyc29y"] {
                    let (status, code) = try await Self.status(clientA, "\(path)?\(query)")
                    #expect(status == 400 && code == "invalid_request", "\(path)?\(query) answered \(status) \(code ?? "")")
                }
                let (status, _) = try await Self.status(clientA, "\(path)?limit=1000")
                #expect(status == 200)
            }
            // A cursor of one list is not a cursor of another.
            let poolCursor = try #require(try await clientA.pools(page: PageQuery(limit: 1)).next)
            let (status, _) = try await Self.status(clientA, "/v1/agents?after=\(poolCursor)")
            #expect(status == 400)
            #expect(try await clientA.ledgerCheck().balanced)
        }
    }

    @Test func pagingWhileWritingNeitherSkipsNorRepeats() async throws {
        try await TestNode.with { client, _ in
            _ = try await Fixture.make(client, poolBudget: "1000", agents: (0..<6).map { ("m\($0)", "1") })
            var seen: [String] = []
            var after: String?
            var added = 0
            repeat {
                let page = try await client.agents(page: PageQuery(limit: 2, after: after))
                seen += page.agents.map(\.agentID)
                after = page.next
                // New agents sort after every id seen so far and are walked too; none is repeated.
                let pool = try await client.pools().pools[0].id
                _ = try await client.registerAgent(
                    RegisterAgentRequest(agentID: "z\(added)", poolID: pool, priority: "LOW", initialBudget: 1))
                added += 1
            } while after != nil && added < 20
            #expect(Set(seen).count == seen.count)
            #expect(Set((0..<6).map { "m\($0)" }).isSubset(of: Set(seen)))
        }
    }

    @Test func federationTransactionsWithThousandsOfRecordsAnswerOnePage() async throws {
        try await PeerFloodTests.withRefusingGiver { clientB, raw, _ in
            for number in 0..<PeerFloodTests.kept {
                _ = try await PeerFloodTests.request(&raw, "t-\(number)", metadata: [:])
            }
            let page = try await clientB.federationTransactions(page: PageQuery(limit: 7))
            #expect(page.transactions.count == 7)
            #expect(page.next != nil)
            let response = try await clientB.raw(.GET, "/v1/federation/transactions")
            let first = try APICoding.decoder().decode(FederationTransactionList.self, from: Data(response.body))
            #expect(first.transactions.count == min(100, PeerFloodTests.kept))
        }
    }
}
