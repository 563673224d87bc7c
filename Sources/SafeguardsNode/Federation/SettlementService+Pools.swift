import Logging
import SafeguardsAPI
import SafeguardsCore
import SafeguardsFederation
import SafeguardsStore

/// Federated pools: proposals to the peers that back a pool, and the grants they answer.
extension SettlementService {
    /// Asks the peer that granted `pool` the most for `amount` for `agent` (an emergency top-up
    /// when the pool's own reserve is empty).
    public func remoteTopUp(pool: PoolID, agent: AgentID, amount: Amount) async -> FederationTransactionBody? {
        let backers = grants.proposals(forPool: pool).compactMap(\.grant).filter { $0.status == .accepted }
            .sorted { ($0.granted, $1.giver) > ($1.granted, $0.giver) }
        guard let peer = backers.first?.giver else { return nil }
        return try? await requestBudget(
            agent: agent, from: peer, amount: amount, metadata: ["purpose": "emergency top-up", "pool_id": pool.rawValue],
            key: nil)
    }

    /// Creates the local pool, then proposes each remote allocation to its peer and waits (up to
    /// the answer time) for the grants. Proposals not answered stay pending and are sent again.
    public func createFederatedPool(_ request: CreateFederatedPoolRequest, operations: BudgetOperations)
        async throws(SafeguardsError) -> FederatedPoolBody
    {
        var peers: [(SystemID, Amount)] = []
        for (name, amount) in request.remoteAllocations.sorted(by: { $0.key < $1.key }) {
            let peer = try PeerRoutes.systemID(name, field: "remote_allocations")
            guard peer != me else { throw .invalidRequest("remote_allocations names this node (\(peer))") }
            guard amount.isPositive else { throw .invalidAmount("remote allocation for \(peer) must be positive") }
            _ = try await federation.registry.registered(peer)
            peers.append((peer, amount))
        }
        var metadata = request.metadata ?? [:]
        metadata["federated"] = "true"
        let (pool, replayed) = try await operations.createPool(
            CreatePoolRequest(
                name: request.name, initialBudget: request.localBudget, priority: request.priority, metadata: metadata,
                idempotencyKey: request.idempotencyKey))
        if !replayed {
            let proposals: [AllocationProposal] = await grantLock.run {
                var sent: [AllocationProposal] = []
                for (peer, amount) in peers {
                    let proposal = AllocationProposal(
                        proposalID: TransferID(unchecked: "al_\(BudgetOperations.randomHex())"), requester: me,
                        giver: peer, poolName: pool.pool.name, requested: amount)
                    let entry = GrantBook.Outgoing(proposal: proposal, poolID: pool.pool.id, grant: nil)
                    let record = FederationRecord(
                        kind: FederationRecordCoding.proposal, recordID: proposal.proposalID.rawValue,
                        peer: peer.rawValue, body: FederationRecordCoding.encode(entry))
                    do {
                        _ = try await writer.submit(.federation(FederationPosting(operations: [], record: record)))
                        grants.recordProposal(proposal, pool: pool.pool.id)
                        sent.append(proposal)
                    } catch {
                        logger.error("cannot store a proposal", metadata: ["error": "\(error)"])
                    }
                }
                return sent
            }
            await withTaskGroup(of: Void.self) { group in
                for proposal in proposals {
                    group.addTask { await self.propose(proposal) }
                }
            }
        }
        let snapshot = try await operations.pool(pool.pool.id.rawValue)
        return FederatedPoolBody(poolID: pool.pool.id.rawValue, pool: PoolBody(snapshot), grants: grantBodies(pool.pool.id))
    }

    /// The grants of a local pool, by peer.
    public func grantBodies(_ pool: PoolID) -> [String: GrantBody] {
        var bodies: [String: GrantBody] = [:]
        for entry in grants.proposals(forPool: pool) {
            let grant = entry.grant
            bodies[entry.proposal.giver.rawValue] = GrantBody(
                proposalID: entry.proposal.proposalID.rawValue, requested: entry.proposal.requested,
                granted: grant?.granted ?? .zero, status: grant?.status.rawValue ?? "pending",
                reason: grant?.reason?.rawValue)
        }
        return bodies
    }

    func resendPendingProposals() {
        for entry in grants.pendingProposals {
            Task { await self.propose(entry.proposal) }
        }
    }

    func propose(_ proposal: AllocationProposal) async {
        guard !delivering.contains(proposal.proposalID) else { return }
        delivering.insert(proposal.proposalID)
        defer { delivering.remove(proposal.proposalID) }
        let answer: Envelope
        do {
            answer = try await federation.exchange(proposal, with: proposal.giver)
        } catch {
            logger.info("proposal not answered; it will be sent again", metadata: [
                "peer.system_id": "\(proposal.giver)", "error": "\(error)",
            ])
            return
        }
        guard answer.type == .allocationGrant, let grant = try? AllocationGrant(decodingBody: answer.body) else {
            await federation.registry.recordOffense(proposal.giver, .malformed, now: now())
            return
        }
        await grantLock.run {
            guard grants.accepts(grant, from: proposal.giver) else { return }
            let record = FederationRecord(
                kind: FederationRecordCoding.grantLearned, recordID: grant.proposalID.rawValue,
                peer: grant.giver.rawValue, body: FederationRecordCoding.encode(grant))
            let accounts: [AccountID: AccountFlags] = [
                FederationLedger.granted(grant.giver): [], FederationLedger.receivable(grant.giver): [],
            ]
            do {
                _ = try await writer.submit(
                    .federation(
                        FederationPosting(
                            accounts: accounts, operations: FederationLedger.operations(forLearned: grant), record: record)))
                grants.recordGrant(grant)
            } catch {
                logger.error("cannot store a grant", metadata: ["error": "\(error)"])
            }
        }
    }
}
