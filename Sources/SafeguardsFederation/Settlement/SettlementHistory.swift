import SafeguardsCore

/// Where a ``SettlementMachine`` finds a decided record it no longer holds in memory.
///
/// The machine keeps only what is live (pending transfers, totals, refusal books); an accepted
/// decision and a settled transfer leave memory once the shell says they are durable
/// (``SettlementMachine/forgetDurable(_:)``), and from then on the machine asks this lookup for
/// them. A lookup only reads what was made durable and never changes anything, so the machine
/// stays a function of its inputs: a node answers from SQLite through an index, the simulator from
/// its durable record log, a test from ``RecordedSettlementHistory``.
///
/// A lookup that cannot read throws ``SettlementHistoryUnavailable``; the machine then answers
/// nothing for that event (a peer asks again) rather than take "not found" for an answer, which
/// could decide an id twice.
///
/// Class-bound: the machine holds it as one reference. Held as an opaque existential it would make
/// ``SettlementMachine`` address-only, and calls inside its mutating steps would copy the machine.
public protocol SettlementHistory: AnyObject, Sendable {
    /// The giver's stored decision for `peer`'s id `transactionID`, if it stored one in full.
    /// - Throws: ``SettlementHistoryUnavailable`` when the store cannot be read.
    func decision(from peer: SystemID, _ transactionID: TransferID) throws(SettlementHistoryUnavailable)
        -> IncomingDecision?

    /// A transfer or return this node started and settled, with its stored receipt.
    /// - Throws: ``SettlementHistoryUnavailable`` when the store cannot be read.
    func settled(_ transactionID: TransferID) throws(SettlementHistoryUnavailable) -> OutgoingEntry?
}

/// The store behind a ``SettlementHistory`` could not be read.
public struct SettlementHistoryUnavailable: Error, Sendable, Hashable {
    /// What failed, for the log.
    public var message: String

    /// A failure with its description.
    public init(_ message: String) { self.message = message }
}

/// No history: every record the machine needs is in memory (a machine that never forgets).
public final class NoSettlementHistory: SettlementHistory {
    /// The empty lookup.
    public init() {}

    public func decision(from peer: SystemID, _ transactionID: TransferID) -> IncomingDecision? { nil }

    public func settled(_ transactionID: TransferID) -> OutgoingEntry? { nil }
}
