import Foundation
import NIOHTTP1
import SafeguardsAPI
import SafeguardsCore
import SafeguardsStore
import Testing

@testable import SafeguardsNode

/// `GET /v1/transfers`: the journal's history, filtered, newest first, paged with a keyset cursor
/// that neither skips nor repeats while spends are written, and read through indexes only.
@Suite("Transfer history", .timeLimit(.minutes(5)))
struct TransferHistoryTests {
    /// Two pools: `h-a1` and `h-a2` in the first, `h-b1` in the second, with spends, a reservation
    /// settled and a budget change. Returns the two pools' ids.
    static func seed(_ client: SafeguardsClient) async throws -> (first: String, second: String) {
        let first = try await Fixture.make(client, poolBudget: "1000", agents: [("h-a1", "100"), ("h-a2", "100")])
        let second = try await Fixture.make(client, poolBudget: "500", agents: [("h-b1", "50")])
        _ = try await client.spend(agent: "h-a1", SpendRequest(amount: 5, idempotencyKey: "a1-1"))
        let reservation = try await client.reserve(agent: "h-a1", ReserveRequest(amount: 10, idempotencyKey: "a1-r"))
        _ = try await client.spend(agent: "h-a2", SpendRequest(amount: 3, idempotencyKey: "a2-1"))
        _ = try await client.updateBudget(agent: "h-b1", UpdateBudgetRequest(budget: 60, reason: "more", idempotencyKey: "b1-u"))
        _ = try await client.spend(agent: "h-b1", SpendRequest(amount: 1, idempotencyKey: "b1-1"))
        _ = try await client.settle(reservation: reservation.reservationID, amount: 4)
        _ = try await client.spend(agent: "h-a1", SpendRequest(amount: 2, idempotencyKey: "a1-2"))
        return (first.pool.id, second.pool.id)
    }

    /// Whether `transfer` debits or credits one of `accounts`.
    static func touches(_ transfer: TransferBody, _ accounts: Set<String>) -> Bool {
        accounts.contains(transfer.debitAccount) || accounts.contains(transfer.creditAccount)
    }

    static func accounts(of agents: [String]) -> Set<String> {
        Set(agents.flatMap { ["agent:\($0)", "spent:\($0)"] })
    }

