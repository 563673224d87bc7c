import SafeguardsCore
import SafeguardsTestKit
import Testing

/// Seeded random runs of the ledger. Each argument is a seed; a failure names the seed and step,
/// and `LedgerRun(seed:)` with that seed replays the run exactly.
@Suite("Ledger properties over seeded operation sequences")
struct LedgerPropertyTests {
    static let seeds: [UInt64] = Array(0..<200)
    static let stepsPerRun = 300

    @Test("books balance, constraints hold, retries change nothing, restore agrees", arguments: seeds)
    func invariantsHoldForSeed(seed: UInt64) throws {
        var run = LedgerRun(seed: seed)
        run.play(steps: Self.stepsPerRun)
        if run.failed { return }
        run.checkFinalState()
        // Sanity: the run exercised the machine, so the properties were not checked on an empty ledger.
        #expect(run.successes > Self.stepsPerRun / 5, "seed \(seed): only \(run.successes) operations succeeded")
        #expect(run.refusals > 0, "seed \(seed): no operation was refused")
    }
}

/// One seeded run: a ledger, the operations tried on it, and the checks after every step.
struct LedgerRun {
    static let accountNames = ["funding", "c0", "c1", "c2", "c3", "u0", "u1", "ghost"].map(AccountID.init(unchecked:))
    static let openedAtStart: [(AccountID, AccountFlags)] = [
        (AccountID(unchecked: "funding"), []),
        (AccountID(unchecked: "c0"), .debitsMustNotExceedCredits),
        (AccountID(unchecked: "c1"), .debitsMustNotExceedCredits),
        (AccountID(unchecked: "c2"), .debitsMustNotExceedCredits),
        (AccountID(unchecked: "c3"), .debitsMustNotExceedCredits),
        (AccountID(unchecked: "u0"), []),
    ]

    let seed: UInt64
    var random: SeededRandom
    var ledger = Ledger()
    var now = Timestamp(millisecondsSince1970: 1_767_225_600_000)
    var step = 0
    var failed = false
    var successes = 0
    var refusals = 0
    /// Every create that succeeded, in order, for exact retries.
    var successfulCreates: [TransferRequest] = []
    /// Every transfer id tried, successful or not.
    var usedIDs: [TransferID] = []
    /// Transfers resolved (posted, voided, expired), in order, for retries of the resolution.
    var resolvedIDs: [TransferID] = []
    /// Everything the ledger reported through `takeUnsavedChanges`, as a store would write it.
    var journal: [LedgerChange] = []
    var journalAccounts: [AccountID: AccountFlags] = [:]
    var journalTransfers: [TransferID: Transfer] = [:]
    var nextID = 0

    init(seed: UInt64) {
        self.seed = seed
        self.random = SeededRandom(seed: seed)
    }

    // MARK: Checks

    /// Records an expectation naming the seed and step; returns whether it held.
    @discardableResult
    mutating func check(
        _ condition: Bool, _ message: @autoclosure () -> String, sourceLocation: SourceLocation = #_sourceLocation
    ) -> Bool {
        if !condition {
            failed = true
            Issue.record("seed \(seed) step \(step): \(message())", sourceLocation: sourceLocation)
        }
        return condition
    }

    mutating func checkInvariants() {
        let totals = ledger.totals()
        check(totals.isBalanced, "ledger not balanced: \(totals)")
        for account in ledger.accounts.values where account.flags.contains(.debitsMustNotExceedCredits) {
            check(account.available.micros >= 0, "constrained \(account.id) available \(account.available)")
        }
        check(
            ledger.pendingTransferIDs == Set(ledger.transfers.values.filter { $0.state == .pending }.map(\.id)),
            "pendingTransferIDs disagree with the transfers' states")
    }

