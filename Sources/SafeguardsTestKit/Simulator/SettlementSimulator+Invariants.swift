import SafeguardsCore
import SafeguardsFederation

extension SettlementSimulator {
    /// After every step: no ledger problem (double credit, negative balance), every credit line
    /// within its limit, and conservation (ledgers + in flight = the starting total).
    mutating func checkStep() {
        var total = inFlight
        for index in nodes.indices {
            let cap = nodes[index].configuration.refusalsKeptPerPeer
            let kept = Dictionary(grouping: nodes[index].refusals.values, by: \.peer)
            for (peer, refusals) in kept where refusals.count > cap {
                report.violations.append("step \(step): \(nodes[index].id) keeps \(refusals.count) refusals of \(peer), over \(cap)")
            }
            if !nodes[index].ledger.problems.isEmpty || !nodes[index].ledger.creditLinesWithinLimits {
                let ledger = nodes[index].ledger
                for problem in ledger.problems + ledger.creditLineProblems {
                    report.violations.append("step \(step): \(nodes[index].id): \(problem)")
                }
            }
            total = (try? total.adding(nodes[index].ledger.total)) ?? .max
        }
        if total != initialTotal {
            report.violations.append(
                "step \(step): budget not conserved: \(total) (in flight \(inFlight)), expected \(initialTotal)")
        }
    }

    /// After the drain, with every node up: each id both sides know ends in the same state with
    /// the same amount on both, nothing is in flight, and each machine agrees with its ledger.
    mutating func checkFinal() {
        if !inFlight.isZero { report.violations.append("after drain: \(inFlight) still in flight") }
        let byID = Dictionary(uniqueKeysWithValues: nodes.map { ($0.id, $0) })
        for node in nodes {
            guard let machine = node.machine else {
                report.violations.append("after drain: \(node.id) is down")
                continue
            }
            // Requester side: every transfer decided, in the state its giver holds for good: an
            // accepted one exactly as the giver stored it; a rejected one rejected there too, as
            // a stored decision, a remembered refusal, or under the horizon (forgotten or `expired`).
            if machine.heldRecordCount != machine.pendingCount {
                report.violations.append(
                    "after drain: \(node.id) holds \(machine.heldRecordCount) records in memory, "
                        + "\(machine.pendingCount) of them pending")
            }
            for id in node.started.keys.sorted() {
                guard let transfer = node.started[id], let state = machine.outgoingState(id) else {
                    report.violations.append("after drain: \(node.id) cannot find \(id)")
                    continue
                }
                let entry = OutgoingEntry(transfer: transfer, state: state)
                guard let stored = entry.state.receipt else {
                    report.violations.append("after drain: \(node.id) still has \(id) pending")
                    continue
                }
                guard let giver = byID[entry.transfer.peer]?.machine else { continue }
                let outcome = giver.incomingOutcome(from: node.id, id, requestedAt: entry.transfer.createdAt)
                let decision = giver.incomingDecision(from: node.id, id)
                let refusal = giver.incomingRefusal(from: node.id, id)
                let sameKind = (decision?.kind ?? refusal?.kind ?? entry.transfer.kind) == entry.transfer.kind
                let sameReceipt = stored.isAccepted ? decision?.receipt == stored : true
                if outcome != stored.status || !sameKind || !sameReceipt {
                    report.violations.append(
                        "after drain: \(id) is \(stored.status.rawValue) \(stored.amount) on \(node.id) but "
                            + "\(String(describing: outcome)) (\(String(describing: decision?.receipt ?? refusal?.receipt(giver: giver.me)))) "
                            + "on \(entry.transfer.peer)")
                }
                if !stored.isAccepted && decision == nil && refusal == nil { report.settledOnForgotten += 1 }
            }
            // Giver side: every decision and remembered refusal belongs to a transfer its requester
            // started and ended the same way.
            let decisions = node.decisions
            for decision in decisions {
                let requesterState = byID[decision.peer]?.machine?.outgoingState(decision.receipt.transactionID)
                if requesterState?.receipt != decision.receipt {
                    report.violations.append(
                        "after drain: \(node.id) decided \(decision.receipt.transactionID) for \(decision.peer) as "
                            + "\(decision.receipt.status.rawValue) but the requester has "
                            + "\(String(describing: requesterState))")
                }
            }
            for refusal in machine.incomingRefusals {
                let requesterState = byID[refusal.peer]?.machine?.outgoingState(refusal.transactionID)
                if requesterState?.receipt?.status != .rejected {
                    report.violations.append(
                        "after drain: \(node.id) refused \(refusal.transactionID) for \(refusal.peer) but the "
                            + "requester has \(String(describing: requesterState))")
                }
            }
            checkMachineMatchesLedger(node, machine, decisions)
        }
    }

    /// The machine's credit lines and the ledger's agree (limit − used = remaining), and a machine
    /// rebuilt from the records equals the running one.
    private mutating func checkMachineMatchesLedger(
        _ node: SimulatedNode, _ machine: SettlementMachine, _ decisions: [IncomingDecision]
    ) {
        for (peer, line) in machine.creditLines.sorted(by: { $0.key < $1.key }) {
            guard let limit = node.ledger.creditLimits[peer] else { continue }
            let expected = try? limit.subtracting(line.used)
            if expected != node.ledger.creditLines[peer] {
                report.violations.append(
                    "after drain: \(node.id) machine has \(line.used) used of \(limit) for \(peer), "
                        + "ledger has \(String(describing: node.ledger.creditLines[peer])) left")
            }
        }
        let rebuilt = try? node.restoredMachine()
        let sameDecisions =
            decisions.allSatisfy { rebuilt?.incomingDecision(from: $0.peer, $0.receipt.transactionID) == $0 }
            && rebuilt?.incomingRefusals == machine.incomingRefusals
            && nodeIDs.allSatisfy { rebuilt?.refusalHorizon(of: $0) == machine.refusalHorizon(of: $0) }
        if rebuilt?.creditLines != machine.creditLines || rebuilt?.creditTaken != machine.creditTaken
            || rebuilt?.totals != machine.totals
            // After the drain nothing is pending, so no volatile retry timer differs.
            || rebuilt?.outgoing != machine.outgoing || !sameDecisions
        {
            report.violations.append("after drain: \(node.id) rebuilt from its records differs from the running machine")
        }
    }
}
