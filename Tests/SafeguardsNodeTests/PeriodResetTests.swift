import Foundation
import Logging
import SafeguardsAPI
import SafeguardsCore
import SafeguardsPolicies
import SafeguardsStore
import SafeguardsTestKit
import Testing

@testable import SafeguardsNode

/// Budget periods reset through the ledger, driven by the scheduler's check with a manual clock,
/// on a real store (so restarts read what the disk holds).
@Suite struct PeriodResetTests {
    static let quiet = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

    /// A store, its writer and the node's operations on a fresh database, at `start` on a manual clock.
    struct Fixture {
        let path: String
        let clock: ManualClock
        let writer: BudgetWriter
        let operations: BudgetOperations
        var plan = PeriodPlan()

        init(path: String? = nil, clock: ManualClock = ManualClock(start: time("2026-12-03T04:00:00Z"))) throws {
            let path = try path ?? (makeTemporaryDirectory() as NSString).appendingPathComponent("store.sqlite")
            self.path = path
            self.clock = clock
            let store = try LedgerStore(path: path)
            writer = try BudgetWriter(store: store, now: clock.nowFunction, logger: quiet)
            operations = BudgetOperations(writer: writer, store: store, defaultReservationTimeout: .seconds(86_400 * 5))
        }

        /// The same database opened again, as a node started later would.
        func restarted() throws -> Fixture { try Fixture(path: path, clock: clock) }

        func pool(_ total: Amount, period: String? = nil, zone: String? = nil) async throws -> String {
            let (pool, _) = try await operations.createPool(
                CreatePoolRequest(name: "main", initialBudget: total, priority: 5, budgetPeriod: period,
                    periodTimezone: zone))
            return pool.pool.id.rawValue
        }

        func agent(_ id: String, pool: String, budget: Amount, period: String? = "daily", zone: String? = nil)
            async throws
        {
            _ = try await operations.registerAgent(
                RegisterAgentRequest(agentID: id, poolID: pool, priority: "HIGH", initialBudget: budget,
                    budgetPeriod: period, periodTimezone: zone))
        }

        func spend(_ id: String, _ amount: Amount) async throws {
            _ = try await operations.spend(agent: id, SpendRequest(amount: amount))
        }

        func agentNow(_ id: String) -> AgentSnapshot? { writer.view { $0.agentSnapshot(AgentID(unchecked: id)) } }
        func poolNow(_ id: String) -> PoolSnapshot? { writer.view { $0.poolSnapshot(PoolID(unchecked: id)) } }

        /// One scheduler check at the clock's time.
        mutating func tick() async {
            _ = await PeriodScheduler(writer: writer, logger: PeriodResetTests.quiet).check(&plan)
        }

        /// The reset transfers of `owner` (`agent:a1`) as stored, oldest first (memory keeps only a window).
        func resets(_ owner: String) async -> [Transfer] {
            (try? operations.store.transfers(withIDPrefix: "reset:\(owner):", limit: 100)) ?? []
        }

        func expectBalanced() {
            let totals = writer.view { $0.ledgerTotals() }
            #expect(totals.overdrawnAccounts.isEmpty)
            #expect(totals.isBalanced)
        }
    }

    static func time(_ text: String) -> Timestamp {
        ISO8601.parse(text) ?? Timestamp(millisecondsSince1970: 0)
    }

    @Test func resetAtTheBoundaryRestoresAvailableAndKeepsReservations() async throws {
        var node = try Fixture()
        let pool = try await node.pool(1000)
        try await node.agent("a1", pool: pool, budget: 100)
        try await node.spend("a1", 60)
        let (reservation, _) = try await node.operations.reserve(agent: "a1", ReserveRequest(amount: 30))
        await node.tick()
        #expect(await node.resets("agent:a1").isEmpty)

        node.clock.set(Self.time("2026-12-04T00:00:00Z"))
        await node.tick()
        let agent = try #require(node.agentNow("a1"))
        #expect(agent.available == 70)
        #expect(agent.reserved == 30)
        #expect(agent.spentThisPeriod == 0)
        #expect(agent.spent == 60)
        #expect(agent.total == 100)
        #expect(agent.period?.startedAt == Self.time("2026-12-04T00:00:00Z"))
        let resets = await node.resets("agent:a1")
        #expect(resets.count == 1)
        let reset = try #require(resets.first)
        #expect(reset.id.rawValue == "reset:agent:a1:\(Self.time("2026-12-04T00:00:00Z").millisecondsSince1970 / 1000)")
        #expect(reset.reason == "period_reset")
        #expect(reset.metadata["kind"] == "period_reset")
        #expect(reset.metadata["budget_period"] == "daily")
        #expect(reset.amount == 60)
        #expect(reset.debitAccount == LedgerAccounts.pool(PoolID(unchecked: pool)))
        #expect(reset.creditAccount == LedgerAccounts.agent(AgentID(unchecked: "a1")))
        #expect(node.poolNow(pool)?.available == 840)
        node.expectBalanced()

        // The reservation made last period counts in the period it is settled in.
        _ = try await node.operations.settle(reservation: reservation.id.rawValue, amount: 20)
        let settled = try #require(node.agentNow("a1"))
        #expect(settled.spentThisPeriod == 20)
        #expect(settled.available == 80)
        #expect(settled.total == 100)

        // The body shows the period.
        let body = AgentBody(settled)
        #expect(body.period?.budgetPeriod == "daily")
        #expect(body.period?.periodResetsAt == "2026-12-05T00:00:00.000Z")
        #expect(body.budget.spentThisPeriod == 20)
    }