    /// Takes the ledger's new changes and checks they describe legal moves of what the ledger now holds.
    mutating func absorbChanges() {
        for change in ledger.takeUnsavedChanges() {
            journal.append(change)
            switch change {
            case .accountOpened(let id, let flags):
                check(journalAccounts[id] == nil, "account \(id) opened twice")
                journalAccounts[id] = flags
            case .transferCreated(let transfer):
                check(journalTransfers[transfer.id] == nil, "transfer \(transfer.id) created twice")
                check(transfer.amount.isPositive, "transfer \(transfer.id) created with \(transfer.amount)")
                check(
                    transfer.state == (transfer.isPending ? .pending : .posted),
                    "transfer \(transfer.id) created in state \(transfer.state)")
                journalTransfers[transfer.id] = transfer
            case .transferResolved(let transfer):
                guard let before = journalTransfers[transfer.id] else {
                    check(false, "transfer \(transfer.id) resolved before it was created")
                    continue
                }
                check(before.state == .pending, "transfer \(transfer.id) resolved from \(before.state)")
                check(
                    before.amount == transfer.amount && before.debitAccount == transfer.debitAccount
                        && before.creditAccount == transfer.creditAccount && before.createdAt == transfer.createdAt,
                    "transfer \(transfer.id) changed its fixed fields when resolved")
                let postedIsLegal =
                    transfer.state == .posted
                    ? transfer.postedAmount.isPositive && transfer.postedAmount <= transfer.amount
                    : transfer.postedAmount.isZero
                check(transfer.state != .pending && postedIsLegal, "transfer \(transfer.id) resolved to \(transfer)")
                journalTransfers[transfer.id] = transfer
                resolvedIDs.append(transfer.id)
            }
            if case .transferCreated(let transfer) = change, ledger.transfer(transfer.id)?.state == transfer.state {
                check(ledger.transfer(transfer.id) == transfer, "journal and ledger disagree on \(transfer.id)")
            }
        }
    }

    // MARK: Running

    mutating func play(steps: Int) {
        do {
            try ledger.apply(linked: Self.openedAtStart.map { .openAccount($0.0, $0.1) }, now: now)
        } catch {
            check(false, "opening the starting accounts failed: \(error)")
            return
        }
        absorbChanges()
        for index in 0..<steps where !failed {
            step = index
            now = now.advanced(by: .milliseconds(random.int64(in: 0...1_500)))
            playOneStep()
            absorbChanges()
            checkInvariants()
        }
    }

    mutating func playOneStep() {
        let roll = random.int(in: 0...99)
        switch roll {
        case 0..<4:
            let id = random.element(of: Self.accountNames) ?? Self.accountNames[0]
            apply(.openAccount(id, random.percent(50) ? .debitsMustNotExceedCredits : []))
        case 4..<34:
            apply(.create(randomRequest(pending: false)))
        case 34..<54:
            apply(.create(randomRequest(pending: true)))
        case 54..<62:
            apply(.post(randomTarget(), amount: nil))
        case 62..<70:
            let target = randomTarget()
            let reserved = ledger.transfer(target)?.amount ?? 10
            // Up to a little more than reserved, and sometimes zero, so both refusals are exercised.
            apply(.post(target, amount: Amount(micros: random.int64(in: 0...min(reserved.micros, Int64.max - 2) + 2))))
        case 70..<76:
            apply(.void(randomTarget()))
        case 76..<82:
            apply(.expire(randomTarget()))
        case 82..<87:
            retryEarlierCreate()
        case 87..<90:
            retryEarlierResolution()
        case 90..<94:
            conflictingRetry()
        default:
            applyLinkedBatch()
        }
    }

    mutating func freshID() -> TransferID {
        nextID += 1
        let id = TransferID(unchecked: "s\(seed)-t\(nextID)")
        usedIDs.append(id)
        return id
    }

    mutating func randomAmount() -> Amount {
        let roll = random.int(in: 0...999)
        switch roll {
        case 0..<40: return .zero
        case 40..<80: return Amount(micros: -random.int64(in: 1...100_000_000))
        case 80..<85: return Amount(micros: Int64.max / random.int64(in: 1...4))
        default: return Amount(micros: random.int64(in: 1...50_000_000))
        }
    }

    mutating func randomAccount() -> AccountID {
        random.element(of: Self.accountNames) ?? Self.accountNames[0]
    }

    mutating func randomRequest(pending: Bool) -> TransferRequest {
        // Budget mostly enters from the unconstrained accounts, so the constrained ones have some.
        let debit = random.percent(35) ? AccountID(unchecked: random.percent(70) ? "funding" : "u0") : randomAccount()
        var credit = randomAccount()
        if credit == debit, !random.percent(10) { credit = randomAccount() }
        var timeout: Duration? = nil
        if pending ? random.percent(70) : random.percent(10) {
            timeout = .milliseconds(random.int64(in: 1...20_000))
        }
        return TransferRequest(
            id: freshID(), debit: debit, credit: credit, amount: randomAmount(), isPending: pending, timeout: timeout,
            reason: random.percent(50) ? "budget move" : "reservation",
            metadata: random.percent(30) ? ["step": String(step)] : [:])
    }

