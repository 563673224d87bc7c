import SafeguardsCore
import SafeguardsFederation

extension SettlementSimulator {
    /// Hands a message to its receiver's machine, if the receiver is up.
    mutating func deliver(_ envelope: SimulatedMessage) {
        guard let index = nodes.firstIndex(where: { $0.id == envelope.to }), var machine = nodes[index].machine else {
            network.dropAtDownNode()
            return
        }
        nodes[index].machine = nil
        let from = envelope.from
        let directives = machine.receive(envelope.message, from: from, peerTrust: nodes[index].trust[from] ?? .zero, now: now)
        nodes[index].machine = machine
        execute(directives, at: index)
    }

    /// Carries out directives in order, as a shell would. With chance
    /// ``Options/crashInEventPercent`` the node crashes after a random number of them: the rest
    /// never happen, and the machine (with every change the event made) is lost.
    mutating func execute(_ directives: [SettlementDirective], at index: Int) {
        guard !directives.isEmpty else { return }
        var crashPoint: Int?
        if crashesAllowed && random.percent(options.crashInEventPercent) {
            crashPoint = random.int(in: 0...directives.count)
        }
        let node = nodes[index].id
        for (position, directive) in directives.enumerated() {
            if position == crashPoint { break }
            switch directive {
            case .persist(let record):
                nodes[index].persist(record)
                nodes[index].ledger.apply(record)
                // Durable now: a decided record leaves the machine's memory, as in a node.
                nodes[index].machine?.forgetDurable(record)
                observe(record, at: node)
            case .send(let peer, let message), .reply(let peer, let message):
                network.send(from: node, to: peer, message, step: step)
            case .scheduleTick:
                break  // every node ticks every step
            case .reportMismatch(let mismatch):
                // Only the simulator's own conflicting requests (same id, other fields) may be refused:
                // `conflict`, or `expired` (with the other amount) once the giver forgot the id.
                let ownConflict =
                    mismatch.received.reason == .conflict
                    || (mismatch.problem == .fieldsDiffer && mismatch.received.reason == .expired)
                if !ownConflict {
                    report.violations.append(
                        "step \(step): \(node) reported \(mismatch.problem.rawValue) for \(mismatch.transactionID): "
                            + "stored \(String(describing: mismatch.stored)), received \(mismatch.received)")
                }
            }
        }
        if crashPoint != nil { crash(index) }
    }

    /// The node loses its machine (volatile state) and stays down for a few steps.
    mutating func crash(_ index: Int) {
        nodes[index].machine = nil
        nodes[index].downUntil = step + random.int(in: 1...max(1, options.maximumDownSteps))
        report.crashes += 1
    }

    /// The node rebuilds its machine from its records only and resumes pending transfers.
    mutating func restart(_ index: Int) {
        nodes[index].downUntil = nil
        do {
            var machine = try nodes[index].restoredMachine()
            let directives = machine.restart(now: now)
            nodes[index].machine = machine
            execute(directives, at: index)
        } catch {
            report.violations.append("step \(step): \(nodes[index].id) could not restore its records: \(error)")
        }
    }

    /// What an all-seeing observer learns from a durable record: budget in flight, and whether a
    /// requester's stored outcome is exactly what its giver stored ("the giver decides").
    mutating func observe(_ record: SettlementRecord, at node: SystemID) {
        switch record {
        case .outgoingCreated:
            break
        case .incomingDecided(let decision):
            observeDecision(decision.receipt, at: node)
            guard decision.receipt.isAccepted else { return }
            moveInFlight(decision.kind == .transfer ? decision.receipt.amount : negated(decision.receipt.amount))
        case .incomingRefused(let refusal, let forgotten):
            observeDecision(refusal.receipt(giver: node), at: node)
            report.forgottenRefusals += forgotten?.transactionIDs.count ?? 0
        case .outgoingSettled(let transfer, let receipt):
            let key = "\(node)/\(transfer.transactionID)"
            let stored = giverReceipts[key]
            if receipt.isAccepted || stored == nil || stored?.status == .accepted {
                // An `expired` answer is never stored by the giver; `checkFinal` checks it stays rejected there.
                if stored != receipt && !(stored == nil && receipt.reason == .expired) {
                    report.violations.append(
                        "step \(step): \(node) settled \(transfer.transactionID) with \(receipt), but its giver "
                            + "stored \(String(describing: stored))")
                }
            }
            guard receipt.isAccepted else { return }
            moveInFlight(transfer.kind == .transfer ? negated(transfer.amount) : transfer.amount)
        }
    }

    /// A giver stored a decision: it must be the first and only one for that id ("the giver decides").
    private mutating func observeDecision(_ receipt: TransferReceipt, at node: SystemID) {
        let key = "\(receipt.requester)/\(receipt.transactionID)"
        if let earlier = giverReceipts[key], earlier != receipt {
            report.violations.append("step \(step): \(node) decided \(key) twice: \(earlier) then \(receipt)")
        }
        giverReceipts[key] = receipt
        report.decisions[receipt.reason?.rawValue ?? "accepted", default: 0] += 1
    }

    private mutating func moveInFlight(_ delta: Amount) {
        do { inFlight = try inFlight.adding(delta) } catch {
            report.violations.append("step \(step): in-flight total overflowed")
        }
    }

    private func negated(_ amount: Amount) -> Amount {
        Amount(micros: 0 &- amount.micros)
    }
}
