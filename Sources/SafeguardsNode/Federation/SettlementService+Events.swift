import Foundation
import Logging
import SafeguardsAPI
import SafeguardsCore
import SafeguardsFederation
import SafeguardsStore

/// How an event goes through the shell: the machine steps at once, in arrival order; the records
/// it emitted are written (many events' writes in flight together, so group commit serves them in
/// one SQLite commit); the rest of its directives are carried out once the disk holds everything
/// the step saw (see ``SettlementWrites`` for the rules).
extension SettlementService {
    /// What became of an event after its step.
    enum Completion {
        /// Its records are durable and its sends, replies and timers were carried out.
        case carriedOut
        /// One of its records could not be made durable; nothing after it was carried out.
        case failed(SafeguardsError)
        /// Its records are durable, but a write it may have seen failed: it did not act. Its records
        /// answer a repeat, and the rebuilt machine sends its pending requests again.
        case held
    }

    /// Steps the machine with `event`, in arrival order, once no rebuild is pending. No suspension
    /// comes between the step and numbering its records, so steps and numbers share one order.
    func step<Failure: Error>(
        _ event: (inout SettlementMachine) throws(Failure) -> [SettlementDirective]
    ) async throws(Failure) -> SettlementWrites.Step {
        while writes.rebuildPending {
            await withCheckedContinuation { writes.waitForRebuild($0) }
        }
        let directives = try event(&machine)
        for case .persist(let record) in directives { digests.removeValue(forKey: Self.peer(record)) }
        return writes.begin(directives)
    }

    /// Writes the step's records in order, waits until everything it saw is settled, then carries
    /// out its other directives, unless a write failed since it stepped.
    @discardableResult
    func complete(_ step: SettlementWrites.Step, evidence envelope: Envelope?) async -> Completion {
        var sequences = step.sequences.makeIterator()
        var failure: SafeguardsError?
        for case .persist(let record) in step.directives {
            guard let sequence = sequences.next() else { break }
            if failure == nil { failure = await persist(record, evidence: envelope) }
            // Durable: a settled transfer or a decision leaves memory, the store answers for it.
            if failure == nil { machine.forgetDurable(record) }
            // A record after a failed one is not written: it depended on it.
            if writes.settle(sequence, record: record, written: failure == nil) { rebuild() }
        }
        if let failure { return .failed(failure) }
        await withCheckedContinuation { writes.waitUntilSettled(through: step.horizon, $0) }
        guard writes.mayAct(step) else { return .held }
        for directive in step.directives { await carryOut(directive) }
        return .carriedOut
    }

    /// Writes one record durably (a refusal compactly, any other with its ledger movement, its
    /// index row and its change to the checkpoint), then resumes a settled transfer's waiters.
    /// Returns the error when it could not be made durable.
    private func persist(_ record: SettlementRecord, evidence envelope: Envelope?) async -> SafeguardsError? {
        if case .failure(let error) = await Self.write(record, evidence: envelope, to: storage, logger: logger) {
            return error
        }
        if case .outgoingSettled(let transfer, _) = record {
            // The API answers as soon as the outcome is stored.
            resumeWaiters(transfer.transactionID)
        }
        return nil
    }

