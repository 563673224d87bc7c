import Crypto
import Foundation
import SafeguardsAPI
import SafeguardsCore
import SafeguardsFederation
import SafeguardsStore

/// Re-checks, without the network, every receipt this node stored as a requester: the signed
/// envelope it arrived in must verify under the giver's pinned key, and the receipt inside must
/// be the one our record holds.
public enum EvidenceCheck {
    public static func run(store: LedgerStore) throws(SafeguardsError) -> EvidenceReport {
        let records: [FederationRecord]
        let keys: [SystemID: Curve25519.Signing.PublicKey]
        do {
            records = try store.federationRecords()
            keys = Dictionary(
                uniqueKeysWithValues: try store.peers().compactMap { peer in
                    peer.signingKey.map { (peer.systemID, $0) }
                })
        } catch {
            throw SafeguardsError(.unavailable, "cannot read the federation records: \(error)")
        }
        var checked = 0
        var problems: [EvidenceReport.Problem] = []
        for stored in records where stored.kind == FederationRecordCoding.settlement {
            guard let entry = FederationRecordCoding.decode(FederationRecordCoding.SettlementEntry.self, stored.body),
                case .outgoingSettled(let transfer, let receipt) = entry.record
            else { continue }
            checked += 1
            func problem(_ text: String) {
                problems.append(
                    .init(transactionID: transfer.transactionID.rawValue, peer: transfer.peer.rawValue, problem: text))
            }
            guard let evidence = entry.evidence, let bytes = Data(base64Encoded: evidence) else {
                problem("no signed envelope was stored with the receipt")
                continue
            }
            guard let key = keys[transfer.peer] else {
                problem("the giver's signing key is no longer known")
                continue
            }
            let envelope: Envelope
            do { envelope = try Envelope.decode(Array(bytes)) } catch {
                problem("the stored envelope does not decode: \(error)")
                continue
            }
            guard envelope.sender == transfer.peer, envelope.verifySignature(with: key) else {
                problem("the signature does not verify under \(transfer.peer)'s pinned key")
                continue
            }
            let signed: TransferReceipt? =
                switch try? SettlementMessage(type: envelope.type, body: envelope.body) {
                case .transferReceipt(let receipt): receipt
                case .returnReceipt(let answer): answer.receipt
                case .statusAnswer(let answer): answer.receipt
                default: nil
                }
            guard let signed else {
                problem("the signed envelope carries no receipt")
                continue
            }
            if signed != receipt { problem("our record differs from the signed receipt") }
        }
        return EvidenceReport(checked: checked, problems: problems)
    }
}
