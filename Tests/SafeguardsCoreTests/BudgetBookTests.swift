import SafeguardsCore
import Testing

private typealias B = BookFixture

@Suite("BudgetBook pools")
struct BudgetBookPoolTests {
    @Test("creating a pool funds it from the funding account")
    func createPoolFundsThePool() throws {
        var book = BudgetBook()
        let result = try book.execute(B.createPool(key: "k1"), now: B.start)
        let snapshot = try #require(result.pool)

        #expect(result.replayed == false)
        #expect(snapshot.pool.name == "research")
        #expect(snapshot.pool.priority == B.poolPriority)
        #expect(snapshot.pool.metadata == ["team": "ml"])
        #expect(snapshot.pool.createdAt == B.start)
        #expect(snapshot.available == 1000)
        #expect(snapshot.allocated == .zero)
        #expect(snapshot.spent == .zero)
        #expect(snapshot.total == 1000)
        #expect(book.ledger.account(LedgerAccounts.funding)?.postedBalance == -1000)
        let changes = book.takeUnsavedChanges()
        #expect(changes.contains(.poolCreated(snapshot.pool)))
        #expect(changes.contains { if case .ledger(.transferCreated(let t)) = $0 { t.amount == 1000 } else { false } })
    }

    @Test("a second pool with the same name is a conflict unless it repeats the idempotency key")
    func duplicateNameIsConflictUnlessSameKey() throws {
        var book = BudgetBook()
        try book.execute(B.createPool(key: "k1"), now: B.start)
        _ = book.takeUnsavedChanges()
        let other = PoolID(unchecked: "other")

        book.expectRefusal(.conflict, B.createPool(other, key: "k2"))
        book.expectRefusal(.conflict, B.createPool(other, key: nil))
        book.expectRefusal(.conflict, B.createPool(B.pool, key: nil))

        let retry = try book.execute(B.createPool(key: "k1"), now: B.at(milliseconds: 1_000))
        #expect(retry.replayed == true)
        #expect(retry.pool?.pool.createdAt == B.start)
        #expect(book.pools.count == 1)
        #expect(book.ledger.account(LedgerAccounts.funding)?.postedBalance == -1000)
        #expect(book.takeUnsavedChanges().isEmpty)
    }

    @Test("an idempotency key repeated with another request is a conflict")
    func reusedKeyWithOtherFieldsIsConflict() throws {
        var book = BudgetBook()
        try book.execute(B.createPool(key: "k1"), now: B.start)
        book.expectRefusal(.conflict, B.createPool(PoolID(unchecked: "other"), name: "elsewhere", key: "k1"))
        book.expectRefusal(.conflict, B.createPool(budget: 999, key: "k1"))
        try book.execute(B.registerAgent(key: "ka"), now: B.start)
        book.expectRefusal(.conflict, B.registerAgent(budget: 150, key: "ka"))
        #expect(book.pools.count == 1)
        #expect(book.agents.count == 1)
    }

    @Test("a pool id cannot be reused under another name")
    func duplicateIDIsConflict() throws {
        var book = try B.book(agentBudget: nil)
        book.expectRefusal(.conflict, B.createPool(B.pool, name: "another name"))
        #expect(book.poolIDsByName["another name"] == nil)
    }

    @Test("bad names, negative budgets and out-of-range priorities are refused")
    func invalidPoolsAreRefused() throws {
        var book = BudgetBook()
        book.expectRefusal(.invalidRequest, B.createPool(name: ""))
        book.expectRefusal(.invalidRequest, B.createPool(name: "tab\there"))
        book.expectRefusal(.invalidRequest, B.createPool(name: String(repeating: "n", count: 101)))
        book.expectRefusal(.invalidAmount, B.createPool(budget: Amount(micros: -1)))
        #expect(book.pools.isEmpty)
        #expect(book.ledger.accounts.isEmpty)
        #expect(throws: SafeguardsError.self) { try PoolPriority(0) }
        #expect(throws: SafeguardsError.self) { try PoolPriority(11) }
        #expect(try PoolPriority(10).value == 10)
    }

    @Test("a pool may start empty")
    func emptyPoolIsAllowed() throws {
        var book = BudgetBook()
        let snapshot = try #require(try book.execute(B.createPool(budget: .zero), now: B.start).pool)
        #expect(snapshot.total == .zero)
        #expect(book.ledger.transfers.isEmpty)
    }
}

