import SafeguardsCore
import SafeguardsFederation

extension SettlementSimulator {
    /// One random piece of work started by node `index` (which is up).
    mutating func doSomeWork(_ index: Int) {
        let roll = random.next(below: 100)
        switch roll {
        case 0..<55: requestSomething(index)
        case 55..<70: retrySomething(index)
        case 70..<85: returnSomething(index)
        case 85..<92: querySomething(index)
        default: reuseDecidedID(index)
        }
    }

    /// A new transfer request with a fresh id: mostly small, some over the per-request cap (50),
    /// some over any credit line (100 × trust); the peer may be unknown or trusted too little.
    mutating func requestSomething(_ index: Int) {
        let me = nodes[index].id
        guard let peer = random.element(of: nodeIDs.filter { $0 != me }) else { return }
        let size = random.next(below: 100)
        let units: ClosedRange<Int64> = size < 70 ? 1...30 : (size < 85 ? 31...80 : 100...300)
        let amount = Amount(micros: random.int64(in: units.lowerBound * 1_000_000...units.upperBound * 1_000_000))
        let agent = AgentID(unchecked: random.percent(50) ? "agent-1" : "agent-2")
        nextTransactionNumber += 1
        let id = TransferID(unchecked: "\(me)-t\(nextTransactionNumber)")
        // One in twenty carries more metadata than the giver takes.
        let why = random.percent(5) ? String(repeating: "x", count: Self.maxMetadataBytes) : "sim"
        report.started += 1
        perform(index) { machine, now throws(SettlementError) in
            try machine.requestBudget(id, from: peer, agent: agent, amount: amount, metadata: ["why": why], now: now)
        }
    }

    /// A client retry: the same call again with the same id and fields.
    mutating func retrySomething(_ index: Int) {
        guard nodes[index].machine != nil,
            let id = random.element(of: nodes[index].started.keys.sorted()),
            let transfer = nodes[index].started[id]
        else { return }
        perform(index) { machine, now throws(SettlementError) in
            switch transfer.kind {
            case .transfer:
                try machine.requestBudget(
                    id, from: transfer.peer, agent: transfer.agentID, amount: transfer.amount,
                    metadata: transfer.metadata, now: now)
            case .return:
                try machine.returnBudget(
                    id, to: transfer.peer, agent: transfer.agentID, amount: transfer.amount, now: now)
            }
        }
    }

    /// Gives part of what was drawn from a giver back, from an agent that holds it.
    mutating func returnSomething(_ index: Int) {
        guard let machine = nodes[index].machine else { return }
        let givers = machine.creditTaken.filter { $0.value.returnable.isPositive }.keys.sorted()
        guard let giver = random.element(of: givers), let returnable = machine.creditTaken[giver]?.returnable
        else { return }
        let agents = nodes[index].ledger.agentBalances.filter { $0.value.isPositive }.keys.sorted()
        guard let agent = random.element(of: agents), let balance = nodes[index].ledger.agentBalances[agent] else {
            return
        }
        let most = min(returnable, balance)
        let amount = Amount(micros: random.int64(in: 1...most.micros))
        nextTransactionNumber += 1
        let id = TransferID(unchecked: "\(nodes[index].id)-r\(nextTransactionNumber)")
        report.started += 1
        perform(index) { machine, now throws(SettlementError) in
            try machine.returnBudget(id, to: giver, agent: agent, amount: amount, now: now)
        }
    }

    /// Asks a giver about a pending id (reconciliation).
    mutating func querySomething(_ index: Int) {
        guard let machine = nodes[index].machine, let id = random.element(of: machine.pendingTransactionIDs) else {
            return
        }
        execute(machine.queryStatus(id), at: index)
    }

    /// Sends a request that reuses an id its giver has already decided, with another amount or
    /// agent (a buggy or replaying client): the giver must answer `conflict` and change nothing.
    mutating func reuseDecidedID(_ index: Int) {
        guard nodes[index].machine != nil else { return }
        let me = nodes[index].id
        let decided = nodes[index].started.filter {
            $0.value.kind == .transfer && giverReceipts["\(me)/\($0.key)"] != nil
        }
        guard let id = random.element(of: decided.keys.sorted()), let transfer = decided[id] else { return }
        let otherAgent = AgentID(unchecked: transfer.agentID.rawValue == "agent-1" ? "agent-2" : "agent-1")
        let changeAmount = random.percent(50)
        let request = RemoteTransferRequest(
            transactionID: id, requester: me, giver: transfer.peer,
            amount: changeAmount ? Amount(micros: transfer.amount.micros + 1) : transfer.amount,
            agentID: changeAmount ? transfer.agentID : otherAgent, metadata: transfer.metadata,
            createdAt: transfer.createdAt)
        network.send(from: me, to: transfer.peer, .transferRequest(request), step: step)
    }

    /// Runs a requester-side call on node `index`'s machine and carries out its directives. The
    /// simulator only makes calls that must succeed, so a thrown error is a violation.
    private mutating func perform(
        _ index: Int,
        _ call: (inout SettlementMachine, Timestamp) throws(SettlementError) -> [SettlementDirective]
    ) {
        guard var machine = nodes[index].machine else { return }
        nodes[index].machine = nil
        do {
            let directives = try call(&machine, now)
            nodes[index].machine = machine
            execute(directives, at: index)
        } catch {
            nodes[index].machine = machine
            report.violations.append("step \(step): \(nodes[index].id) refused a valid call: \(error)")
        }
    }
}
