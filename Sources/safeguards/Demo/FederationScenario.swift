import SafeguardsAPI
import SafeguardsCore

/// The federation story of `safeguards demo`, after the original framework's cross-system
/// example: system_a creates `cross_system_pool` with a local budget of 5000 and remote
/// allocations from system_b (2000, trusted 0.8) and system_c (1000, trusted 0.6), registers
/// agents of four priorities, asks both peers for budget, is refused an over-limit request,
/// returns what it did not use, and shows every node's books.
struct FederationScenario {
    struct Member {
        let systemID: String
        let client: SafeguardsClient
        let federationPort: Int
        let publicKey: String
    }

    let a: Member
    let b: Member
    let c: Member
    let report: DemoReport

    func play() async throws {
        try await connect()
        let pool = try await createFederatedPool()
        try await registerAgents(in: pool)
        let first = try await request(agent: "fed_critical", from: b, amount: "500", purpose: "critical_operation")
        let second = try await request(agent: "fed_high", from: c, amount: "300", purpose: "batch_summaries")
        try await refuseOverLimit()
        let returned = try await giveBack()
        try await showBothSides([first, second, returned])
        try await showBalances()
        try await checkEverything()
        try await showSyncStatus()
    }

    /// Each node registers the others with the trust the story gives them, and pings them over mutual TLS.
    func connect() async throws {
        report.step("Connect system_a, system_b and system_c over mutual TLS with signed messages")
        let trust: [String: String] = ["system_b": "0.8", "system_c": "0.6"]
        for (member, peers) in [(a, [b, c]), (b, [a]), (c, [a])] {
            for peer in peers {
                let level = member.systemID == "system_a" ? trust[peer.systemID]! : trust[member.systemID]!
                _ = try await member.client.addPeer(
                    PeerRequest(
                        systemID: peer.systemID, address: "127.0.0.1:\(peer.federationPort)", trustLevel: level,
                        publicKey: peer.publicKey))
            }
        }
        for peer in [b, c] {
            let ping = try await a.client.ping(peer: peer.systemID)
            report.ok("system_a → \(peer.systemID): signed ping answered in \(ping.roundTripMs) ms, trust \(ping.effectiveTrust)")
        }
    }

    func createFederatedPool() async throws -> FederatedPoolBody {
        report.step("system_a creates 'cross_system_pool': local 5000, remote system_b 2000 and system_c 1000")
        let pool = try await a.client.createFederatedPool(
            CreateFederatedPoolRequest(
                name: "cross_system_pool", localBudget: 5000, priority: 8, metadata: ["owner": "demo"],
                remoteAllocations: ["system_b": 2000, "system_c": 1000], idempotencyKey: "demo-cross-system-pool"))
        let fromB = pool.grants["system_b"]
        let fromC = pool.grants["system_c"]
        try expect(fromB?.granted == 1600, "system_b granted \(fromB?.granted.description ?? "nothing"), expected 1600")
        try expect(fromC?.granted == 600, "system_c granted \(fromC?.granted.description ?? "nothing"), expected 600")
        report.ok("pool \(pool.poolID): local budget \(pool.pool.total)")
        var table = TextTable([.left("PEER"), .right("REQUESTED"), .right("GRANTED"), .left("STATUS"), .left("WHY")])
        let rows: [(String, Amount, GrantBody, String)] = [("system_b", 2000, fromB!, "0.8"), ("system_c", 1000, fromC!, "0.6")]
        for (system, offer, grant, trust) in rows {
            let why = "offers \(offer), trusts system_a \(trust)"
            table.append([system, offer.description, grant.granted.description, grant.status, why])
        }
        report.table(table)
        return pool
    }

    func registerAgents(in pool: FederatedPoolBody) async throws {
        report.step("system_a registers four agents of different priorities in the federated pool")
        for (id, priority, budget) in [
            ("fed_critical", "CRITICAL", "1000"), ("fed_high", "HIGH", "800"), ("fed_medium", "MEDIUM", "500"),
            ("fed_low", "LOW", "200"),
        ] {
            let agent = try await a.client.registerAgent(
                RegisterAgentRequest(
                    agentID: id, poolID: pool.poolID, priority: priority, initialBudget: try Amount(parsing: budget),
                    idempotencyKey: "demo-\(id)"))
            report.ok("\(agent.agentID) (\(agent.priority)) with \(agent.budget.total)")
        }
    }

    func request(agent: String, from giver: Member, amount: String, purpose: String) async throws
        -> FederationTransactionBody
    {
        report.step("\(agent) asks \(giver.systemID) for \(amount) (purpose: \(purpose))")
        let before = try await a.client.agent(agent).budget.total
        let answer = try await a.client.requestRemoteBudget(
            RemoteBudgetRequest(
                agentID: agent, remoteSystemID: giver.systemID, amount: try Amount(parsing: amount),
                metadata: ["purpose": purpose, "expected_duration_minutes": "30"]))
        try expect(answer.status == "accepted", "\(giver.systemID) answered \(answer.status) \(answer.reason ?? "")")
        let after = try await a.client.agent(agent).budget.total
        try expect(after == (try before.adding(answer.amount)), "\(agent) went from \(before) to \(after)")
        report.ok("accepted: transaction \(answer.transactionID); \(agent) now holds \(after)")
        return answer
    }

