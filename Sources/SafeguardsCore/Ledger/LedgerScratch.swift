extension Ledger {
    /// Changes made on top of a ledger without touching it, so a failed operation or a failed
    /// linked batch can be dropped whole. Reads see the scratch first, then the base.
    struct Scratch {
        var accounts: [AccountID: Account] = [:]
        var transfers: [TransferID: Transfer] = [:]
        var changes: [LedgerChange] = []

        func account(_ id: AccountID, in base: Ledger) -> Account? { accounts[id] ?? base.accounts[id] }
        func transfer(_ id: TransferID, in base: Ledger) -> Transfer? { transfers[id] ?? base.transfers[id] }

        mutating func apply(_ operation: LedgerOperation, on base: Ledger, now: Timestamp) throws(LedgerError) -> LedgerOutcome {
            switch operation {
            case .openAccount(let id, let flags):
                if let existing = account(id, in: base) {
                    guard existing.flags == flags else { throw .accountAlreadyExists(id) }
                    return LedgerOutcome(transfer: nil, replayed: true)
                }
                accounts[id] = Account(id: id, flags: flags)
                changes.append(.accountOpened(id, flags))
                return LedgerOutcome(transfer: nil, replayed: false)
            case .create(let request):
                return try create(request, on: base, now: now)
            case .post(let id, let amount):
                return try resolve(id, to: .posted, amount: amount, on: base, now: now)
            case .void(let id):
                return try resolve(id, to: .voided, amount: nil, on: base, now: now)
            case .expire(let id):
                return try resolve(id, to: .expired, amount: nil, on: base, now: now)
            }
        }

        private mutating func create(_ request: TransferRequest, on base: Ledger, now: Timestamp) throws(LedgerError) -> LedgerOutcome {
            if let existing = transfer(request.id, in: base) {
                guard existing.matches(request) else { throw .transferIDConflict(request.id) }
                return LedgerOutcome(transfer: existing, replayed: true)
            }
            guard request.amount.isPositive else { throw .amountNotPositive(request.amount) }
            guard request.debitAccount != request.creditAccount else { throw .sameAccount(request.debitAccount) }
            guard var debit = account(request.debitAccount, in: base) else { throw .accountNotFound(request.debitAccount) }
            guard var credit = account(request.creditAccount, in: base) else { throw .accountNotFound(request.creditAccount) }

            if debit.flags.contains(.debitsMustNotExceedCredits), debit.available < request.amount {
                throw .insufficientFunds(account: debit.id, available: debit.available, requested: request.amount)
            }
            if request.isPending {
                debit.debitsPending = try Ledger.add(debit.debitsPending, request.amount, debit.id)
                credit.creditsPending = try Ledger.add(credit.creditsPending, request.amount, credit.id)
            } else {
                try Ledger.post(request.amount, from: &debit, to: &credit)
            }
            let transfer = Transfer(
                id: request.id, debitAccount: debit.id, creditAccount: credit.id, amount: request.amount,
                isPending: request.isPending,
                timeoutMilliseconds: request.isPending ? request.timeout.map(Transfer.milliseconds) : nil,
                reason: request.reason, metadata: request.metadata, createdAt: now,
                state: request.isPending ? .pending : .posted,
                postedAmount: request.isPending ? .zero : request.amount, resolvedAt: nil
            )
            accounts[debit.id] = debit
            accounts[credit.id] = credit
            transfers[transfer.id] = transfer
            changes.append(.transferCreated(transfer))
            return LedgerOutcome(transfer: transfer, replayed: false)
        }

        private mutating func resolve(
            _ id: TransferID, to target: TransferState, amount: Amount?, on base: Ledger, now: Timestamp
        ) throws(LedgerError) -> LedgerOutcome {
            guard var transfer = transfer(id, in: base) else { throw .transferNotFound(id) }
            guard transfer.isPending else { throw .notPending(id, transfer.state) }
            if transfer.state != .pending {
                // A retry of the same resolution changes nothing and returns the first result.
                if transfer.state == target, target != .posted || (amount ?? transfer.amount) == transfer.postedAmount {
                    return LedgerOutcome(transfer: transfer, replayed: true)
                }
                throw .notPending(id, transfer.state)
            }
            let expired = transfer.expiresAt.map { $0 <= now } ?? false
            if target == .posted, expired { throw .pendingExpired(id) }
            if target == .expired, !expired { throw .notYetExpired(id) }

            let posted = target == .posted ? (amount ?? transfer.amount) : .zero
            if target == .posted {
                guard posted.isPositive else { throw .amountNotPositive(posted) }
                guard posted <= transfer.amount else {
                    throw .postExceedsPending(id, pending: transfer.amount, requested: posted)
                }
            }
            guard var debit = account(transfer.debitAccount, in: base) else { throw .accountNotFound(transfer.debitAccount) }
            guard var credit = account(transfer.creditAccount, in: base) else { throw .accountNotFound(transfer.creditAccount) }
            debit.debitsPending = try Ledger.subtract(debit.debitsPending, transfer.amount, debit.id)
            credit.creditsPending = try Ledger.subtract(credit.creditsPending, transfer.amount, credit.id)
            try Ledger.post(posted, from: &debit, to: &credit)

            transfer.state = target
            transfer.postedAmount = posted
            transfer.resolvedAt = now
            accounts[debit.id] = debit
            accounts[credit.id] = credit
            transfers[id] = transfer
            changes.append(.transferResolved(transfer))
            return LedgerOutcome(transfer: transfer, replayed: false)
        }
    }
}
