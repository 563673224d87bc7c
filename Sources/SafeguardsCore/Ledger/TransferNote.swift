/// Why a transfer was made: its reason and metadata, as the journal and the API show them.
///
/// Nearly every transfer a node makes is an agent's reservation or spend, whose reason and
/// metadata follow from two facts: which of the two it is, and the agent. Those are kept as the
/// two facts (``agent(_:_:)``) and the text is built when it is read (by the store, once, when it
/// writes the transfer; by the API when it shows one), so a command builds no reason string and
/// no metadata dictionary, and a transfer held in memory carries neither. Every other transfer
/// keeps its text as given (``text(reason:metadata:)``).
///
/// The caller's part (which API key asked, the caller's own metadata) rides along in a
/// ``CallerNote``, boxed (``CallerBox``) so that an agent's note stays as small as a text note
/// and costs one reference count to copy; a reservation or spend made inside the node has none.
///
/// The form is canonical: ``init(reason:metadata:)`` chooses ``agent(_:_:_:)`` exactly when the
/// text is what that form would show, so two notes are equal when, and only when, their reasons
/// and metadata are.
enum TransferNote: Sendable, Hashable {
    /// `reason`: "reservation by agent ID" or "spend by agent ID"; `metadata`: `kind`, `agent_id`,
    /// `api_key_id` when a key is named, and the caller's metadata (nil: neither).
    case agent(AgentSpending, AgentID, CallerBox?)
    case text(reason: String, metadata: [String: String])

    /// The note showing `reason` and `metadata`, in its compact form when it has one.
    init(reason: String, metadata: [String: String]) {
        if metadata.count >= 2, let kind = metadata[TransferMetadataKey.kind].flatMap(AgentSpending.init(kindValue:)),
            let agent = metadata[TransferMetadataKey.agent], reason == kind.reason(agent: agent)
        {
            guard metadata.count > 2 else {
                self = .agent(kind, AgentID(unchecked: agent), nil)
                return
            }
            var rest = metadata
            rest[TransferMetadataKey.kind] = nil
            rest[TransferMetadataKey.agent] = nil
            let actor = rest.removeValue(forKey: TransferMetadataKey.apiKey)
            if !rest.keys.contains(where: TransferMetadataKey.reserved.contains) {
                self = .spending(kind, AgentID(unchecked: agent), CallerNote(actor: actor, metadata: rest))
                return
            }
        }
        self = .text(reason: reason, metadata: metadata)
    }

    /// An agent's reservation or spend asked for by `caller`.
    static func spending(_ kind: AgentSpending, _ agent: AgentID, _ caller: CallerNote) -> TransferNote {
        .agent(kind, agent, caller.actor == nil && caller.metadata.isEmpty ? nil : CallerBox(caller))
    }

    var reason: String {
        switch self {
        case .agent(let kind, let agent, _): kind.reason(agent: agent.rawValue)
        case .text(let reason, _): reason
        }
    }

    var metadata: [String: String] {
        switch self {
        case .agent(let kind, let agent, let caller):
            var metadata = caller?.note.metadata ?? [:]
            metadata[TransferMetadataKey.kind] = kind.transferKind.rawValue
            metadata[TransferMetadataKey.agent] = agent.rawValue
            if let actor = caller?.note.actor { metadata[TransferMetadataKey.apiKey] = actor }
            return metadata
        case .text(_, let metadata): return metadata
        }
    }

    /// `metadata[key]`, without building the dictionary of a compact note.
    func metadataValue(_ key: String) -> String? {
        switch self {
        case .agent(let kind, let agent, let caller):
            switch key {
            case TransferMetadataKey.kind: kind.transferKind.rawValue
            case TransferMetadataKey.agent: agent.rawValue
            case TransferMetadataKey.apiKey: caller?.note.actor
            default: caller?.note.metadata[key]
            }
        case .text(_, let metadata): metadata[key]
        }
    }
}

/// Who asked for an agent's reservation or spend, and what the caller said about it (the model,
/// token counts, an operation name...). Kept beside the transfer and shown in its metadata.
public struct CallerNote: Sendable, Hashable {
    /// The id of the API key that asked (`api_key_id` in the metadata), or nil when none is named.
    public var actor: String?
    /// The caller's own metadata; never one of ``TransferMetadataKey/reserved``.
    public var metadata: [String: String]

    public init(actor: String? = nil, metadata: [String: String] = [:]) {
        self.actor = actor
        self.metadata = metadata
    }

    /// No key named and no metadata: a reservation or spend made inside the node.
    public static let none = CallerNote()
}

/// A ``CallerNote`` held by reference in a ``TransferNote``; compared and hashed by its note.
final class CallerBox: Sendable, Hashable {
    let note: CallerNote

    init(_ note: CallerNote) {
        self.note = note
    }

    static func == (left: CallerBox, right: CallerBox) -> Bool { left === right || left.note == right.note }

    func hash(into hasher: inout Hasher) { hasher.combine(note) }
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
