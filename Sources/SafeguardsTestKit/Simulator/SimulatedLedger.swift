import SafeguardsCore
import SafeguardsFederation

/// The durable budget of one simulated node: what its SQLite ledger would hold. It changes only
/// when the simulator applies a `.persist` directive, so a crash keeps exactly this.
///
/// Accounts:
/// - **agent balances**: budget this node's agents can spend;
/// - **credit lines**: per peer, what this node still gives that peer (funded with
///   offer × trust at the start; an accepted transfer debits it, an accepted return credits it);
/// - **receivables**: per giver, budget taken from an agent for a return the giver has not yet
///   answered (it goes to the giver on acceptance, back to the agent on rejection).
public struct SimulatedLedger: Sendable {
    /// Spendable budget per agent.
    public private(set) var agentBalances: [AgentID: Amount]
    /// Remaining credit this node gives each peer.
    public private(set) var creditLines: [SystemID: Amount]
    /// The funding (limit) of each credit line: a line never holds more.
    public let creditLimits: [SystemID: Amount]
    /// Budget held for returns in progress, per giver.
    public private(set) var receivables: [SystemID: Amount] = [:]
    /// How many times each transaction id credited an agent here (must never exceed 1).
    public private(set) var agentCredits: [TransferID: Int] = [:]
    /// How many times each (peer, id) moved a credit line here (must never exceed 1).
    public private(set) var lineMovements: [String: Int] = [:]
    /// Problems met while applying records (negative balances, overflows, double credits).
    public private(set) var problems: [String] = []

    /// A ledger with agents and funded credit lines.
    public init(agentBalances: [AgentID: Amount], creditLimits: [SystemID: Amount]) {
        self.agentBalances = agentBalances
        self.creditLines = creditLimits
        self.creditLimits = creditLimits
    }

    /// Everything this ledger holds: agents + credit lines + receivables.
    public var total: Amount {
        var sum = Amount.zero
        for value in agentBalances.values { sum = saturatingSum(sum, value) }
        for value in creditLines.values { sum = saturatingSum(sum, value) }
        for value in receivables.values { sum = saturatingSum(sum, value) }
        return sum
    }

    /// Applies the budget movement a record stands for (see ``SettlementRecord``).
    public mutating func apply(_ record: SettlementRecord) {
        switch record {
        case .outgoingCreated(let transfer):
            guard transfer.kind == .return else { return }
            move(transfer.amount, fromAgent: transfer.agentID)
            receivables[transfer.peer] = add(receivables[transfer.peer] ?? .zero, transfer.amount)

        case .outgoingSettled(let transfer, let receipt):
            switch (transfer.kind, receipt.status) {
            case (.transfer, .accepted):
                agentCredits[transfer.transactionID, default: 0] += 1
                if agentCredits[transfer.transactionID, default: 0] > 1 {
                    problems.append("transaction \(transfer.transactionID) credited agent \(transfer.agentID) twice")
                }
                agentBalances[transfer.agentID] = add(agentBalances[transfer.agentID] ?? .zero, transfer.amount)
            case (.transfer, .rejected):
                break
            case (.return, let status):
                let held = subtract(receivables[transfer.peer] ?? .zero, transfer.amount)
                if held.isNegative { problems.append("receivable for \(transfer.peer) below zero: \(held)") }
                receivables[transfer.peer] = held
                if status == .rejected {
                    agentBalances[transfer.agentID] = add(agentBalances[transfer.agentID] ?? .zero, transfer.amount)
                }
            }

        case .incomingDecided(let decision):
            guard decision.receipt.isAccepted else { return }
            let peer = decision.peer
            let key = "\(peer)/\(decision.receipt.transactionID)"
            lineMovements[key, default: 0] += 1
            if lineMovements[key, default: 0] > 1 { problems.append("transaction \(key) moved a credit line twice") }
            let line = creditLines[peer] ?? .zero
            let amount = decision.receipt.amount
            creditLines[peer] = decision.kind == .transfer ? subtract(line, amount) : add(line, amount)

        case .incomingRefused:
            break  // a refusal moves nothing
        }
    }

    /// Whether every credit line is within 0...limit (the cheap form of ``creditLineProblems``).
    public var creditLinesWithinLimits: Bool {
        creditLines.allSatisfy { peer, remaining in !remaining.isNegative && remaining <= (creditLimits[peer] ?? .zero) }
    }

    /// Every credit line within 0...limit (a line over its limit has given more than it may).
    public var creditLineProblems: [String] {
        creditLines.sorted { $0.key < $1.key }.compactMap { peer, remaining in
            let limit = creditLimits[peer] ?? .zero
            if remaining.isNegative { return "credit line for \(peer) over its limit \(limit) (remaining \(remaining))" }
            if remaining > limit { return "credit line for \(peer) holds \(remaining), above its limit \(limit)" }
            return nil
        }
    }

    private mutating func move(_ amount: Amount, fromAgent agent: AgentID) {
        let balance = subtract(agentBalances[agent] ?? .zero, amount)
        if balance.isNegative { problems.append("agent \(agent) below zero: \(balance)") }
        agentBalances[agent] = balance
    }

    private mutating func add(_ lhs: Amount, _ rhs: Amount) -> Amount {
        do { return try lhs.adding(rhs) } catch {
            problems.append("overflow adding \(lhs) and \(rhs)")
            return lhs
        }
    }

    private mutating func subtract(_ lhs: Amount, _ rhs: Amount) -> Amount {
        do { return try lhs.subtracting(rhs) } catch {
            problems.append("overflow subtracting \(rhs) from \(lhs)")
            return lhs
        }
    }

    /// Only for the conservation total: an overflow there shows up as a broken total.
    private func saturatingSum(_ lhs: Amount, _ rhs: Amount) -> Amount {
        (try? lhs.adding(rhs)) ?? .max
    }
}
