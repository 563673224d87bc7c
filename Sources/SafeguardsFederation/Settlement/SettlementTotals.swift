import Crypto
import Foundation
import SafeguardsCore

/// What a node's settlement machine needs of its whole history with one peer, as running totals:
/// what the peer drew from the credit line this node gives (`creditUsed`), what this node drew
/// from the peer's (`drawn`), and the digest of every accepted transaction between them.
///
/// Every record changes them by a ``Change`` that depends on that record alone, so the totals are
/// the sum of the changes in any order: a store keeps them as a checkpoint, adding each record's
/// change in the transaction that writes the record, and a node starts from the checkpoint instead
/// of replaying every record. Returns being given back (`returning`) are not in it: they are the
/// pending returns, which a node loads anyway.
public struct SettlementTotals: Sendable, Hashable {
    /// Accepted transfers minus accepted returns the peer made (giver side).
    public var creditUsed: Amount
    /// Settled accepted transfers minus settled accepted returns this node made (requester side).
    public var drawn: Amount
    /// The accepted transactions with the peer, in either direction, as a digest.
    public var digest: SettlementDigestSum

    /// Nothing settled.
    public init(creditUsed: Amount = .zero, drawn: Amount = .zero, digest: SettlementDigestSum = SettlementDigestSum()) {
        self.creditUsed = creditUsed
        self.drawn = drawn
        self.digest = digest
    }

    /// Adds one record's change (wrapping: the sums are exact well within the `Int64` range).
    public mutating func add(_ change: Change) {
        creditUsed = Amount(micros: creditUsed.micros &+ change.creditUsed)
        drawn = Amount(micros: drawn.micros &+ change.drawn)
        digest.add(change.digest)
    }

    /// What one record adds to its peer's totals.
    public struct Change: Sendable, Hashable {
        /// The peer whose totals change.
        public var peer: SystemID
        /// Added to ``SettlementTotals/creditUsed`` (negative for a return), in micro-units.
        public var creditUsed: Int64
        /// Added to ``SettlementTotals/drawn`` (negative for a return), in micro-units.
        public var drawn: Int64
        /// Added to the digest: one line, or none.
        public var digest: SettlementDigestSum

        /// Whether the record changes nothing.
        public var isEmpty: Bool { creditUsed == 0 && drawn == 0 && digest.count == 0 }

        /// The change `record` makes. The digest line names requester and giver as the receipt
        /// does (the machine applies a receipt only when they are this node and the peer).
        public init(_ record: SettlementRecord) {
            digest = SettlementDigestSum()
            creditUsed = 0
            drawn = 0
            switch record {
            case .outgoingCreated(let transfer):
                peer = transfer.peer
            case .incomingRefused(let refusal, _):
                peer = refusal.peer
            case .outgoingSettled(let transfer, let receipt):
                peer = transfer.peer
                guard receipt.isAccepted else { return }
                drawn = transfer.kind == .transfer ? receipt.amount.micros : 0 &- receipt.amount.micros
                digest.add(requester: receipt.requester, giver: receipt.giver, kind: transfer.kind, receipt: receipt)
            case .incomingDecided(let decision):
                peer = decision.peer
                guard decision.receipt.isAccepted else { return }
                creditUsed = decision.kind == .transfer ? decision.receipt.amount.micros : 0 &- decision.receipt.amount.micros
                digest.add(
                    requester: decision.receipt.requester, giver: decision.receipt.giver, kind: decision.kind,
                    receipt: decision.receipt)
            }
        }
    }
}

/// A digest of a set of settlement lines that can be kept as a running sum: the number of lines
/// and, per lane, the sum of 32 bits of each line's SHA-256. Adding lines in any order gives the
/// same value, so a store adds each record's line in the transaction that writes it. Each lane
/// stays exact in an `Int64` for up to 2^31 lines (a SQLite integer column holds it).
public struct SettlementDigestSum: Sendable, Hashable {
    /// How many lines were added.
    public var count: Int
    /// Three lanes of 32-bit sums.
    public var lanes: [Int64]

    /// No lines.
    public init(count: Int = 0, lanes: [Int64] = [0, 0, 0]) {
        self.count = count
        self.lanes = lanes.count == 3 ? lanes : [0, 0, 0]
    }

    /// Adds one accepted transaction's line.
    public mutating func add(requester: SystemID, giver: SystemID, kind: SettlementKind, receipt: TransferReceipt) {
        let line = "\(requester)>\(giver) \(kind.rawValue) \(receipt.transactionID) \(receipt.status.rawValue) \(receipt.amount.micros)"
        let hash = Array(SHA256.hash(data: Data(line.utf8)))
        count += 1
        for lane in 0..<3 {
            let word = hash[lane * 4..<lane * 4 + 4].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            lanes[lane] &+= Int64(word)
        }
    }

    /// Adds another sum (the lines of both).
    public mutating func add(_ other: SettlementDigestSum) {
        count += other.count
        for lane in 0..<3 { lanes[lane] &+= other.lanes[lane] }
    }

    /// The digest gossip carries: the same on two nodes exactly when they added the same lines
    /// (up to a 96-bit sum collision); ``SettlementDigest/empty`` for none.
    public var digest: SettlementDigest {
        var digest = SettlementDigest.empty
        guard count > 0 else { return digest }
        digest.count = count
        digest.hash = lanes.map { String(UInt64(bitPattern: $0), radix: 16) }.joined(separator: ".")
        return digest
    }
}