@Suite("BudgetBook agents")
struct BudgetBookAgentTests {
    @Test("registering an agent moves its initial budget out of the pool")
    func registerAgentMovesBudgetFromPool() throws {
        var book = try B.book(agentBudget: nil)
        let result = try book.execute(B.registerAgent(budget: 200, key: "ka"), now: B.start)
        let agent = try #require(result.agent)

        #expect(result.replayed == false)
        #expect(agent.available == 200)
        #expect(agent.reserved == .zero)
        #expect(agent.spent == .zero)
        #expect(agent.total == 200)
        #expect(agent.agent.poolID == B.pool)
        #expect(agent.agent.priority == .high)
        #expect(agent.agent.alertLevel == .normal)
        let pool = try #require(book.research)
        #expect(pool.available == 800)
        #expect(pool.allocated == 200)
        #expect(pool.total == 1000)
        let allocation = try #require(book.ledger.transfer(B.id("alloc:a1")))
        #expect(allocation.debitAccount == LedgerAccounts.pool(B.pool))
        #expect(allocation.creditAccount == LedgerAccounts.agent(B.agent))
        #expect(book.agentIDsByPool[B.pool] == [B.agent])
    }

    @Test("an agent whose budget the pool cannot cover is refused and nothing is opened")
    func registerAgentBeyondPoolIsRefused() throws {
        var book = try B.book()
        let a2 = AgentID(unchecked: "a2")
        let error = book.expectRefusal(.insufficientBudget, B.registerAgent(a2, budget: Amount(micros: 800_000_001)))
        #expect(error?.message.contains("pool research") == true)
        #expect(book.agents[a2] == nil)
        #expect(book.ledger.account(LedgerAccounts.agent(a2)) == nil)
        #expect(book.ledger.account(LedgerAccounts.spent(a2)) == nil)
        #expect(book.research?.available == 800)
        #expect(book.takeUnsavedChanges().isEmpty)
        // Exactly what is left is fine.
        #expect(try book.execute(B.registerAgent(a2, budget: 800), now: B.start).agent?.total == 800)
        #expect(book.research?.available == .zero)
    }

    @Test("an agent in an unknown pool is refused as not found")
    func unknownPoolIsNotFound() throws {
        var book = try B.book(agentBudget: nil)
        book.expectRefusal(.notFound, B.registerAgent(pool: PoolID(unchecked: "nowhere")))
        book.expectRefusal(.invalidAmount, B.registerAgent(budget: Amount(micros: -1)))
        #expect(book.agents.isEmpty)
    }

    @Test("registering the same agent again is a replay only with the same idempotency key")
    func duplicateAgentIsConflictUnlessSameKey() throws {
        var book = try B.book(agentBudget: nil)
        try book.execute(B.registerAgent(key: "ka"), now: B.start)
        _ = book.takeUnsavedChanges()
        let retry = try book.execute(B.registerAgent(key: "ka"), now: B.start)
        #expect(retry.replayed == true)
        #expect(retry.agent?.total == 200)
        #expect(book.research?.available == 800)
        #expect(book.takeUnsavedChanges().isEmpty)
        book.expectRefusal(.conflict, B.registerAgent(key: "kb"))
        book.expectRefusal(.conflict, B.registerAgent(key: nil))
    }
}

@Suite("BudgetBook agent budgets")
struct BudgetBookSetBudgetTests {
    @Test("raising a budget moves the difference from the pool, with the reason")
    func raisingMovesDifferenceFromPool() throws {
        var book = try B.book()
        let result = try book.execute(
            .setAgentBudget(B.agent, budget: 300, reason: "more work", transferID: B.id("b1")), now: B.start)
        #expect(result.replayed == false)
        #expect(result.agent?.total == 300)
        #expect(book.research?.available == 700)
        #expect(book.research?.total == 1000)
        let transfer = try #require(book.ledger.transfer(B.id("b1")))
        #expect(transfer.debitAccount == LedgerAccounts.pool(B.pool))
        #expect(transfer.creditAccount == LedgerAccounts.agent(B.agent))
        #expect(transfer.amount == 100)
        #expect(transfer.reason == "more work")
        #expect(transfer.metadata[TransferMetadataKey.kind] == TransferKind.budgetUpdate.rawValue)
        #expect(transfer.metadata[TransferMetadataKey.budget] == "300.000000")
        #expect(transfer.metadata[TransferMetadataKey.agent] == "a1")
    }

