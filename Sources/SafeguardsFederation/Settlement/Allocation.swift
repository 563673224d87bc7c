import SafeguardsCore

extension MessageType {
    /// Proposes that a peer back a federated pool; the body is an ``AllocationProposal``.
    public static let allocationProposal = MessageType(rawValue: "allocation_proposal")
    /// The peer's answer to a proposal; the body is an ``AllocationGrant``.
    public static let allocationGrant = MessageType(rawValue: "allocation_grant")
}

/// The body of an `allocation_proposal`: the requester created a federated pool and asks the
/// giver to back it with `requested` from the credit line the giver offers it.
///
/// The proposal id is chosen and stored by the requester before the first send; a repeat with
/// the same id and fields gets the same grant.
public struct AllocationProposal: MessageBody, Hashable {
    public static let messageType = MessageType.allocationProposal

    public var proposalID: TransferID
    public var requester: SystemID
    public var giver: SystemID
    /// The requester's pool (its name; pool ids are local).
    public var poolName: String
    public var requested: Amount

    public init(proposalID: TransferID, requester: SystemID, giver: SystemID, poolName: String, requested: Amount) {
        self.proposalID = proposalID
        self.requester = requester
        self.giver = giver
        self.poolName = poolName
        self.requested = requested
    }

    enum CodingKeys: String, CodingKey {
        case proposalID = "proposal_id"
        case requester, giver
        case poolName = "pool_name"
        case requested
    }
}

/// The body of an `allocation_grant`: what the giver grants for a proposal. `granted` may be less
/// than requested (the giver grants up to its offer to that peer scaled by trust, less what it
/// granted before); a rejection grants nothing and says why.
public struct AllocationGrant: MessageBody, Hashable {
    public static let messageType = MessageType.allocationGrant

    public var proposalID: TransferID
    public var requester: SystemID
    public var giver: SystemID
    public var poolName: String
    public var requested: Amount
    public var granted: Amount
    public var status: SettlementStatus
    public var reason: SettlementRejectReason?
    public var decidedAt: Timestamp

    public init(
        proposalID: TransferID, requester: SystemID, giver: SystemID, poolName: String, requested: Amount,
        granted: Amount, status: SettlementStatus, reason: SettlementRejectReason? = nil, decidedAt: Timestamp
    ) {
        self.proposalID = proposalID
        self.requester = requester
        self.giver = giver
        self.poolName = poolName
        self.requested = requested
        self.granted = granted
        self.status = status
        self.reason = reason
        self.decidedAt = decidedAt
    }

    /// Whether this grant answers `proposal` (same id, parties, pool and request) and is coherent.
    public func answers(_ proposal: AllocationProposal) -> Bool {
        proposalID == proposal.proposalID && requester == proposal.requester && giver == proposal.giver
            && poolName == proposal.poolName && requested == proposal.requested && granted >= .zero
            && granted <= requested && (status == .accepted) == granted.isPositive
    }

    enum CodingKeys: String, CodingKey {
        case proposalID = "proposal_id"
        case requester, giver
        case poolName = "pool_name"
        case requested, granted, status, reason
        case decidedAt = "decided_at"
    }
}

/// Grants on both sides of a federated pool, as a pure value: the proposals this node sent and
/// what it learned, and the grants it gave as a giver. Rebuilt from records like the settlement
/// machine; a decision, once stored, is final.
public struct GrantBook: Sendable {
    /// A proposal this node sent, and the grant once known.
    public struct Outgoing: Sendable, Hashable, Codable {
        public var proposal: AllocationProposal
        public var poolID: PoolID
        public var grant: AllocationGrant?

        public init(proposal: AllocationProposal, poolID: PoolID, grant: AllocationGrant?) {
            self.proposal = proposal
            self.poolID = poolID
            self.grant = grant
        }
    }

    public private(set) var outgoing: [TransferID: Outgoing] = [:]
    /// Decisions this node gave, by peer then proposal id.
    public private(set) var incoming: [SystemID: [TransferID: AllocationGrant]] = [:]

