import Crypto
import Foundation
import SafeguardsCore
import SafeguardsFederation

/// The ledger accounts of the federation and the movement each settlement record makes.
///
/// Giver side: `credit:<peer>` is the credit line (funded from `funding` with the configured
/// offer; it cannot be overdrawn) and `given:<peer>` what the peer drew and has not returned.
/// Taker side: `granted:<peer>` is where the peer's grants come from (minus everything it
/// granted) and `receivable:<peer>` what it granted and we have not drawn yet (it goes below zero
/// when the giver lets us draw past its grants: the giver decides).
///
/// A transfer the taker starts is a pending ledger transfer under `fed:<transaction id>`: posted
/// when the giver accepts, voided when it rejects. A return holds the amount away from the agent
/// the same way. The giver moves budget only when it accepts, in one single-phase transfer.
enum FederationLedger {
    static func creditLine(_ peer: SystemID) -> AccountID { AccountID(unchecked: "credit:\(peer)") }
    static func given(_ peer: SystemID) -> AccountID { AccountID(unchecked: "given:\(peer)") }
    static func granted(_ peer: SystemID) -> AccountID { AccountID(unchecked: "granted:\(peer)") }
    static func receivable(_ peer: SystemID) -> AccountID { AccountID(unchecked: "receivable:\(peer)") }

    /// The ledger id of a transfer this node started: `fed:<transaction id>`.
    static func outgoingTransferID(_ transactionID: TransferID) -> TransferID {
        TransferID(unchecked: "fed:\(transactionID)")
    }

    /// The ledger id of a giver's movement. Requesters choose transaction ids, so they are unique
    /// per peer only; the hash keeps the id unique and of bounded length.
    static func incomingTransferID(peer: SystemID, _ transactionID: TransferID) -> TransferID {
        let digest = SHA256.hash(data: Data("\(peer)\u{0}\(transactionID)".utf8))
        return TransferID(unchecked: "in:" + digest.prefix(16).map { String(format: "%02x", $0) }.joined())
    }

    static func grantTransferID(_ proposalID: TransferID) -> TransferID {
        TransferID(unchecked: "grant:\(proposalID)")
    }

    /// The movement of one settlement record.
    static func operations(for record: SettlementRecord) -> (accounts: [AccountID: AccountFlags], operations: [LedgerOperation]) {
        switch record {
        case .outgoingCreated(let transfer):
            let agent = LedgerAccounts.agent(transfer.agentID)
            let receivable = receivable(transfer.peer)
            let (debit, credit) = transfer.kind == .transfer ? (receivable, agent) : (agent, receivable)
            let words = transfer.kind == .transfer ? "remote budget from \(transfer.peer)" : "return to \(transfer.peer)"
            let request = TransferRequest(
                id: outgoingTransferID(transfer.transactionID), debit: debit, credit: credit, amount: transfer.amount,
                isPending: true, reason: "\(words), held until \(transfer.peer) decides",
                metadata: metadata(kind: transfer.kind, peer: transfer.peer, transactionID: transfer.transactionID,
                    agent: transfer.agentID))
            return ([receivable: [], granted(transfer.peer): []], [.create(request)])
        case .outgoingSettled(let transfer, let receipt):
            let id = outgoingTransferID(transfer.transactionID)
            return ([:], [receipt.isAccepted ? .post(id, amount: nil) : .void(id)])
        case .incomingDecided(let decision):
            guard decision.receipt.isAccepted else { return ([:], []) }
            let peer = decision.peer
            let (debit, credit) = decision.kind == .transfer ? (creditLine(peer), given(peer)) : (given(peer), creditLine(peer))
            let words = decision.kind == .transfer ? "granted to \(peer)" : "returned by \(peer)"
            let request = TransferRequest(
                id: incomingTransferID(peer: peer, decision.receipt.transactionID), debit: debit, credit: credit,
                amount: decision.receipt.amount, reason: "remote budget \(words)",
                metadata: metadata(kind: decision.kind, peer: peer, transactionID: decision.receipt.transactionID,
                    agent: decision.agentID))
            return ([creditLine(peer): .debitsMustNotExceedCredits, given(peer): []], [.create(request)])
        case .incomingRefused:
            return ([:], [])  // a refusal moves nothing (and is stored apart, compactly)
        }
    }

    /// The taker's movement for a grant it learned: the granted amount becomes receivable.
    static func operations(forLearned grant: AllocationGrant) -> [LedgerOperation] {
        guard grant.status == .accepted, grant.granted.isPositive else { return [] }
        return [
            .create(
                TransferRequest(
                    id: grantTransferID(grant.proposalID), debit: granted(grant.giver), credit: receivable(grant.giver),
                    amount: grant.granted, reason: "\(grant.giver) granted credit for pool \(grant.poolName)",
                    metadata: [
                        TransferMetadataKey.kind: TransferKind.grant.rawValue, TransferMetadataKey.peer: grant.giver.rawValue,
                        "proposal_id": grant.proposalID.rawValue,
                    ]))
        ]
    }

    /// The movement that brings the credit line offered to `peer` from `funded` (what the line
    /// holds plus what the peer drew) to `offer`; nil when there is nothing to move. A lowered
    /// offer takes back at most what is still `available` on the line.
    static func creditLineAdjustment(
        peer: SystemID, offer: Amount, funded: Amount, available: Amount, id: TransferID
    ) -> TransferRequest? {
        // What the peer drew stays drawn: the line falls at most by what it still holds.
        let floor = (try? funded.subtracting(available)) ?? funded
        return TransferRequest.resizing(
            creditLine(peer), against: LedgerAccounts.funding, from: funded, to: max(offer, floor), id: id,
            reason: offer > funded ? "credit line offered to \(peer) in the config" : "credit line offered to \(peer) lowered in the config",
            metadata: [TransferMetadataKey.kind: TransferKind.creditLine.rawValue, TransferMetadataKey.peer: peer.rawValue])
    }

    private static func metadata(kind: SettlementKind, peer: SystemID, transactionID: TransferID, agent: AgentID)
        -> [String: String]
    {
        [
            TransferMetadataKey.kind: (kind == .transfer ? TransferKind.remoteTransfer : .remoteReturn).rawValue,
            TransferMetadataKey.peer: peer.rawValue, "transaction_id": transactionID.rawValue, TransferMetadataKey.agent: agent.rawValue,
        ]
    }
}

/// How federation records are kept in the store: a kind and a JSON body.
enum FederationRecordCoding {
    static let settlement = "settlement"
    static let proposal = "grant_proposed"
    static let grantLearned = "grant_learned"
    static let grantDecided = "grant_decided"

    /// A settlement record with, for a settled transfer, the signed envelope it was learned from.
    struct SettlementEntry: Codable {
        var record: SettlementRecord
        /// Base64 of the signed envelope that carried the receipt (requester side).
        var evidence: String?
    }

    static func encode<T: Encodable>(_ value: T) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }

    static func decode<T: Decodable>(_ type: T.Type, _ body: String) -> T? {
        try? JSONDecoder().decode(type, from: Data(body.utf8))
    }
}