    @Test("lowering a budget moves the difference back to the pool")
    func loweringMovesDifferenceToPool() throws {
        var book = try B.book()
        try book.execute(
            .setAgentBudget(B.agent, budget: 120, reason: "quiet week", transferID: B.id("b1")), now: B.start)
        #expect(book.a1?.total == 120)
        #expect(book.research?.available == 880)
        let transfer = try #require(book.ledger.transfer(B.id("b1")))
        #expect(transfer.debitAccount == LedgerAccounts.agent(B.agent))
        #expect(transfer.creditAccount == LedgerAccounts.pool(B.pool))
        #expect(transfer.amount == 80)
    }

    @Test("a budget cannot go below what the agent spent and reserved")
    func cannotGoBelowSpentAndReserved() throws {
        var book = try B.book()
        try book.execute(.spend(B.agent, amount: 50, transferID: B.id("s1")), now: B.start)
        try book.execute(.reserve(B.agent, amount: 30, reservationID: B.id("r1"), timeout: nil), now: B.start)
        let error = book.expectRefusal(
            .insufficientBudget,
            .setAgentBudget(B.agent, budget: Amount(micros: 79_999_999), reason: "cut", transferID: B.id("b1")))
        #expect(error?.message.contains("80.000000") == true)
        #expect(book.a1?.total == 200)
        #expect(book.ledger.transfer(B.id("b1")) == nil)

        let result = try book.execute(
            .setAgentBudget(B.agent, budget: 80, reason: "cut", transferID: B.id("b2")), now: B.start)
        #expect(result.agent?.available == .zero)
        #expect(result.agent?.total == 80)
        #expect(book.research?.total == 1000)
    }

    @Test("raising beyond what the pool holds is refused")
    func raisingBeyondPoolIsRefused() throws {
        var book = try B.book()
        book.expectRefusal(
            .insufficientBudget,
            .setAgentBudget(B.agent, budget: Amount(micros: 1_000_000_001), reason: "all", transferID: B.id("b1")))
        #expect(book.a1?.total == 200)
        #expect(book.research?.available == 800)
    }

    @Test("the same transfer id with the same budget is a replay; with another budget a conflict")
    func setBudgetRetry() throws {
        var book = try B.book()
        let command = BudgetCommand.setAgentBudget(B.agent, budget: 300, reason: "more", transferID: B.id("b1"))
        try book.execute(command, now: B.start)
        _ = book.takeUnsavedChanges()

        let retry = try book.execute(command, now: B.at(milliseconds: 1_000))
        #expect(retry.replayed == true)
        #expect(book.a1?.total == 300)
        #expect(book.takeUnsavedChanges().isEmpty)
        book.expectRefusal(
            .conflict, .setAgentBudget(B.agent, budget: 400, reason: "more", transferID: B.id("b1")))
        // The id of a transfer of another kind is not a budget change either.
        book.expectRefusal(
            .conflict, .setAgentBudget(B.agent, budget: 400, reason: "more", transferID: B.id("alloc:a1")))
        #expect(book.a1?.total == 300)
    }

    @Test("setting the current budget moves nothing")
    func settingTheSameBudgetMovesNothing() throws {
        var book = try B.book()
        let result = try book.execute(
            .setAgentBudget(B.agent, budget: 200, reason: "same", transferID: B.id("b1")), now: B.start)
        #expect(result.agent?.total == 200)
        #expect(book.ledger.transfer(B.id("b1")) == nil)
        #expect(book.takeUnsavedChanges().isEmpty)
    }

    @Test("bad budget changes are refused with the matching code")
    func invalidBudgetChangesAreRefused() throws {
        var book = try B.book()
        book.expectRefusal(
            .invalidAmount, .setAgentBudget(B.agent, budget: Amount(-1), reason: "r", transferID: B.id("b1")))
        book.expectRefusal(.invalidRequest, .setAgentBudget(B.agent, budget: 10, reason: "", transferID: B.id("b1")))
        book.expectRefusal(
            .invalidRequest,
            .setAgentBudget(B.agent, budget: 10, reason: String(repeating: "r", count: 501), transferID: B.id("b1")))
        book.expectRefusal(
            .notFound, .setAgentBudget(AgentID(unchecked: "ghost"), budget: 10, reason: "r", transferID: B.id("b1")))
        #expect(book.a1?.total == 200)
    }
}
