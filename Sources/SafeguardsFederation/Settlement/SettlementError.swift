import SafeguardsCore

/// Why the requester side refused to start a transfer or return. Nothing was stored or sent.
public enum SettlementError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The id is already used here for a different request.
    case conflict(TransferID)
    /// The amount is zero or negative.
    case invalidAmount(Amount)
    /// A node cannot ask itself.
    case selfAsPeer(SystemID)
    /// A return larger than what was drawn from that giver and not yet returned or being returned.
    case exceedsDrawn(requested: Amount, available: Amount)
    /// Checked arithmetic left the representable range.
    case amountOverflow
    /// The id may be a settled one, and the store that holds settled ones could not be read.
    case historyUnavailable(TransferID)

    public var description: String {
        switch self {
        case .conflict(let id): return "transaction id '\(id)' is already used for a different request"
        case .invalidAmount(let amount): return "amount \(amount) must be positive"
        case .selfAsPeer(let id): return "'\(id)' is this node; a node cannot ask itself for budget"
        case .exceedsDrawn(let requested, let available):
            return "cannot return \(requested): only \(available) drawn and not already returned"
        case .amountOverflow: return "the amount is outside the representable range"
        case .historyUnavailable(let id): return "the settled transactions could not be read to check '\(id)'; try again"
        }
    }
}