    @Test func replayingAResetChangesNothing() async throws {
        var node = try Fixture()
        let pool = try await node.pool(1000)
        try await node.agent("a1", pool: pool, budget: 100)
        try await node.spend("a1", 40)
        node.clock.set(Self.time("2026-12-04T00:00:01Z"))
        await node.tick()
        let before = node.writer.view { $0.ledgerTotals() }
        let owner = PeriodOwner.agent(AgentID(unchecked: "a1"))
        for start in ["2026-12-04T00:00:00Z", "2026-12-03T00:00:00Z"] {
            let result = try await node.writer.submit(.resetPeriod(owner, periodStart: Self.time(start)))
            guard case .agent(let snapshot, let replayed) = result else {
                Issue.record("unexpected result \(result)")
                return
            }
            #expect(replayed)
            #expect(snapshot.available == 100)
        }
        await node.tick()
        #expect(node.writer.view { $0.ledgerTotals() } == before)
        #expect(await node.resets("agent:a1").count == 1)
    }

    @Test func alertsReArmAfterAReset() async throws {
        var node = try Fixture()
        let pool = try await node.pool(1000)
        try await node.agent("a1", pool: pool, budget: 100)
        try await node.spend("a1", 80)
        #expect(node.agentNow("a1")?.agent.alertLevel == .warning)
        node.clock.set(Self.time("2026-12-04T00:00:00Z"))
        await node.tick()
        #expect(node.agentNow("a1")?.agent.alertLevel == .normal)
        try await node.spend("a1", 76)
        #expect(node.agentNow("a1")?.agent.alertLevel == .warning)
        let alerts = try await node.operations.alerts(agent: "a1", before: nil, limit: 10)
        #expect(alerts.count == 2)
        #expect(alerts.first?.item.used == 76)
        #expect(alerts.first?.item.budget == 100)
    }

    @Test func aNodeDownAcrossThreeBoundariesResetsOnceOnStart() async throws {
        let node = try Fixture()
        let pool = try await node.pool(1000)
        try await node.agent("a1", pool: pool, budget: 100)
        try await node.spend("a1", 50)
        // Down from the 3rd to the 6th: three midnights pass.
        node.clock.set(Self.time("2026-12-06T09:00:00Z"))
        var started = try node.restarted()
        #expect(started.agentNow("a1")?.period?.setting?.period == .daily)
        await started.tick()
        await started.tick()
        let resets = await started.resets("agent:a1")
        #expect(resets.count == 1)
        #expect(resets.first?.amount == 50)
        let agent = try #require(started.agentNow("a1"))
        #expect(agent.period?.startedAt == Self.time("2026-12-06T00:00:00Z"))
        #expect(agent.available == 100)
        #expect(agent.spentThisPeriod == 0)
        // And once more after another restart: what the reset wrote is what the disk holds.
        var again = try started.restarted()
        await again.tick()
        #expect(again.agentNow("a1") == agent)
        #expect(await again.resets("agent:a1").count == 1)
    }

    @Test func monthlyInBerlinResetsAtLocalMidnightOnTheFirst() async throws {
        var node = try Fixture(clock: ManualClock(start: Self.time("2026-03-15T12:00:00Z")))
        let pool = try await node.pool(1000)
        try await node.agent("a1", pool: pool, budget: 100, period: "monthly", zone: "Europe/Berlin")
        #expect(node.agentNow("a1")?.period?.startedAt == Self.time("2026-02-28T23:00:00Z"))
        try await node.spend("a1", 10)
        // 23:59 on the 31st of March in Berlin (CEST since the 29th): not yet.
        node.clock.set(Self.time("2026-03-31T21:59:00Z"))
        await node.tick()
        #expect(await node.resets("agent:a1").isEmpty)
        node.clock.set(Self.time("2026-03-31T22:00:00Z"))
        await node.tick()
        #expect(await node.resets("agent:a1").count == 1)
        #expect(node.agentNow("a1")?.period?.startedAt == Self.time("2026-03-31T22:00:00Z"))
        // October: back to CET on the 25th, so November starts at 23:00 UTC.
        try await node.spend("a1", 10)
        node.clock.set(Self.time("2026-10-31T22:30:00Z"))
        await node.tick()
        #expect(node.agentNow("a1")?.period?.startedAt == Self.time("2026-09-30T22:00:00Z"))
        node.clock.set(Self.time("2026-10-31T23:00:00Z"))
        await node.tick()
        #expect(node.agentNow("a1")?.period?.startedAt == Self.time("2026-10-31T23:00:00Z"))
        // April's and October's resets refilled what was spent; November's had nothing to move.
        #expect(await node.resets("agent:a1").map(\.amount) == [10, 10])
    }