    /// Mostly a transfer that is pending now, sometimes any id ever tried.
    mutating func randomTarget() -> TransferID {
        if random.percent(75), let id = random.element(of: ledger.pendingTransferIDs.sorted()) { return id }
        return random.element(of: usedIDs) ?? TransferID(unchecked: "never-used")
    }

    /// Applies one operation; a refused one must change nothing.
    mutating func apply(_ operation: LedgerOperation) {
        let accountsBefore = ledger.accounts
        let transferCount = ledger.transfers.count
        let pendingBefore = ledger.pendingTransferIDs
        do {
            let outcome = try ledger.apply(operation, now: now)
            successes += 1
            if case .create(let request) = operation {
                successfulCreates.append(request)
                check(outcome.transfer?.id == request.id, "create returned \(String(describing: outcome.transfer))")
                check(outcome.transfer.map(\.amount) == request.amount, "created amount differs from the request")
            }
            if let transfer = outcome.transfer {
                check(ledger.transfer(transfer.id) == transfer, "outcome of \(operation) is not what the ledger holds")
            }
        } catch {
            refusals += 1
            check(ledger.accounts == accountsBefore, "refused \(operation) (\(error)) changed accounts")
            check(ledger.transfers.count == transferCount, "refused \(operation) (\(error)) added a transfer")
            check(ledger.pendingTransferIDs == pendingBefore, "refused \(operation) (\(error)) changed pending ids")
            check(ledger.takeUnsavedChanges().isEmpty, "refused \(operation) (\(error)) left changes to save")
        }
    }

    /// The same request again, at a later time: answered from the record, nothing moves.
    mutating func retryEarlierCreate() {
        guard let request = random.element(of: successfulCreates) else { return }
        let accountsBefore = ledger.accounts
        let stored = ledger.transfer(request.id)
        do {
            let outcome = try ledger.apply(.create(request), now: now)
            check(outcome.replayed, "retry of \(request.id) was not a replay")
            check(outcome.transfer == stored, "retry of \(request.id) returned another transfer")
        } catch {
            check(false, "retry of \(request.id) refused: \(error)")
        }
        check(ledger.accounts == accountsBefore, "retry of \(request.id) changed accounts")
        check(ledger.transfer(request.id) == stored, "retry of \(request.id) changed the transfer")
        check(ledger.takeUnsavedChanges().isEmpty, "retry of \(request.id) left changes to save")
    }

    /// The same resolution again: posting the posted amount, voiding a voided, expiring an expired.
    mutating func retryEarlierResolution() {
        guard let id = random.element(of: resolvedIDs), let transfer = ledger.transfer(id) else { return }
        let operation: LedgerOperation
        switch transfer.state {
        case .posted: operation = .post(id, amount: transfer.postedAmount)
        case .voided: operation = .void(id)
        case .expired: operation = .expire(id)
        case .pending:
            check(false, "resolved transfer \(id) is pending again")
            return
        }
        let accountsBefore = ledger.accounts
        do {
            let outcome = try ledger.apply(operation, now: now)
            check(outcome.replayed, "retry of \(operation) was not a replay")
        } catch {
            check(false, "retry of \(operation) refused: \(error)")
        }
        check(ledger.accounts == accountsBefore, "retry of \(operation) changed accounts")
        check(ledger.transfer(id) == transfer, "retry of \(operation) changed the transfer")
    }

    /// An earlier id with one field changed: always a conflict, nothing moves.
    mutating func conflictingRetry() {
        guard var request = random.element(of: successfulCreates) else { return }
        switch random.int(in: 0...4) {
        case 0: request.amount = Amount(micros: request.amount.micros &+ 1)
        case 1: request.isPending.toggle()
        case 2: request.reason += " (changed)"
        case 3: request.metadata["changed"] = "yes"
        default:
            request.creditAccount =
                request.creditAccount == request.debitAccount ? randomAccount() : request.debitAccount
        }
        let accountsBefore = ledger.accounts
        let stored = ledger.transfer(request.id)
        do {
            try ledger.apply(.create(request), now: now)
            check(false, "conflicting retry of \(request.id) was accepted")
        } catch {
            check(error == .transferIDConflict(request.id), "conflicting retry of \(request.id) refused with \(error)")
        }
        check(ledger.accounts == accountsBefore, "conflicting retry of \(request.id) changed accounts")
        check(ledger.transfer(request.id) == stored, "conflicting retry of \(request.id) changed the transfer")
    }

