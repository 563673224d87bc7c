import Synchronization

/// Names one federation connection, incoming or outgoing, for as long as the process runs:
/// numbers are handed out in order and never reused, so an id seen once cannot come back as
/// another connection. The node uses it to charge an offense once per connection.
public struct ConnectionID: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let rawValue: UInt64

    public init(rawValue: UInt64) {
        self.rawValue = rawValue
    }

    private static let counter = Atomic<UInt64>(0)

    /// A number no connection of this process had before.
    public static func next() -> ConnectionID {
        ConnectionID(rawValue: counter.wrappingAdd(1, ordering: .relaxed).newValue)
    }

    public static func < (lhs: ConnectionID, rhs: ConnectionID) -> Bool { lhs.rawValue < rhs.rawValue }

    public var description: String { String(rawValue) }
}
