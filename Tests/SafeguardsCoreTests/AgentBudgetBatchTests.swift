import SafeguardsCore
import Testing

/// `setAgentBudgets`: several agents' budgets in one linked batch, with their decisions.
@Suite("Agent budgets in one batch")
struct AgentBudgetBatchTests {
    static let a2 = AgentID(unchecked: "a2")

    /// Pool `research` of 1000 with a1 at 200 and a2 at 300: 500 free in the pool.
    static func book() throws -> BudgetBook {
        var book = try BookFixture.book()
        try book.execute(BookFixture.registerAgent(a2, budget: 300), now: BookFixture.start)
        _ = book.takeUnsavedChanges()
        return book
    }

    static func change(_ agent: AgentID, _ budget: Amount, _ id: String) -> AgentBudgetChange {
        AgentBudgetChange(
            agent: agent, budget: budget, reason: "test", transferID: BookFixture.id(id),
            decision: DecisionRecord(
                policy: "test", poolID: BookFixture.pool, agentID: agent, oldValue: .zero, newValue: budget, reason: "test",
                at: BookFixture.start))
    }

    @Test func aBatchThePoolCannotFundChangesNoAgentAndLogsNothing() throws {
        var book = try Self.book()
        let batch = BudgetCommand.setAgentBudgets([Self.change(BookFixture.agent, 600, "b1"), Self.change(Self.a2, 600, "b2")])
        #expect(throws: SafeguardsError.self) { try book.execute(batch, now: BookFixture.start) }
        #expect(book.agentSnapshot(BookFixture.agent)?.total == 200)
        #expect(book.agentSnapshot(Self.a2)?.total == 300)
        #expect(book.ledger.totals().isBalanced)
        #expect(book.takeUnsavedChanges().isEmpty)
    }

    @Test func decreasesGoFirstSoTheyFundIncreasesAndEachDecisionIsLogged() throws {
        var book = try Self.book()
        // a1 needs 700 more than it has, the pool has 500: a2's 250 given back makes it fit.
        let result = try book.execute(
            .setAgentBudgets([Self.change(BookFixture.agent, 900, "b1"), Self.change(Self.a2, 50, "b2")]), now: BookFixture.start)
        #expect(book.agentSnapshot(BookFixture.agent)?.total == 900)
        #expect(book.agentSnapshot(Self.a2)?.total == 50)
        #expect(book.ledger.totals().isBalanced)
        let logged = book.takeUnsavedChanges().compactMap { change -> DecisionRecord? in
            if case .decisionLogged(let decision) = change { decision } else { nil }
        }
        #expect(logged.map(\.agentID) == [BookFixture.agent, Self.a2])
        guard case .agents(let agents, false) = result else { Issue.record("\(result)"); return }
        #expect(agents.map(\.total) == [900, 50])
        // The same batch again is a replay; the same ids for other budgets a conflict.
        let again = try book.execute(
            .setAgentBudgets([Self.change(BookFixture.agent, 900, "b1"), Self.change(Self.a2, 50, "b2")]), now: BookFixture.start)
        #expect(again.replayed == true)
        #expect(throws: SafeguardsError.self) {
            try book.execute(.setAgentBudgets([Self.change(BookFixture.agent, 800, "b1")]), now: BookFixture.start)
        }
    }
}
