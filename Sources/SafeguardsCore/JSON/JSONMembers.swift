/// The members of a top-level JSON object, as ``StrictJSON/members(of:maximumDepth:)`` read them in
/// its one pass: each key unescaped, and each value's kind with the unescaped text of a string or
/// the text of a number as written. Nested objects and arrays are checked but not kept.
///
/// This is what a reader of a small request body needs to fill its fields without a generic
/// decoder; the keys are unique (the strict check refuses a key twice), in the order written.
public struct JSONMembers: Sendable, Equatable {
    /// One member: a key and its value.
    public struct Member: Sendable, Equatable {
        public var key: String
        public var value: Value

        public init(key: String, value: Value) {
            self.key = key
            self.value = value
        }
    }

    /// A member's value.
    public enum Value: Sendable, Equatable {
        /// A string, unescaped.
        case string(String)
        /// A number, as written (`-12`, `0.5`, `1e3`): read it in the width the field needs.
        case number(String)
        case bool(Bool)
        case null
        /// An object, checked but not kept.
        case object
        /// An array, checked but not kept.
        case array
    }

    /// The members in the order they were written.
    public let entries: [Member]

    public init(_ entries: [Member]) {
        self.entries = entries
    }

    /// The value of `key`, `nil` when the object does not have it.
    public subscript(key: String) -> Value? {
        entries.first { $0.key == key }?.value
    }
}

/// The keys of one object seen so far, to refuse a key written twice. Most objects have a few
/// keys, which are compared in a list without hashing; past a handful they go to a set, so a
/// large object costs linear time, not quadratic.
struct SeenKeys {
    private static let listLimit = 8
    private var list: [String] = []
    private var set: Set<String> = []

    /// Adds `key`; whether it was new. Keys are equal as Swift strings are (canonical
    /// equivalence), the equality a decoder's keyed container uses.
    mutating func insert(_ key: String) -> Bool {
        if !set.isEmpty { return set.insert(key).inserted }
        if list.contains(key) { return false }
        if list.count < Self.listLimit {
            list.append(key)
        } else {
            set = Set(list)
            set.insert(key)
            list = []
        }
        return true
    }
}
