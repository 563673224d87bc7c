/// Multi-resource budgets: each resource type of an agent is an account of its own, funded from
/// that type's source, so types never mix and each balances on its own.
extension BudgetBook {
    mutating func setResourceBudgets(
        _ agent: AgentID, budgets: [String: Amount], transferID: TransferID, now: Timestamp
    ) throws(SafeguardsError) -> BudgetResult {
        guard agents[agent] != nil else { throw .notFound("agent \(agent) does not exist") }
        try requireOpen(agent)
        guard !budgets.isEmpty, budgets.count <= 32 else { throw .invalidRequest("budgets must name 1 to 32 resource types") }
        let current = resourceBudgets(of: agent)
        var operations: [LedgerOperation] = []
        let types = budgets.keys.sorted()
        if let first = types.first, ledger.transfer(TransferID(unchecked: "\(transferID):\(first)")) != nil {
            return .resources(types.compactMap { ledger.transfer(TransferID(unchecked: "\(transferID):\($0)")) }, replayed: true)
        }
        for type in types {
            guard LedgerAccounts.isValidResourceType(type) else {
                throw .invalidRequest("resource type '\(type.prefix(40))' must be 1-40 of a-z, 0-9 and _")
            }
            let budget = budgets[type]!
            guard !budget.isNegative else { throw .invalidAmount("budget \(budget) for \(type) is negative") }
            let account = LedgerAccounts.resource(agent, type)
            let funding = LedgerAccounts.resourceFunding(type)
            if ledger.account(account) == nil {
                operations.append(.openAccount(account, .debitsMustNotExceedCredits))
                operations.append(.openAccount(LedgerAccounts.resourceUsed(agent, type), []))
            }
            if ledger.account(funding) == nil, !operations.contains(.openAccount(funding, [])) {
                operations.append(.openAccount(funding, []))
            }
            guard
                let request = TransferRequest.resizing(
                    account, against: funding, from: current[type]?.total ?? .zero, to: budget,
                    id: TransferID(unchecked: "\(transferID):\(type)"), reason: "\(type) budget of agent \(agent) set to \(budget)",
                    metadata: [TransferMetadataKey.kind: TransferKind.resourceBudget.rawValue,
                        TransferMetadataKey.agent: agent.rawValue, TransferMetadataKey.resource: type])
            else { continue }
            operations.append(.create(request))
        }
        do { try ledger.apply(linked: stamped(operations), now: now) } catch {
            if case .insufficientFunds = error.root {
                throw SafeguardsError(.insufficientBudget, "a resource budget cannot be set below what is reserved or used")
            }
            throw SafeguardsError(error)
        }
        return .resources(types.compactMap { ledger.transfer(TransferID(unchecked: "\(transferID):\($0)")) }, replayed: false)
    }

