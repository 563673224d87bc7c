import SafeguardsCore
import SafeguardsTestKit
import Testing

/// Seeded random command sequences on a book. A failure names the seed and step; `BookRun(seed:)`
/// with that seed replays the run exactly.
@Suite("BudgetBook conservation and restore over seeded command sequences")
struct BudgetBookPropertyTests {
    static let seeds: [UInt64] = Array(0..<60)

    @Test("pool totals are conserved, alert levels follow usage, restore agrees", arguments: seeds)
    func invariantsHoldForSeed(seed: UInt64) {
        var run = BookRun(seed: seed)
        run.play(steps: 200)
        if run.failed { return }
        run.checkRestore()
        #expect(run.successes > 40, "seed \(seed): only \(run.successes) commands succeeded")
        #expect(run.refusals > 0, "seed \(seed): no command was refused")
    }

    /// Transfers leave memory between commands (a window of 3 s, steps of 0-2 s, a few per
    /// step): the invariants hold, retries of ids that left are answered from the archive, and a
    /// book replayed from the journal behaves the same.
    @Test("invariants hold with eviction between commands", arguments: seeds.prefix(20))
    func invariantsHoldWithEviction(seed: UInt64) {
        var run = BookRun(seed: seed)
        run.evictFrom(MemoryArchive())
        run.play(steps: 200)
        if run.failed { return }
        run.checkRestore(fromState: false)
        #expect(run.evicted > 0, "seed \(seed): nothing left memory")
    }
}

@Suite("BudgetBook restore")
struct BudgetBookRestoreTests {
    @Test("a book restored from its ledger, pools and agents shows the same snapshots")
    func restoreFromStateGivesSameSnapshots() throws {
        var book = try BookFixture.book(agentBudget: 100)
        try book.execute(
            .spend(BookFixture.agent, amount: 80, transferID: BookFixture.id("s1")), now: BookFixture.start)
        try book.execute(
            .reserve(BookFixture.agent, amount: 5, reservationID: BookFixture.id("r1"), timeout: .seconds(9)),
            now: BookFixture.start)
        let ledger = try Ledger.restore(
            accounts: book.ledger.accounts.values.map { ($0.id, $0.flags) },
            transfers: Array(book.ledger.transfers.values))
        let restored = BudgetBook.restore(
            ledger: ledger, pools: Array(book.pools.values), agents: Array(book.agents.values))

        #expect(restored.poolSnapshots() == book.poolSnapshots())
        #expect(restored.agentSnapshots() == book.agentSnapshots())
        #expect(restored.agentSnapshot(BookFixture.agent)?.agent.alertLevel == .warning)
        #expect(restored.poolIDsByName == book.poolIDsByName)
        #expect(restored.agentIDsByPool == book.agentIDsByPool)
        #expect(restored.ledger.pendingTransferIDs == [BookFixture.id("r1")])
    }
}

/// One seeded run of budget commands, with the checks after every step.
struct BookRun {
    static let pools: [(PoolID, String, Amount)] = [
        (PoolID(unchecked: "p1"), "first", 1000), (PoolID(unchecked: "p2"), "second", 500),
    ]
    static let agentIDs = ["a1", "a2", "a3", "a4", "ghost"].map(AgentID.init(unchecked:))

    let seed: UInt64
    var random: SeededRandom
    var book = BudgetBook()
    var now = Timestamp(millisecondsSince1970: 1_767_225_600_000)
    var step = 0
    var failed = false
    var successes = 0
    var refusals = 0
    var nextID = 0
    var reservationIDs: [TransferID] = []
    var otherIDs: [TransferID] = []
    /// Every change the book reported, as a store would write it.
    var journal: [BudgetChange] = []
    /// When set, the committed changes go there too, and transfers older than 3 s leave memory
    /// after each command.
    var archive: MemoryArchive?
    var evicted = 0

    mutating func evictFrom(_ archive: MemoryArchive) {
        self.archive = archive
        book.archive = archive
    }

    init(seed: UInt64) {
        self.seed = seed
        self.random = SeededRandom(seed: seed)
    }

    @discardableResult
    mutating func check(
        _ condition: Bool, _ message: @autoclosure () -> String, sourceLocation: SourceLocation = #_sourceLocation
    ) -> Bool {
        if !condition {
            failed = true
            Issue.record("seed \(seed) step \(step): \(message())", sourceLocation: sourceLocation)
        }
        return condition
    }

    mutating func play(steps: Int) {
        for (id, name, budget) in Self.pools {
            execute(.createPool(id, name: name, priority: .five, initialBudget: budget, metadata: [:], key: nil))
        }
        for (index, agent) in Self.agentIDs.prefix(3).enumerated() {
            execute(
                .registerAgent(
                    agent, pool: Self.pools[index % 2].0, priority: .medium, initialBudget: 150, key: nil))
        }
        for index in 0..<steps where !failed {
            step = index
            now = now.advanced(by: .milliseconds(random.int64(in: 0...2_000)))
            execute(randomCommand())
        }
    }

