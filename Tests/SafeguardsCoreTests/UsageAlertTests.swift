import SafeguardsCore
import Testing

private typealias B = BookFixture

@Suite("BudgetBook usage alerts")
struct UsageAlertTests {
    /// Agent `a1` with a budget of exactly 100, so amounts read as percentages.
    func bookWithHundred() throws -> BudgetBook { try B.book(agentBudget: 100) }

    @Test("a warning is raised once when usage reaches 75%")
    func warningAtSeventyFivePercentOnce() throws {
        var book = try bookWithHundred()
        try book.execute(
            .reserve(B.agent, amount: Amount(micros: 74_999_999), reservationID: B.id("r1"), timeout: nil), now: B.start
        )
        #expect(book.takeAlerts().isEmpty)

        let crossing = B.at(milliseconds: 5_000)
        try book.execute(.spend(B.agent, amount: Amount(micros: 1), transferID: B.id("s1")), now: crossing)
        let alerts = book.takeAlerts()
        #expect(alerts.count == 1)
        let alert = try #require(alerts.first)
        #expect(alert.level == .warning)
        #expect(alert.used == 75)
        #expect(alert.budget == 100)
        #expect(alert.agentID == B.agent)
        #expect(alert.poolID == B.pool)
        #expect(alert.transferID == B.id("s1"))
        #expect(alert.createdAt == crossing)
        #expect(alert.id == "a1:s1")
        #expect(alert.usageBasisPoints == 7_500)
        #expect(book.a1?.agent.alertLevel == .warning)

        try book.execute(.spend(B.agent, amount: 5, transferID: B.id("s2")), now: B.start)
        #expect(book.takeAlerts().isEmpty)
    }

    @Test("a critical alert is raised once at 90%, after the warning")
    func criticalAtNinetyPercentOnce() throws {
        var book = try bookWithHundred()
        try book.execute(.spend(B.agent, amount: 75, transferID: B.id("s1")), now: B.start)
        try book.execute(.spend(B.agent, amount: Amount(micros: 14_999_999), transferID: B.id("s2")), now: B.start)
        try book.execute(.spend(B.agent, amount: Amount(micros: 1), transferID: B.id("s3")), now: B.start)
        try book.execute(.spend(B.agent, amount: 5, transferID: B.id("s4")), now: B.start)
        let alerts = book.takeAlerts()
        #expect(alerts.map(\.level) == [.warning, .critical])
        #expect(alerts.map(\.transferID) == [B.id("s1"), B.id("s3")])
        #expect(book.a1?.agent.alertLevel == .critical)
    }

    @Test("jumping past both levels at once raises only the critical alert")
    func jumpToCriticalRaisesOneAlert() throws {
        var book = try bookWithHundred()
        try book.execute(.reserve(B.agent, amount: 95, reservationID: B.id("r1"), timeout: nil), now: B.start)
        #expect(book.takeAlerts().map(\.level) == [.critical])
    }

    @Test("falling back between 75% and 90% does not re-arm the critical alert")
    func noRearmAboveWarning() throws {
        var book = try bookWithHundred()
        try book.execute(.spend(B.agent, amount: 80, transferID: B.id("s1")), now: B.start)
        try book.execute(.reserve(B.agent, amount: 12, reservationID: B.id("r1"), timeout: nil), now: B.start)
        #expect(book.takeAlerts().map(\.level) == [.warning, .critical])

        try book.execute(.release(reservationID: B.id("r1")), now: B.start)
        #expect(book.a1?.agent.alertLevel == .critical)
        #expect(book.takeUnsavedChanges().allSatisfy { if case .agentAlertLevel = $0 { false } else { true } })
        try book.execute(.reserve(B.agent, amount: 12, reservationID: B.id("r2"), timeout: nil), now: B.start)
        #expect(book.takeAlerts().isEmpty)
    }