    mutating func reserveResources(
        _ agent: AgentID, amounts: [String: Amount], reservationID: TransferID, timeout: Duration?, now: Timestamp
    ) throws(SafeguardsError) -> BudgetResult {
        guard agents[agent] != nil else { throw .notFound("agent \(agent) does not exist") }
        try requireOpen(agent)
        guard !amounts.isEmpty, amounts.count <= 32 else { throw .invalidRequest("amounts must name 1 to 32 resource types") }
        let types = amounts.keys.sorted()
        if let first = types.first, let earlier = ledger.transfer(TransferID(unchecked: "\(reservationID):\(first)")) {
            let all = types.compactMap { ledger.transfer(TransferID(unchecked: "\(reservationID):\($0)")) }
            guard all.count == types.count, zip(types, all).allSatisfy({ amounts[$0] == $1.amount }),
                earlier.metadata[TransferMetadataKey.agent] == agent.rawValue
            else { throw .conflict("reservation id \(reservationID) was already used for another reservation") }
            return .resources(all, replayed: true)
        }
        var operations: [LedgerOperation] = []
        for type in types {
            let amount = amounts[type]!
            guard amount.isPositive else { throw .invalidAmount("amount \(amount) of \(type) must be greater than zero") }
            guard ledger.account(LedgerAccounts.resource(agent, type)) != nil else {
                throw .notFound("agent \(agent) has no \(type) budget")
            }
            operations.append(
                .create(
                    TransferRequest(
                        id: TransferID(unchecked: "\(reservationID):\(type)"), debit: LedgerAccounts.resource(agent, type),
                        credit: LedgerAccounts.resourceUsed(agent, type), amount: amount, isPending: true, timeout: timeout,
                        reason: "\(type) reserved by agent \(agent)",
                        metadata: [TransferMetadataKey.kind: TransferKind.resourceReservation.rawValue,
                            TransferMetadataKey.agent: agent.rawValue, TransferMetadataKey.resource: type,
                            "reservation_id": reservationID.rawValue, "types": types.joined(separator: ",")])))
        }
        do { try ledger.apply(linked: stamped(operations), now: now) } catch {
            if case .insufficientFunds(let account, let available, let requested) = error.root {
                throw SafeguardsError(
                    .insufficientBudget,
                    "\(account.rawValue.split(separator: ":").last.map(String.init) ?? "a resource") has \(available) available; \(requested) was requested; nothing was reserved")
            }
            throw SafeguardsError(error)
        }
        resourceReservations[reservationID] = types
        return .resources(types.compactMap { ledger.transfer(TransferID(unchecked: "\(reservationID):\($0)")) }, replayed: false)
    }

    mutating func resolveResources(reservationID: TransferID, used: [String: Amount]?, now: Timestamp)
        throws(SafeguardsError) -> BudgetResult
    {
        let prefix = "\(reservationID.rawValue):"
        guard let types = resourceReservations[reservationID] ?? hydrateResourceReservation(reservationID) else {
            throw .notFound("resource reservation \(reservationID) does not exist")
        }
        if let used, let unknown = used.keys.first(where: { !types.contains($0) }) {
            throw .invalidRequest("reservation \(reservationID) holds no \(unknown)")
        }
        var operations: [LedgerOperation] = []
        for type in types {
            let id = TransferID(unchecked: "\(prefix)\(type)")
            if let used, let amount = used[type], amount.isPositive {
                operations.append(.post(id, amount: amount))
            } else {
                operations.append(.void(id))
            }
        }
        let outcomes: [LedgerOutcome]
        do { outcomes = try ledger.apply(linked: operations, now: now) } catch {
            if case .notPending = error.root {
                return .resources(types.compactMap { ledger.transfer(TransferID(unchecked: "\(prefix)\($0)")) }, replayed: true)
            }
            throw SafeguardsError(error)
        }
        // The same settle again resolves nothing: every part answers as a replay.
        return .resources(
            types.compactMap { ledger.transfer(TransferID(unchecked: "\(prefix)\($0)")) },
            replayed: outcomes.allSatisfy(\.replayed))
    }

    /// A resource reservation that left memory with its window: its transfers brought back from
    /// the archive (to leave again with the next eviction), and its types.
    private mutating func hydrateResourceReservation(_ reservationID: TransferID) -> [String]? {
        let parts = ledger.hydrate(withIDPrefix: "\(reservationID.rawValue):", limit: 32)
        guard let types = Self.resourceReservationTypes(parts.first, of: reservationID) else { return nil }
        resourceReservations[reservationID] = types
        return types
    }

    /// The types of the multi-resource reservation `reservationID`, as one of its transfers
    /// names them; nil when `transfer` is not part of one.
    static func resourceReservationTypes(_ transfer: Transfer?, of reservationID: TransferID) -> [String]? {
        guard let transfer,
            transfer.metadataValue(TransferMetadataKey.kind) == TransferKind.resourceReservation.rawValue,
            transfer.metadataValue("reservation_id") == reservationID.rawValue,
            let types = transfer.metadataValue("types")
        else { return nil }
        return types.split(separator: ",").map(String.init)
    }
}