    public init() {}

    /// Everything granted (accepted) to `peer` so far.
    public func grantedTotal(to peer: SystemID) -> Amount {
        Amount.clampedSum((incoming[peer] ?? [:]).values.lazy.filter { $0.status == .accepted }.map(\.granted))
    }

    /// Proposals still waiting for their grant, in id order.
    public var pendingProposals: [Outgoing] {
        outgoing.values.filter { $0.grant == nil }.sorted { $0.proposal.proposalID < $1.proposal.proposalID }
    }

    /// Proposals of one local pool, by giver.
    public func proposals(forPool pool: PoolID) -> [Outgoing] {
        outgoing.values.filter { $0.poolID == pool }.sorted { $0.proposal.giver < $1.proposal.giver }
    }

    /// The giver's decision for a new proposal from `peer` (the authenticated sender). Checks in
    /// order: the body names `peer` and `me` (`misaddressed`, not stored), the id is new or a
    /// repeat of the same proposal (`conflict`, not stored), an offer exists (`unknown_peer`),
    /// the amount is positive (`invalid_amount`), trust ≥ minimum (`trust_too_low`), and something
    /// is left of offer × trust after earlier grants (`insufficient_credit`). Returns the grant and
    /// whether it is new (to be stored before it is sent).
    public func decide(
        _ proposal: AllocationProposal, from peer: SystemID, me: SystemID, offer: Amount?, trust: TrustLevel,
        minimumTrust: TrustLevel, now: Timestamp
    ) -> (grant: AllocationGrant, isNew: Bool) {
        func answer(_ granted: Amount, _ reason: SettlementRejectReason?) -> AllocationGrant {
            AllocationGrant(
                proposalID: proposal.proposalID, requester: proposal.requester, giver: proposal.giver,
                poolName: proposal.poolName, requested: proposal.requested, granted: granted,
                status: reason == nil ? .accepted : .rejected, reason: reason, decidedAt: now)
        }
        guard proposal.requester == peer, proposal.giver == me else { return (answer(.zero, .misaddressed), false) }
        if let stored = incoming[peer]?[proposal.proposalID] {
            let same = stored.poolName == proposal.poolName && stored.requested == proposal.requested
            return (same ? stored : answer(.zero, .conflict), false)
        }
        guard let offer, offer.isPositive else { return (answer(.zero, .unknownPeer), true) }
        guard proposal.requested.isPositive else { return (answer(.zero, .invalidAmount), true) }
        guard trust >= minimumTrust else { return (answer(.zero, .trustTooLow), true) }
        let limit = (try? trust.applied(to: offer)) ?? .zero
        let left = (try? limit.subtracting(grantedTotal(to: peer))) ?? .zero
        guard left.isPositive else { return (answer(.zero, .insufficientCredit), true) }
        return (answer(min(left, proposal.requested), nil), true)
    }

    /// Records a decision this node gave.
    public mutating func recordDecision(_ grant: AllocationGrant) {
        incoming[grant.requester, default: [:]][grant.proposalID] = grant
    }

    /// Records a proposal this node is about to send.
    public mutating func recordProposal(_ proposal: AllocationProposal, pool: PoolID) {
        outgoing[proposal.proposalID] = Outgoing(proposal: proposal, poolID: pool, grant: nil)
    }

    /// Whether `grant` from `peer` settles a pending proposal (`true`), repeats the stored grant
    /// or cannot be applied (`false`).
    public func accepts(_ grant: AllocationGrant, from peer: SystemID) -> Bool {
        guard let entry = outgoing[grant.proposalID], entry.grant == nil, entry.proposal.giver == peer,
            grant.answers(entry.proposal), grant.reason?.isFinalForTransaction ?? true
        else { return false }
        return true
    }

    /// Records the grant that settles a proposal.
    public mutating func recordGrant(_ grant: AllocationGrant) {
        outgoing[grant.proposalID]?.grant = grant
    }
}