    @Test("raising the budget so usage falls below 75% re-arms the alerts")
    func rearmedByRaisingBudget() throws {
        var book = try bookWithHundred()
        try book.execute(.spend(B.agent, amount: 90, transferID: B.id("s1")), now: B.start)
        #expect(book.takeAlerts().map(\.level) == [.critical])

        try book.execute(.setAgentBudget(B.agent, budget: 200, reason: "more", transferID: B.id("b1")), now: B.start)
        let changes = book.takeUnsavedChanges()
        #expect(changes.contains(.agentAlertLevel(B.agent, .normal)))
        #expect(!changes.contains { if case .alertRaised = $0 { true } else { false } })
        #expect(book.a1?.agent.alertLevel == .normal)

        try book.execute(.spend(B.agent, amount: 60, transferID: B.id("s2")), now: B.start)
        let alerts = book.takeAlerts()
        #expect(alerts.map(\.level) == [.warning])
        #expect(alerts.first?.budget == 200)
        #expect(alerts.first?.used == 150)
    }

    @Test("releasing a reservation so usage falls below 75% re-arms the alerts")
    func rearmedByRelease() throws {
        var book = try bookWithHundred()
        try book.execute(.spend(B.agent, amount: 10, transferID: B.id("s1")), now: B.start)
        try book.execute(.reserve(B.agent, amount: 70, reservationID: B.id("r1"), timeout: nil), now: B.start)
        #expect(book.takeAlerts().map(\.level) == [.warning])

        try book.execute(.release(reservationID: B.id("r1")), now: B.start)
        #expect(book.takeUnsavedChanges().contains(.agentAlertLevel(B.agent, .normal)))
        try book.execute(.reserve(B.agent, amount: 65, reservationID: B.id("r2"), timeout: nil), now: B.start)
        #expect(book.takeAlerts().map(\.transferID) == [B.id("r2")])
    }

    @Test("a reservation that expires re-arms the alerts, by sweep or on a late settle")
    func rearmedByExpiry() throws {
        var book = try bookWithHundred()
        try book.execute(.reserve(B.agent, amount: 80, reservationID: B.id("r1"), timeout: .seconds(10)), now: B.start)
        #expect(book.takeAlerts().count == 1)
        try book.execute(.expireReservations, now: B.at(milliseconds: 10_000))
        #expect(book.a1?.agent.alertLevel == .normal)

        try book.execute(.reserve(B.agent, amount: 80, reservationID: B.id("r2"), timeout: .seconds(10)), now: B.start)
        #expect(book.takeAlerts().map(\.transferID) == [B.id("r2")])
        // A settle after the timeout expires the reservation itself; that must re-arm too, or
        // the next crossing of 75% would go unreported.
        book.expectRefusal(.conflict, .settle(reservationID: B.id("r2"), amount: 1), now: B.at(milliseconds: 20_000))
        #expect(book.a1?.agent.alertLevel == .normal)
        try book.execute(
            .reserve(B.agent, amount: 80, reservationID: B.id("r3"), timeout: nil), now: B.at(milliseconds: 20_000))
        #expect(book.takeAlerts().map(\.transferID) == [B.id("r3")])
    }

    @Test("lowering the budget can raise an alert, named after the budget change")
    func loweringBudgetRaisesAlert() throws {
        var book = try bookWithHundred()
        try book.execute(.spend(B.agent, amount: 60, transferID: B.id("s1")), now: B.start)
        #expect(book.takeAlerts().isEmpty)
        try book.execute(.setAgentBudget(B.agent, budget: 70, reason: "cut", transferID: B.id("b1")), now: B.start)
        let alerts = book.takeAlerts()
        #expect(alerts.map(\.level) == [.warning])
        #expect(alerts.first?.transferID == B.id("b1"))
    }

    @Test(
        "usage levels follow the documented thresholds",
        arguments: [
            (Int64(0), Int64(100), UsageLevel.normal), (74, 100, .normal), (75, 100, .warning), (89, 100, .warning),
            (90, 100, .critical), (100, 100, .critical), (0, 0, .normal), (1, 0, .critical),
        ])
    func levelsFollowThresholds(used: Int64, budget: Int64, level: UsageLevel) throws {
        #expect(UsageLevel.of(used: try Amount(units: used), budget: try Amount(units: budget)) == level)
    }
}