    func refuseOverLimit() async throws {
        report.step("fed_low asks system_b for 2000, more than what is left of its credit line (1600 − 500)")
        let answer = try await a.client.requestRemoteBudget(
            RemoteBudgetRequest(agentID: "fed_low", remoteSystemID: "system_b", amount: 2000))
        try expect(answer.status == "rejected", "the over-limit request was \(answer.status)")
        let onB = try await b.client.federationTransaction(answer.transactionID)
        try expect(onB.status == "rejected", "system_b recorded \(onB.status)")
        report.ok("rejected by system_b: \(answer.reason ?? "?") (transaction \(answer.transactionID)); nothing moved")
    }

    func giveBack() async throws -> FederationTransactionBody {
        report.step("fed_critical returns 100 of its unused remote budget to system_b")
        let answer = try await a.client.returnRemoteBudget(
            RemoteReturnRequest(agentID: "fed_critical", remoteSystemID: "system_b", amount: 100))
        try expect(answer.status == "returned", "the return was \(answer.status)")
        report.ok("returned: transaction \(answer.transactionID)")
        return answer
    }

    func showBothSides(_ transactions: [FederationTransactionBody]) async throws {
        report.step("Each transaction id, as the requester and the giver recorded it")
        var table = TextTable([
            .left("TRANSACTION"), .left("KIND"), .left("GIVER"), .right("AMOUNT"), .left("ON system_a"), .left("ON GIVER"),
        ])
        for transaction in transactions {
            let giver = transaction.peer == "system_b" ? b : c
            let theirs = try await giver.client.federationTransaction(transaction.transactionID)
            try expect(
                theirs.status == transaction.status && theirs.amount == transaction.amount,
                "\(transaction.transactionID) differs: \(transaction.status) here, \(theirs.status) there")
            table.append([
                transaction.transactionID, transaction.kind, transaction.peer, transaction.amount.description,
                transaction.status, theirs.status,
            ])
        }
        report.table(table)
        report.ok("both sides agree on every id")
    }

    func showBalances() async throws {
        report.step("Balances on all three nodes")
        var table = TextTable([.left("NODE"), .left("ACCOUNT"), .right("BALANCE"), .left("MEANING")])
        let meanings = [
            "credit": "credit line left for the peer", "given": "drawn by the peer, not returned",
            "receivable": "granted by the peer, not yet drawn", "granted": "everything the peer granted (negative)",
        ]
        for member in [a, b, c] {
            for account in try await member.client.accountBalances().accounts {
                guard let kind = account.id.split(separator: ":").first.map(String.init), let meaning = meanings[kind]
                else { continue }
                table.append([member.systemID, account.id, account.balance.description, meaning])
            }
        }
        for agent in try await a.client.agents().agents where agent.agentID.hasPrefix("fed_") {
            table.append(["system_a", "agent:\(agent.agentID)", agent.budget.total.description, "the agent's budget"])
        }
        report.table(table)
    }

    /// A gossip round with every peer, then what system_a knows of the others.
    func showSyncStatus() async throws {
        report.step("Gossip: a sync round on every node, then system_a's sync status")
        for member in [a, b, c] {
            let results = try await member.client.synchronize()
            let failed = results.results.filter { !$0.value.success }
            try expect(failed.isEmpty, "\(member.systemID) could not sync with \(failed.keys.sorted())")
        }
        let status = try await a.client.syncStatus()
        var table = TextTable([
            .left("PEER"), .left("STATE"), .right("TRUST"), .left("SEEN VERSION"), .right("PENDING"), .left("BALANCES"),
        ])
        for peer in status.peers {
            try expect(peer.state == "alive", "\(peer.systemID) is \(peer.state) on system_a")
            table.append([
                peer.systemID, peer.state, peer.effectiveTrust, peer.lastSeenVersion ?? "-", String(peer.pendingTransfers),
                SyncTables.balances(peer),
            ])
        }
        report.table(table)
        report.ok("system_a holds each peer's signed gossip record; both peers are alive")
    }

    func checkEverything() async throws {
        report.step("Check every ledger and the stored evidence")
        for member in [a, b, c] {
            let check = try await member.client.ledgerCheck()
            try expect(check.balanced, "\(member.systemID)'s ledger is not balanced")
            report.ok("\(member.systemID): debits equal credits over \(check.accounts) accounts")
        }
        let given = try await b.client.accountBalances()
        try expect(
            (try given.balance("credit:system_a").adding(given.balance("given:system_a"))) == 2000,
            "system_b's books for system_a no longer hold its offer of 2000")
        report.ok("system_b: credit line + drawn = its offer of 2000 (nothing created or lost)")
        let evidence = try await a.client.verifyEvidence()
        try expect(evidence.problems.isEmpty, "evidence problems: \(evidence.problems)")
        report.ok("system_a: \(evidence.checked) signed receipt(s) re-verified under the givers' pinned keys")
    }
}