    mutating func fresh(_ prefix: String) -> TransferID {
        nextID += 1
        return TransferID(unchecked: "\(prefix)\(nextID)")
    }

    mutating func randomAmount() -> Amount {
        switch random.int(in: 0...99) {
        case 0..<4: .zero
        case 4..<7: Amount(micros: -random.int64(in: 1...5_000_000))
        case 7..<9: Amount(micros: Int64.max / random.int64(in: 1...3))
        default: Amount(micros: random.int64(in: 1...60_000_000))
        }
    }

    mutating func randomCommand() -> BudgetCommand {
        let agent = random.element(of: Self.agentIDs) ?? Self.agentIDs[0]
        switch random.int(in: 0...99) {
        case 0..<25:
            let id = random.percent(90) ? fresh("r") : (random.element(of: reservationIDs) ?? fresh("r"))
            reservationIDs.append(id)
            let timeout: Duration? = random.percent(60) ? .milliseconds(random.int64(in: 1...30_000)) : nil
            return .reserve(agent, amount: randomAmount(), reservationID: id, timeout: timeout)
        case 25..<42:
            let id = random.element(of: reservationIDs) ?? fresh("r")
            let amount = random.percent(20) ? randomAmount() : Amount(micros: random.int64(in: 1...30_000_000))
            return .settle(reservationID: id, amount: amount)
        case 42..<52:
            return .release(reservationID: random.element(of: reservationIDs) ?? fresh("r"))
        case 52..<67:
            let id = random.percent(90) ? fresh("s") : (random.element(of: otherIDs) ?? fresh("s"))
            otherIDs.append(id)
            return .spend(agent, amount: randomAmount(), transferID: id)
        case 67..<80:
            let id = random.percent(80) ? fresh("b") : (random.element(of: otherIDs) ?? fresh("b"))
            otherIDs.append(id)
            let budget = random.percent(90) ? Amount(micros: random.int64(in: 0...400_000_000)) : randomAmount()
            return .setAgentBudget(agent, budget: budget, reason: "policy step", transferID: id)
        case 80..<92:
            return .expireReservations
        case 92..<97:
            let pool = random.element(of: Self.pools.map(\.0) + [PoolID(unchecked: "nowhere")]) ?? Self.pools[0].0
            return .registerAgent(agent, pool: pool, priority: .low, initialBudget: randomAmount(), key: nil)
        default:
            let (id, name, _) = random.element(of: Self.pools) ?? Self.pools[0]
            return .createPool(id, name: name, priority: .five, initialBudget: 1, metadata: [:], key: nil)
        }
    }

    mutating func execute(_ command: BudgetCommand) {
        let poolsBefore = book.poolSnapshots()
        let agentsBefore = book.agentSnapshots()
        do {
            _ = try book.execute(command, now: now)
            successes += 1
        } catch {
            refusals += 1
            // A late settle expires the reservation on the spot (documented); every other refusal
            // changes nothing.
            var expiredOnSettle = false
            if case .settle(let id, _) = command { expiredOnSettle = book.ledger.transfer(id)?.state == .expired }
            if !expiredOnSettle {
                check(book.poolSnapshots() == poolsBefore, "refused \(command) (\(error)) changed a pool")
                check(book.agentSnapshots() == agentsBefore, "refused \(command) (\(error)) changed an agent")
            }
        }
        let changes = book.takeUnsavedChanges()
        journal.append(contentsOf: changes)
        if let archive {
            archive.commit(changes)
            evicted += book.evictRetired(
                before: now.advanced(by: .seconds(-3)), through: book.ledger.retirementMark, limit: 4)
        }
        checkInvariants(after: command)
    }

    mutating func checkInvariants(after command: BudgetCommand) {
        check(book.ledger.totals().isBalanced, "ledger not balanced after \(command)")
        var issued: Int128 = 0
        for (id, _, funded) in Self.pools {
            guard let pool = book.poolSnapshot(id) else { continue }
            issued += Int128(funded.micros)
            check(pool.total == funded, "pool \(id) total \(pool.total) after \(command), funded \(funded)")
            check(
                Int128(pool.total.micros)
                    == Int128(pool.available.micros) + Int128(pool.allocated.micros) + Int128(pool.spent.micros),
                "pool \(id) total is not available + allocated + spent")
            check(!pool.available.isNegative, "pool \(id) available \(pool.available)")
        }
        let fundingBalance = book.ledger.account(LedgerAccounts.funding)?.postedBalance.micros ?? 0
        check(-Int128(fundingBalance) == issued, "funding issued \(-fundingBalance), pools hold \(issued)")
        for agent in book.agentSnapshots() {
            check(
                !agent.available.isNegative && !agent.reserved.isNegative && !agent.spent.isNegative,
                "agent \(agent.agent.id) has a negative balance: \(agent)")
            check(
                agent.total.micros == agent.available.micros + agent.reserved.micros + agent.spent.micros,
                "agent \(agent.agent.id) total is not available + reserved + spent")
            let used = Amount(micros: agent.spent.micros + agent.reserved.micros)
            let level = UsageLevel.of(used: used, budget: agent.total)
            let alertLevel = agent.agent.alertLevel
            check(
                level <= alertLevel && (level != .normal || alertLevel == .normal),
                "agent \(agent.agent.id) at \(level.name) usage has alert level \(alertLevel.name) after \(command)")
        }
    }

