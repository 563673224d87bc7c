import Crypto
import Foundation
import SafeguardsAPI
import SafeguardsCore
import SafeguardsFederation
import SafeguardsStore

/// Re-checks, without the network, every receipt this node stored as a requester: the signed
/// envelope it arrived in must verify under the giver's pinned key, and the receipt inside must
/// be the one our record holds. Also checks the federation checkpoint: each peer's totals must be
/// the sum of every settlement record's change. Reads the records a batch at a time.
public enum EvidenceCheck {
    /// Records read per batch.
    static let batchSize = 500

    public static func run(store: LedgerStore) throws(SafeguardsError) -> EvidenceReport {
        let keys: [SystemID: Curve25519.Signing.PublicKey]
        do {
            keys = Dictionary(
                uniqueKeysWithValues: try store.peers().compactMap { peer in
                    peer.signingKey.map { (peer.systemID, $0) }
                })
        } catch {
            throw SafeguardsError(.unavailable, "cannot read the federation records: \(error)")
        }
        var report = EvidenceReport(checked: 0, problems: [], problemCount: 0)
        var sums: [SystemID: SettlementTotals] = [:]
        var after: Int64 = 0
        while true {
            let batch: [(sequence: Int64, record: FederationRecord)]
            do { batch = try store.federationRecordBatch(kind: FederationRecordCoding.settlement, after: after, limit: batchSize) }
            catch { throw SafeguardsError(.unavailable, "cannot read the federation records: \(error)") }
            guard let last = batch.last else { break }
            after = last.sequence
            for (_, stored) in batch {
                guard let entry = FederationRecordCoding.settlement(stored) else { continue }
                add(SettlementTotals.Change(entry.record), to: &sums)
                check(entry, keys: keys, into: &report)
            }
        }
        let checkpoint: [SystemID: SettlementTotals]
        do { checkpoint = try store.federationTotals() } catch {
            throw SafeguardsError(.unavailable, "cannot read the federation checkpoint: \(error)")
        }
        for peer in Set(sums.keys).union(checkpoint.keys).sorted() {
            let summed = sums[peer] ?? SettlementTotals()
            let kept = checkpoint[peer] ?? SettlementTotals()
            guard summed != kept else { continue }
            report.report(
                .init(
                    transactionID: "", peer: peer.rawValue,
                    problem: "the checkpoint holds credit used \(kept.creditUsed), drawn \(kept.drawn), "
                        + "\(kept.digest.count) accepted; the records sum to \(summed.creditUsed), \(summed.drawn), "
                        + "\(summed.digest.count)"))
        }
        return report
    }

    private static func add(_ change: SettlementTotals.Change, to sums: inout [SystemID: SettlementTotals]) {
        guard !change.isEmpty else { return }
        var total = sums[change.peer] ?? SettlementTotals()
        total.add(change)
        sums[change.peer] = total
    }

    /// Checks one settled outgoing transfer's evidence.
    private static func check(
        _ entry: FederationRecordCoding.SettlementEntry, keys: [SystemID: Curve25519.Signing.PublicKey],
        into report: inout EvidenceReport
    ) {
        guard case .outgoingSettled(let transfer, let receipt) = entry.record else { return }
        report.checked += 1
        func problem(_ text: String) {
            report.report(
                .init(transactionID: transfer.transactionID.rawValue, peer: transfer.peer.rawValue, problem: text))
        }
        guard let evidence = entry.evidence, let bytes = Data(base64Encoded: evidence) else {
            return problem("no signed envelope was stored with the receipt")
        }
        guard let key = keys[transfer.peer] else { return problem("the giver's signing key is no longer known") }
        let envelope: Envelope
        do { envelope = try Envelope.decode(Array(bytes)) } catch {
            return problem("the stored envelope does not decode: \(error)")
        }
        guard envelope.sender == transfer.peer, envelope.verifySignature(with: key) else {
            return problem("the signature does not verify under \(transfer.peer)'s pinned key")
        }
        let signed: TransferReceipt? =
            switch try? SettlementMessage(type: envelope.type, body: envelope.body) {
            case .transferReceipt(let receipt): receipt
            case .returnReceipt(let answer): answer.receipt
            case .statusAnswer(let answer): answer.receipt
            default: nil
            }
        guard let signed else { return problem("the signed envelope carries no receipt") }
        if signed != receipt { problem("our record differs from the signed receipt") }
    }
}
