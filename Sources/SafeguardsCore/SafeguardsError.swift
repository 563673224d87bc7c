/// An error a caller of the node can act on: a stable ``Code`` (the API's `code` field), a
/// message for people, and context. Every refusal leaves state unchanged.
public struct SafeguardsError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A stable, extensible error code. Raw values are part of the HTTP API contract.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// The amount is malformed, not positive where it must be, or out of range.
        public static let invalidAmount = Code(rawValue: "invalid_amount")
        /// The request is malformed or breaks a rule of its own (bad id, priority out of range...).
        public static let invalidRequest = Code(rawValue: "invalid_request")
        /// The pool, agent, reservation or transfer does not exist.
        public static let notFound = Code(rawValue: "not_found")
        /// A duplicate name or id, a reused idempotency key, or a state that forbids the change.
        public static let conflict = Code(rawValue: "conflict")
        /// Not enough budget available for the change.
        public static let insufficientBudget = Code(rawValue: "insufficient_budget")
        /// The node cannot make the change durable now (storage failed).
        public static let unavailable = Code(rawValue: "unavailable")
        /// Over a rate limit; ``SafeguardsError/retryAfterSeconds`` says when to ask again.
        public static let rateLimited = Code(rawValue: "rate_limited")
        /// The agent or pool is closed: it takes no reservations, spends or budget changes.
        public static let closed = Code(rawValue: "closed")
        /// The agent or pool cannot be closed while reservations against it are pending.
        public static let reservationsPending = Code(rawValue: "reservations_pending")
    }

    public let code: Code
    public let message: String
    /// For ``Code/rateLimited``: seconds until the same request would be admitted.
    public var retryAfterSeconds: Int?

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }

    public static func invalidAmount(_ message: String) -> SafeguardsError { .init(.invalidAmount, message) }
    public static func invalidRequest(_ message: String) -> SafeguardsError { .init(.invalidRequest, message) }
    public static func notFound(_ message: String) -> SafeguardsError { .init(.notFound, message) }
    public static func conflict(_ message: String) -> SafeguardsError { .init(.conflict, message) }
}

extension SafeguardsError {
    /// The ledger's refusal in the caller's terms.
    public init(_ error: LedgerError) {
        switch error.root {
        case .insufficientFunds(let account, let available, let requested):
            self.init(
                .insufficientBudget,
                "\(LedgerAccounts.describe(account)) has \(available) available; \(requested) was requested")
        case .amountNotPositive, .postExceedsPending, .overflow:
            self.init(.invalidAmount, error.root.description)
        case .accountNotFound, .transferNotFound:
            self.init(.notFound, error.root.description)
        case .transferIDConflict, .accountAlreadyExists, .notPending, .pendingExpired, .notYetExpired:
            self.init(.conflict, error.root.description)
        case .sameAccount, .linkedBatchFailed:
            self.init(.invalidRequest, error.root.description)
        case .checkpointMismatch:
            self.init(.unavailable, error.root.description)
        }
    }
}