    /// Encodes `record` and writes it: off the actor, so that many events' records are encoded in
    /// parallel while the actor steps the next events. Returns the evidence kept with it (the
    /// receipt's signed envelope, base64), if any.
    private static func write(
        _ record: SettlementRecord, evidence envelope: Envelope?, to storage: any SettlementStorage, logger: Logger
    ) async -> Result<String?, SafeguardsError> {
        if case .incomingRefused(let refusal, let forgotten) = record {
            // Compact and bounded: a row without metadata, the peer's oldest forgotten past the cap.
            do { try await storage.recordRefusal(refusal, forgetting: forgotten) } catch {
                logger.error("a settlement refusal could not be stored", metadata: ["error": "\(error)"])
                return .failure(SafeguardsError(.unavailable, "the refusal could not be made durable"))
            }
            return .success(nil)
        }
        var entry = FederationRecordCoding.SettlementEntry(record: record, evidence: nil)
        if case .outgoingSettled = record, let envelope {
            entry.evidence = Data(envelope.encode()).base64EncodedString()
        }
        let (accounts, operations) = FederationLedger.operations(for: record)
        let stored = FederationRecord(
            kind: FederationRecordCoding.settlement, recordID: Self.recordID(record).rawValue,
            peer: Self.peer(record).rawValue, body: FederationRecordCoding.encode(entry),
            settlement: FederationRecordCoding.index(record), event: Self.event(record))
        do {
            try await storage.write(FederationPosting(accounts: accounts, operations: operations, record: stored))
        } catch {
            logger.error("a settlement record could not be stored", metadata: ["error": "\(error)"])
            return .failure(error)
        }
        return .success(entry.evidence)
    }

    /// The notification a record causes: a rejection of our request.
    private static func event(_ record: SettlementRecord) -> OutboxEvent? {
        guard case .outgoingSettled(let transfer, let receipt) = record, !receipt.isAccepted else { return nil }
        return .requestRejected(transfer, receipt: receipt)
    }

    /// Carries out one directive other than a persist (those are written by ``complete(_:evidence:)``).
    private func carryOut(_ directive: SettlementDirective) async {
        switch directive {
        case .persist, .reply:
            break  // written already; a reply goes back to the channel through `handle`
        case .send(let peer, let message):
            deliver(message, to: peer)
        case .scheduleTick(let delay):
            scheduleTick(at: now().advanced(by: delay))
        case .reportMismatch(let mismatch):
            logger.warning("a peer's receipt contradicts our records", metadata: [
                "peer.system_id": "\(mismatch.peer)", "transaction_id": "\(mismatch.transactionID)",
                "problem": "\(mismatch.problem.rawValue)",
            ])
            await federation.registry.recordOffense(mismatch.peer, .failedPromise, now: now())
        }
    }

    /// Memory as the store has it, after a write failed and every other write settled. The pending
    /// transfers are sent again at the next tick.
    private func rebuild() {
        do {
            let stored = try Self.load(store)
            machine = try Self.restoredMachine(stored, configuration: machine.configuration, store: store)
            digests.removeAll()
            grants = stored.grants
            _ = machine.restart(now: now())
            scheduleTick(at: now())
        } catch {
            logger.critical("cannot reload the settlement records", metadata: ["error": "\(error)"])
        }
        writes.rebuilt()
    }

    /// Sends a request to its giver (one delivery per id at a time) and feeds the answer back.
    private func deliver(_ message: SettlementMessage, to peer: SystemID) {
        let id = Self.transactionID(of: message)
        if let id {
            guard !delivering.contains(id) else { return }
            delivering.insert(id)
        }
        Task {
            let answer = try? await federation.exchange(message.body, with: peer)
            if let id { self.finishedDelivery(id) }
            guard let answer else { return }
            _ = await self.handle(answer, from: peer)
        }
    }

    private func finishedDelivery(_ id: TransferID) { delivering.remove(id) }

    private static func transactionID(of message: SettlementMessage) -> TransferID? {
        switch message {
        case .transferRequest(let request): return request.transactionID
        case .returnRequest(let request): return request.transactionID
        case .statusQuery(let query): return query.transactionID
        default: return nil
        }
    }

    private static func recordID(_ record: SettlementRecord) -> TransferID {
        switch record {
        case .outgoingCreated(let transfer), .outgoingSettled(let transfer, _): return transfer.transactionID
        case .incomingDecided(let decision): return decision.receipt.transactionID
        case .incomingRefused(let refusal, _): return refusal.transactionID
        }
    }

    static func peer(_ record: SettlementRecord) -> SystemID {
        switch record {
        case .outgoingCreated(let transfer), .outgoingSettled(let transfer, _): return transfer.peer
        case .incomingDecided(let decision): return decision.peer
        case .incomingRefused(let refusal, _): return refusal.peer
        }
    }
}