    /// Two to four operations, all or nothing.
    mutating func applyLinkedBatch() {
        var operations: [LedgerOperation] = []
        for _ in 0..<random.int(in: 2...4) {
            switch random.int(in: 0...9) {
            case 0..<4: operations.append(.create(randomRequest(pending: false)))
            case 4..<6: operations.append(.create(randomRequest(pending: true)))
            case 6: operations.append(.post(randomTarget(), amount: nil))
            case 7: operations.append(.void(randomTarget()))
            case 8:
                if let request = random.element(of: successfulCreates) { operations.append(.create(request)) }
            default:
                // Post what an earlier operation of this batch reserved, if any.
                let reserved = operations.compactMap { operation -> TransferID? in
                    if case .create(let request) = operation, request.isPending { return request.id }
                    return nil
                }
                if let id = random.element(of: reserved) { operations.append(.post(id, amount: nil)) }
            }
        }
        let accountsBefore = ledger.accounts
        let transferCount = ledger.transfers.count
        do {
            let outcomes = try ledger.apply(linked: operations, now: now)
            successes += 1
            check(outcomes.count == operations.count, "batch returned \(outcomes.count) outcomes")
            for case .create(let request) in operations { successfulCreates.append(request) }
        } catch {
            refusals += 1
            if case .linkedBatchFailed(let index, _) = error {
                check(operations.indices.contains(index), "batch failure names operation \(index)")
            } else {
                check(false, "batch refused without naming the operation: \(error)")
            }
            check(ledger.accounts == accountsBefore, "refused batch changed accounts")
            check(ledger.transfers.count == transferCount, "refused batch added transfers")
            check(ledger.takeUnsavedChanges().isEmpty, "refused batch left changes to save")
        }
    }

    // MARK: End of run

    mutating func checkFinalState() {
        let live = ledger
        // Restore from what the ledger holds.
        do {
            let restored = try Ledger.restore(
                accounts: live.accounts.values.map { ($0.id, $0.flags) }, transfers: Array(live.transfers.values))
            check(restored.accounts == live.accounts, "restore from the final state gives other balances")
            check(restored.pendingTransferIDs == live.pendingTransferIDs, "restore gives other pending ids")
        } catch {
            check(false, "restore from the final state failed: \(error)")
        }
        // Restore from the journal alone, as the store would after a restart.
        do {
            let restored = try Ledger.restore(
                accounts: journalAccounts.map { ($0.key, $0.value) }, transfers: Array(journalTransfers.values))
            check(restored.accounts == live.accounts, "restore from the journal gives other balances")
            check(restored.transfers == live.transfers, "restore from the journal gives other transfers")
        } catch {
            check(false, "restore from the journal failed: \(error)")
        }
        // Balances recomputed here, independently of the ledger's own arithmetic.
        var expected:
            [AccountID: (debitsPending: Int128, debitsPosted: Int128, creditsPending: Int128, creditsPosted: Int128)] =
                [:]
        for id in live.accounts.keys { expected[id] = (0, 0, 0, 0) }
        for transfer in live.transfers.values {
            switch transfer.state {
            case .pending:
                expected[transfer.debitAccount]?.debitsPending += Int128(transfer.amount.micros)
                expected[transfer.creditAccount]?.creditsPending += Int128(transfer.amount.micros)
            case .posted:
                expected[transfer.debitAccount]?.debitsPosted += Int128(transfer.postedAmount.micros)
                expected[transfer.creditAccount]?.creditsPosted += Int128(transfer.postedAmount.micros)
            case .voided, .expired:
                break
            }
        }
        for account in live.accounts.values {
            guard let sums = expected[account.id] else { continue }
            check(
                Int128(account.debitsPending.micros) == sums.debitsPending
                    && Int128(account.debitsPosted.micros) == sums.debitsPosted
                    && Int128(account.creditsPending.micros) == sums.creditsPending
                    && Int128(account.creditsPosted.micros) == sums.creditsPosted,
                "account \(account.id) disagrees with the sum of its transfers")
        }
    }
}
