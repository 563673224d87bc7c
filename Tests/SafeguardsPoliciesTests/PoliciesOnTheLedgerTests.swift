import SafeguardsCore
import SafeguardsPolicies
import SafeguardsTestKit
import Testing

/// Every policy together, applied through the budget book as the node applies them, over long
/// seeded random workloads.
@Suite("Policies on the ledger")
struct PoliciesOnTheLedgerTests {
    @Test("the ledger stays balanced and no budget goes below zero", arguments: [UInt64(1), 2, 3, 4, 5])
    func allPoliciesTogetherKeepTheLedgerBalanced(seed: UInt64) throws {
        var random = SeededRandom(seed: seed)
        var book = BudgetBook()
        var time = Timestamp(millisecondsSince1970: 1_767_225_600_000)
        let pool = PoolID(unchecked: "pool")
        try book.execute(
            .createPool(pool, name: "pool", priority: PoolPriority(5), initialBudget: 1000, metadata: [:], key: nil), now: time)
        let priorities = AgentPriority.allCases
        let agents = (0..<6).map { AgentID(unchecked: "agent-\($0)") }
        for (index, agent) in agents.enumerated() {
            try book.execute(
                .registerAgent(agent, pool: pool, priority: priorities[index % priorities.count], initialBudget: 100, key: nil),
                now: time)
        }
        let sizing = AdaptivePoolSizing(minPoolBudget: 200, maxPoolBudget: 5000, minAgentsForAdjustment: 3)
        let reallocation = PriorityReallocation(emergencyThreshold: 5)
        let profiles = TimeProfileSchedule(
            timeZone: "Europe/Paris",
            profiles: [
                TimeProfile(name: "day", budget: 3000, start: 480, end: 1200, days: Set(0...6)),
                TimeProfile(name: "night", budget: 1500, start: 1200, end: 480, days: Set(0...6)),
            ])
        try profiles.validate()
        let rails = SafetyRails(maxChangePerStep: Ratio(basisPoints: 3000), coolDown: .zero)
        var sequence = 0
        var refused = 0
        var applied = 0
        func apply(_ command: BudgetCommand, _ proposal: PolicyProposal, policy: String, agent: AgentID?) {
            sequence += 1
            let decision = DecisionRecord(
                policy: policy, poolID: pool, agentID: agent, oldValue: proposal.oldValue, newValue: proposal.newValue,
                reason: proposal.reason, at: time)
            do {
                try book.execute(.decided(command, decision), now: time)
                applied += 1
            } catch {
                refused += 1  // the fallback: the budget stays as it is
            }
        }
        func usage() -> PoolUsage {
            let snapshot = book.poolSnapshot(pool)!
            let used = book.agentSnapshots(in: pool).reduce(Int64(0)) { $0 + $1.spent.micros + $1.reserved.micros }
            return PoolUsage(total: snapshot.total, available: snapshot.available, used: Amount(micros: used), agentCount: agents.count)
        }
        func agentUsage() -> [AgentUsage] {
            book.agentSnapshots(in: pool).map {
                AgentUsage(id: $0.agent.id, priority: $0.agent.priority, initialBudget: $0.agent.initialBudget, budget: $0.total,
                    used: Amount(micros: $0.spent.micros + $0.reserved.micros))
            }
        }
        var reservations: [TransferID] = []
        for step in 0..<600 {
            time = time.advanced(by: .seconds(Int.random(in: 1...900, using: &random)))
            // The workload: spends, reservations, settles and releases.
            let agent = agents[Int.random(in: 0..<agents.count, using: &random)]
            let amount = Amount(micros: Int64.random(in: 1...30_000_000, using: &random))
            switch Int.random(in: 0..<4, using: &random) {
            case 0: _ = try? book.execute(.spend(agent, amount: amount, transferID: TransferID(unchecked: "s\(step)")), now: time)
            case 1:
                let id = TransferID(unchecked: "r\(step)")
                if (try? book.execute(.reserve(agent, amount: amount, reservationID: id, timeout: nil), now: time)) != nil {
                    reservations.append(id)
                }
            case 2:
                if let id = reservations.popLast() {
                    _ = try? book.execute(.settle(reservationID: id, amount: Amount(micros: Int64.random(in: 1...1_000_000, using: &random))), now: time)
                }
            default:
                if let id = reservations.popLast() { _ = try? book.execute(.release(reservationID: id), now: time) }
            }
            // The policies, as the node runs them, within the rails.
            if let proposal = profiles.propose(currentTotal: usage().total, at: time) {
                apply(.setPoolTotal(pool, total: proposal.newValue, reason: proposal.reason, transferID: TransferID(unchecked: "p\(step)")),
                    proposal, policy: "time_profiles", agent: nil)
            }
            if step % 7 == 0, let proposal = sizing.propose(usage()), let bounded = rails.bound(proposal, lastChange: nil, now: time) {
                apply(.setPoolTotal(pool, total: bounded.newValue, reason: bounded.reason, transferID: TransferID(unchecked: "a\(step)")),
                    bounded, policy: "adaptive_sizing", agent: nil)
            }
            for (index, adjustment) in reallocation.emergencies(pool: usage(), agents: agentUsage()).enumerated() {
                apply(.setAgentBudget(adjustment.agent, budget: adjustment.proposal.newValue, reason: adjustment.proposal.reason,
                        transferID: TransferID(unchecked: "e\(step)-\(index)")), adjustment.proposal, policy: "emergency",
                    agent: adjustment.agent)
            }
            if step % 11 == 0 {
                for (index, adjustment) in reallocation.reallocate(pool: usage(), agents: agentUsage()).enumerated() {
                    guard let bounded = rails.bound(adjustment.proposal, lastChange: nil, now: time) else { continue }
                    apply(.setAgentBudget(adjustment.agent, budget: bounded.newValue, reason: bounded.reason,
                            transferID: TransferID(unchecked: "q\(step)-\(index)")), bounded, policy: "reallocation",
                        agent: adjustment.agent)
                }
            }
            let totals = book.ledger.totals()
            try #require(totals.isBalanced, "seed \(seed) step \(step): the ledger is not balanced")
            try #require(totals.overdrawnAccounts.isEmpty, "seed \(seed) step \(step): \(totals.overdrawnAccounts) overdrawn")
        }
        #expect(applied > 50, "seed \(seed): policies changed too little to test anything (\(applied) applied, \(refused) refused)")
        // Every applied change left its decision for the store.
        let logged = book.takeUnsavedChanges().filter { if case .decisionLogged = $0 { true } else { false } }.count
        #expect(logged == applied)
    }
}