    @Test func eachFilterReturnsExactlyTheMatchingTransfersNewestFirst() async throws {
        try await TestNode.with { client, _ in
            let (first, second) = try await Self.seed(client)
            let all = try await client.transfers().transfers
            #expect(all.count == 11)  // 2 fundings, 3 allocations, 3+1 spends, a reservation, a budget change
            let created = all.map(\.createdAt)
            #expect(created == created.sorted(by: >), "newest first")

            func ids(_ query: TransferQuery) async throws -> [String] {
                try await client.transfers(query, limit: 2).transfers.map(\.id)
            }
            func expected(_ include: (TransferBody) -> Bool) -> [String] { all.filter(include).map(\.id) }

            let a1 = try await ids(TransferQuery(agentID: "h-a1"))
            #expect(a1 == ["spd:a1-2", "rsv:a1-r", "spd:a1-1", "alloc:h-a1"])
            #expect(a1 == expected { Self.touches($0, Self.accounts(of: ["h-a1"])) })

            let firstPool = try await ids(TransferQuery(poolID: first))
            #expect(firstPool == expected { Self.touches($0, Self.accounts(of: ["h-a1", "h-a2"]).union(["pool:\(first)"])) })
            #expect(firstPool.count == 7)
            let secondPool = try await ids(TransferQuery(poolID: second))
            #expect(secondPool == ["spd:b1-1", "bud:b1-u", "alloc:h-b1", "fund:\(second)"])

            let spends = try await ids(TransferQuery(kind: "spend"))
            #expect(spends == ["spd:a1-2", "spd:b1-1", "spd:a2-1", "spd:a1-1"])
            #expect(try await ids(TransferQuery(agentID: "h-a1", kind: "reservation")) == ["rsv:a1-r"])
            #expect(try await ids(TransferQuery(poolID: second, kind: "budget_update")) == ["bud:b1-u"])
            #expect(try await ids(TransferQuery(agentID: "h-b1", poolID: first)).isEmpty)

            // Times: since is inclusive, until exclusive, and an offset names the same instant.
            let pivot = all[5].createdAt
            let since = try await ids(TransferQuery(since: pivot))
            #expect(since == expected { $0.createdAt >= pivot })
            #expect(since.contains(all[5].id))
            let until = try await ids(TransferQuery(until: pivot))
            #expect(until == expected { $0.createdAt < pivot })
            #expect(!until.contains(all[5].id))
            #expect(Set(since).union(until) == Set(all.map(\.id)))
            let pivotTime = try #require(ISO8601.parse(pivot))
            let shifted = Self.rfc3339(pivotTime, offsetHours: 2)
            #expect(try await ids(TransferQuery(since: shifted)) == since)
            let window = try await ids(TransferQuery(agentID: "h-a1", since: all[10].createdAt, until: pivot))
            #expect(window == expected { Self.touches($0, Self.accounts(of: ["h-a1"])) && $0.createdAt < pivot })

            // Well-formed ids that name nothing: empty, as the other filtered lists answer.
            #expect(try await ids(TransferQuery(agentID: "nobody")).isEmpty)
            #expect(try await ids(TransferQuery(poolID: "pool_nothing")).isEmpty)

            // Each item is the body `GET /v1/transfers/{id}` answers.
            for transfer in all { #expect(try await client.transfer(transfer.id) == transfer) }
        }
    }

    /// `time` written with a `+0H:00` offset (`offsetHours` 0...9).
    static func rfc3339(_ time: Timestamp, offsetHours: Int64) -> String {
        let local = ISO8601.format(time.advanced(by: .seconds(offsetHours * 3600)))
        return String(local.dropLast()) + "+0\(offsetHours):00"
    }

    @Test func badFiltersAndPagesAreRefusedClearly() async throws {
        try await TestNode.with { client, _ in
            _ = try await Self.seed(client)
            let alertCursor = PageRequest.encode(list: "alerts", key: "3")
            let refused = [
                "kind=bogus", "kind=", "since=yesterday", "since=2026-13-01T00:00:00Z", "since=2026-02-30T00:00:00Z",
                "until=2026-12-02T18:00:00", "since=2026-12-02T18:00:00Z&until=2026-12-02T18:00:00Z",
                "agent_id=a%20b", "pool_id=%C3%A9", "limit=0", "limit=1001", "limit=ten", "after=garbage",
                "after=\(alertCursor)",
            ]
            for query in refused {
                let (status, code) = try await PagingTests.status(client, "/v1/transfers?\(query)")
                #expect(status == 400, "\(query)")
                #expect(code == "invalid_request", "\(query)")
            }
            let response = try await client.raw(.GET, "/v1/transfers?kind=bogus")
            #expect(String(decoding: response.body, as: UTF8.self).contains("spend"), "the message lists the kinds")
            let (status, _) = try await PagingTests.status(client, "/v1/transfers?since=2026-12-02T19:30:00.5%2B01:00")
            #expect(status == 200)
        }
    }

    @Test func pagesReturnEveryTransferExactlyOnceWhileSpendsAreWritten() async throws {
        try await TestNode.with { client, _ in
            _ = try await Self.seed(client)
            let before = try await client.transfers().transfers.map(\.id)
            var walked: [String] = []
            var after: String?
            var number = 0
            repeat {
                let page = try await client.transfers(page: PageQuery(limit: 2, after: after))
                #expect(page.transfers.count <= 2)
                walked += page.transfers.map(\.id)
                after = page.next
                // Written between pages: newer than the walk's first page, so on none of its pages.
                let round = number
                async let one = client.spend(agent: "h-a1", SpendRequest(amount: 1, idempotencyKey: "walk-\(round)"))
                async let two = client.spend(agent: "h-a2", SpendRequest(amount: 1, idempotencyKey: "walk2-\(round)"))
                _ = try await (one, two)
                number += 1
            } while after != nil && number < 100
            #expect(walked == before)
            #expect(Set(walked).count == walked.count)
            let now = try await client.transfers().transfers.map(\.id)
            #expect(now.count == before.count + 2 * number)
            #expect(Array(now.suffix(before.count)) == before)
            // The same walk by agent, also while writing.
            let agentBefore = try await client.transfers(TransferQuery(agentID: "h-a2")).transfers.map(\.id)
            var agentWalk: [String] = []
            after = nil
            repeat {
                let page = try await client.transfers(TransferQuery(agentID: "h-a2"), page: PageQuery(limit: 3, after: after))
                agentWalk += page.transfers.map(\.id)
                after = page.next
                _ = try await client.spend(agent: "h-a2", SpendRequest(amount: 1))
            } while after != nil
            #expect(agentWalk == agentBefore)
        }
    }

    @Test func everyFilterReadsThroughAnIndex() async throws {
        try await TestNode.with { client, node in
            let (first, _) = try await Self.seed(client)
            let agent = AgentID(unchecked: "h-a1")
            let pool = PoolID(unchecked: first)
            let time = Timestamp.now()
            let filters: [TransferFilter] = [
                TransferFilter(), TransferFilter(agent: agent), TransferFilter(pool: pool), TransferFilter(kind: .spend),
                TransferFilter(since: time), TransferFilter(until: time), TransferFilter(since: time, until: time),
                TransferFilter(agent: agent, pool: pool, kind: .spend, since: time, until: time),
                TransferFilter(pool: pool, kind: .reservation), TransferFilter(kind: .spend, until: time),
            ]
            for filter in filters {
                for before: TransferCursor? in [nil, TransferCursor(createdAt: time.millisecondsSince1970, sequence: 7)] {
                    let plan = try node.operations.store.transferPagePlan(filter, before: before)
                    #expect(!plan.isEmpty)
                    #expect(!plan.contains { $0.contains("SCAN transfers") }, "\(filter): \(plan)")
                    #expect(plan.contains { $0.contains("SEARCH transfers USING") }, "\(filter): \(plan)")
                }
            }
            let byAgent = try node.operations.store.transferPagePlan(TransferFilter(agent: agent, kind: .spend), before: nil)
            #expect(byAgent.contains { $0.contains("transfers_by_agent") }, "\(byAgent)")
            let byTime = try node.operations.store.transferPagePlan(TransferFilter(since: time), before: nil)
            #expect(byTime.contains { $0.contains("transfers_by_time") }, "\(byTime)")
        }
    }
}