    @Test func aPoolShortOfFundsResetsWhatItCanAndSaysSo() async throws {
        var node = try Fixture()
        let pool = try await node.pool(130)
        try await node.agent("a1", pool: pool, budget: 100)
        try await node.spend("a1", 60)
        node.clock.set(Self.time("2026-12-04T00:00:00Z"))
        await node.tick()
        let reset = try #require(await node.resets("agent:a1").first)
        #expect(reset.amount == 30)
        #expect(reset.metadata["requested"] == "60.000000")
        #expect(reset.metadata["shortfall"] == "30.000000")
        #expect(node.poolNow(pool)?.available == 0)
        #expect(node.agentNow("a1")?.total == 70)
        #expect(node.agentNow("a1")?.period?.target == 100)
        node.expectBalanced()

        // Once the pool has budget again, the next reset restores the whole budget.
        _ = try await node.writer.submit(
            .setPoolTotal(PoolID(unchecked: pool), total: 200, reason: "more", transferID: TransferID(unchecked: "more")))
        node.clock.set(Self.time("2026-12-05T00:00:00Z"))
        await node.tick()
        #expect(node.agentNow("a1")?.total == 100)
        #expect(node.agentNow("a1")?.available == 100)
        node.expectBalanced()
    }

    @Test func aPoolWithAPeriodIsRefilledBeforeItsAgents() async throws {
        var node = try Fixture()
        let pool = try await node.pool(100, period: "daily")
        try await node.agent("a1", pool: pool, budget: 100)
        try await node.spend("a1", 60)
        #expect(node.poolNow(pool)?.spentThisPeriod == 60)
        node.clock.set(Self.time("2026-12-04T00:00:00Z"))
        await node.tick()
        let poolReset = try #require(await node.resets("pool:\(pool)").first)
        #expect(poolReset.amount == 60)
        #expect(poolReset.debitAccount == LedgerAccounts.funding)
        #expect(await node.resets("agent:a1").first?.amount == 60)
        let snapshot = try #require(node.poolNow(pool))
        #expect(snapshot.total == 100)
        #expect(snapshot.spentThisPeriod == 0)
        #expect(node.agentNow("a1")?.available == 100)
        node.expectBalanced()
    }

    @Test func badPeriodInputIsRefusedAndStoresNothing() async throws {
        let node = try Fixture()
        let pool = try await node.pool(1000)
        for (period, zone, field) in [("2w", nil, "budget_period"), ("daily", "Mars/Olympus", "period_timezone"),
            ("30s", nil, "budget_period")]
        {
            await #expect {
                try await node.agent("a1", pool: pool, budget: 100, period: period, zone: zone)
            } throws: { error in
                (error as? SafeguardsError)?.message.contains(field) ?? false
            }
        }
        #expect(node.agentNow("a1") == nil)
        try await node.agent("a1", pool: pool, budget: 100, period: nil)
        await #expect(throws: SafeguardsError.self) {
            _ = try await node.operations.updateBudget(
                agent: "a1", UpdateBudgetRequest(budget: 50, reason: "r", budgetPeriod: "weekly", periodTimezone: "X/Y"))
        }
        #expect(node.agentNow("a1")?.total == 100)
        #expect(node.agentNow("a1")?.period == nil)
        // Then set, and removed with "none": the spent base stays, so the total does not jump.
        _ = try await node.operations.updateBudget(
            agent: "a1", UpdateBudgetRequest(budget: 100, reason: "r", budgetPeriod: "1h"))
        #expect(node.agentNow("a1")?.period?.setting?.period.description == "1h")
        _ = try await node.operations.updateBudget(
            agent: "a1", UpdateBudgetRequest(budget: 100, reason: "r", budgetPeriod: "none"))
        #expect(node.agentNow("a1")?.period?.setting == nil)
        #expect(node.agentNow("a1")?.total == 100)
        await #expect(throws: SafeguardsError.self) {
            _ = try await node.operations.setPoolPeriod(pool, PeriodRequest(budgetPeriod: "fortnightly"))
        }
        #expect(node.poolNow(pool)?.period == nil)
    }
}