    /// Restores the book twice (from its state, and from the journal alone) and checks both
    /// agree with the live one, then that they go on to behave the same.
    mutating func checkRestore(fromState: Bool = true) {
        if fromState {
            do {
                let ledger = try Ledger.restore(
                    accounts: book.ledger.accounts.values.map { ($0.id, $0.flags) },
                    transfers: Array(book.ledger.transfers.values))
                let restored = BudgetBook.restore(
                    ledger: ledger, pools: Array(book.pools.values), agents: Array(book.agents.values))
                check(restored.poolSnapshots() == book.poolSnapshots(), "restored pools differ")
                check(restored.agentSnapshots() == book.agentSnapshots(), "restored agents differ")
            } catch {
                check(false, "restore from state failed: \(error)")
            }
        }

        var accounts: [AccountID: AccountFlags] = [:]
        var transfers: [TransferID: Transfer] = [:]
        var pools: [PoolID: Pool] = [:]
        var agents: [AgentID: Agent] = [:]
        var periods: [PeriodOwner: PeriodState] = [:]
        for change in journal {
            switch change {
            case .ledger(.accountOpened(let id, let flags)): accounts[id] = flags
            case .ledger(.transferCreated(let transfer)), .ledger(.transferResolved(let transfer)):
                transfers[transfer.id] = transfer
            case .poolCreated(let pool): pools[pool.id] = pool
            case .agentRegistered(let agent): agents[agent.id] = agent
            case .agentAlertLevel(let id, let level):
                guard let agent = agents[id] else {
                    check(false, "alert level of unknown agent \(id) in the journal")
                    continue
                }
                agents[id] = Agent(
                    id: agent.id, poolID: agent.poolID, priority: agent.priority, initialBudget: agent.initialBudget,
                    createdAt: agent.createdAt, creationKey: agent.creationKey, alertLevel: level,
                    closedAt: agent.closedAt)
            case .periodChanged(let owner, let state): periods[owner] = state
            case .poolClosed(let id, let at):
                guard let pool = pools[id] else { continue }
                pools[id] = Pool(
                    id: pool.id, name: pool.name, priority: pool.priority, metadata: pool.metadata,
                    createdAt: pool.createdAt, creationKey: pool.creationKey, closedAt: at)
            case .agentClosed(let id, let at):
                guard let agent = agents[id] else { continue }
                agents[id] = Agent(
                    id: agent.id, poolID: agent.poolID, priority: agent.priority, initialBudget: agent.initialBudget,
                    createdAt: agent.createdAt, creationKey: agent.creationKey, alertLevel: agent.alertLevel,
                    closedAt: at)
            case .alertRaised, .federationRecorded, .decisionLogged: break
            }
        }
        let ledger: Ledger
        do {
            ledger = try Ledger.restore(
                accounts: accounts.map { ($0.key, $0.value) }, transfers: Array(transfers.values))
        } catch {
            check(false, "restore from the journal failed: \(error)")
            return
        }
        var restored = BudgetBook.restore(
            ledger: ledger, pools: Array(pools.values), agents: Array(agents.values), periods: periods)
        check(restored.poolSnapshots() == book.poolSnapshots(), "pools restored from the journal differ")
        check(restored.agentSnapshots() == book.agentSnapshots(), "agents restored from the journal differ")

        // The restored book answers the next commands exactly as the live one does.
        for index in 0..<40 where !failed {
            step = 10_000 + index
            now = now.advanced(by: .milliseconds(random.int64(in: 0...2_000)))
            let command = randomCommand()
            let live = Result { () throws(SafeguardsError) in try book.execute(command, now: now) }
            let replica = Result { () throws(SafeguardsError) in try restored.execute(command, now: now) }
            check(live == replica, "after restore, \(command) gave \(replica) instead of \(live)")
            check(
                book.takeUnsavedChanges() == restored.takeUnsavedChanges(),
                "after restore, \(command) recorded other changes")
        }
    }
}
