/// Why a transfer was made: its reason and metadata, as the journal and the API show them.
///
/// Nearly every transfer a node makes is an agent's reservation or spend, whose reason and
/// metadata follow from two facts: which of the two it is, and the agent. Those are kept as the
/// two facts (``agent(_:_:)``) and the text is built when it is read (by the store, once, when it
/// writes the transfer; by the API when it shows one), so a command builds no reason string and
/// no metadata dictionary, and a transfer held in memory carries neither. Every other transfer
/// keeps its text as given (``text(reason:metadata:)``).
///
/// The form is canonical: ``init(reason:metadata:)`` chooses ``agent(_:_:)`` exactly when the
/// text is what that form would show, so two notes are equal when, and only when, their reasons
/// and metadata are.
enum TransferNote: Sendable, Hashable {
    /// `reason`: "reservation by agent ID" or "spend by agent ID"; `metadata`: `kind` and `agent_id`.
    case agent(AgentSpending, AgentID)
    case text(reason: String, metadata: [String: String])

    /// The note showing `reason` and `metadata`, in its compact form when it has one.
    init(reason: String, metadata: [String: String]) {
        if metadata.count == 2, let kind = metadata[TransferMetadataKey.kind].flatMap(AgentSpending.init(kindValue:)),
            let agent = metadata[TransferMetadataKey.agent], reason == kind.reason(agent: agent)
        {
            self = .agent(kind, AgentID(unchecked: agent))
        } else {
            self = .text(reason: reason, metadata: metadata)
        }
    }

    var reason: String {
        switch self {
        case .agent(let kind, let agent): kind.reason(agent: agent.rawValue)
        case .text(let reason, _): reason
        }
    }

    var metadata: [String: String] {
        switch self {
        case .agent(let kind, let agent):
            [TransferMetadataKey.kind: kind.transferKind.rawValue, TransferMetadataKey.agent: agent.rawValue]
        case .text(_, let metadata): metadata
        }
    }

    /// `metadata[key]`, without building the dictionary of a compact note.
    func metadataValue(_ key: String) -> String? {
        switch self {
        case .agent(let kind, let agent):
            switch key {
            case TransferMetadataKey.kind: kind.transferKind.rawValue
            case TransferMetadataKey.agent: agent.rawValue
            default: nil
            }
        case .text(_, let metadata): metadata[key]
        }
    }
}

/// The two transfers an agent makes from its budget to its spent sink.
enum AgentSpending: Sendable, Hashable {
    /// A pending transfer, settled or released later (``TransferKind/reservation``).
    case reservation
    /// A single-phase transfer (``TransferKind/spend``).
    case spend

    init?(kindValue: String) {
        switch kindValue {
        case TransferKind.reservation.rawValue: self = .reservation
        case TransferKind.spend.rawValue: self = .spend
        default: return nil
        }
    }

    var transferKind: TransferKind {
        switch self {
        case .reservation: .reservation
        case .spend: .spend
        }
    }

    func reason(agent: String) -> String {
        switch self {
        case .reservation: "reservation by agent \(agent)"
        case .spend: "spend by agent \(agent)"
        }
    }
}
