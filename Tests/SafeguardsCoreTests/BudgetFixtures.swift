import SafeguardsCore
import Testing

/// Shared names and a small book for the budget suites: pool `research` holds 1000, and agent
/// `a1` was registered in it with 200 unless a test asks otherwise.
enum BookFixture {
    static let start = Timestamp(millisecondsSince1970: 1_767_225_600_000)
    static let pool = PoolID(unchecked: "research")
    static let agent = AgentID(unchecked: "a1")
    static let poolPriority = PoolPriority.five

    static func at(milliseconds offset: Int64) -> Timestamp {
        Timestamp(millisecondsSince1970: start.millisecondsSince1970 + offset)
    }

    static func createPool(
        _ id: PoolID = pool, name: String = "research", budget: Amount = 1000, key: String? = nil
    ) -> BudgetCommand {
        .createPool(
            id, name: name, priority: poolPriority, initialBudget: budget, metadata: ["team": "ml"],
            key: key.map(IdempotencyKey.init(unchecked:)))
    }

    static func registerAgent(
        _ id: AgentID = agent, pool: PoolID = pool, budget: Amount = 200, key: String? = nil
    ) -> BudgetCommand {
        .registerAgent(
            id, pool: pool, priority: .high, initialBudget: budget, key: key.map(IdempotencyKey.init(unchecked:)))
    }

    /// A book with the pool and (unless `agentBudget` is nil) the agent, changes already taken.
    static func book(poolBudget: Amount = 1000, agentBudget: Amount? = 200) throws -> BudgetBook {
        var book = BudgetBook()
        try book.execute(createPool(budget: poolBudget), now: start)
        if let agentBudget { try book.execute(registerAgent(budget: agentBudget), now: start) }
        _ = book.takeUnsavedChanges()
        return book
    }

    static func id(_ text: String) -> TransferID { TransferID(unchecked: text) }
}

extension PoolPriority {
    static let five: PoolPriority = {
        do { return try PoolPriority(5) } catch { fatalError("5 is a valid pool priority") }
    }()
}

extension BudgetResult {
    var pool: PoolSnapshot? { if case .pool(let snapshot, _) = self { snapshot } else { nil } }
    var agent: AgentSnapshot? { if case .agent(let snapshot, _) = self { snapshot } else { nil } }
    var transfer: Transfer? { if case .transfer(let transfer, _) = self { transfer } else { nil } }
    var expired: [Transfer]? { if case .expired(let transfers) = self { transfers } else { nil } }
    var closed: [Transfer]? { if case .closed(let transfers, _) = self { transfers } else { nil } }

    var replayed: Bool? {
        switch self {
        case .pool(_, let replayed), .agent(_, let replayed), .transfer(_, let replayed): replayed
        case .expired, .federation: nil
        case .resources(_, let replayed), .closed(_, let replayed), .agents(_, let replayed): replayed
        }
    }
}

extension BudgetBook {
    var a1: AgentSnapshot? { agentSnapshot(BookFixture.agent) }
    var research: PoolSnapshot? { poolSnapshot(BookFixture.pool) }

    /// Runs `command`, expecting a refusal with `code`; returns the error for further checks.
    @discardableResult
    mutating func expectRefusal(
        _ code: SafeguardsError.Code, _ command: BudgetCommand, now: Timestamp = BookFixture.start,
        sourceLocation: SourceLocation = #_sourceLocation
    ) -> SafeguardsError? {
        do {
            let result = try execute(command, now: now)
            Issue.record("expected \(code), got \(result)", sourceLocation: sourceLocation)
            return nil
        } catch {
            #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
            return error
        }
    }

    /// The alerts among the changes not yet taken (and takes them).
    mutating func takeAlerts() -> [UsageAlert] {
        takeUnsavedChanges().compactMap { change in
            if case .alertRaised(let alert) = change { return alert }
            return nil
        }
    }
}
