/// Why a string is not a valid identifier.
public struct IdentifierError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of identifier was expected (`"agent id"`, `"transfer id"`...).
    public let kind: String
    /// The text that was refused (cut to 64 characters).
    public let text: String
    /// The most characters an identifier of this kind may have.
    public let maxLength: Int

    public init(kind: String, text: String, maxLength: Int = IdentifierRules.maxLength) {
        self.kind = kind
        self.text = text
        self.maxLength = maxLength
    }

    public var description: String {
        "'\(text.prefix(64))' is not a valid \(kind): use 1-\(maxLength) characters "
            + "from A-Z, a-z, 0-9, '_', '-', '.', ':'"
    }
}

/// The shared rules for every textual identifier: short, printable, safe in URLs, logs and SQL.
public enum IdentifierRules {
    public static let maxLength = 128

    /// Whether `text` is 1...`maxLength` (128 unless a kind says otherwise) characters of `[A-Za-z0-9_.:-]`.
    public static func isValid(_ text: String, maxLength: Int = maxLength) -> Bool {
        let bytes = text.utf8
        guard !bytes.isEmpty, bytes.count <= maxLength else { return false }
        return bytes.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "-"), UInt8(ascii: "."),
                UInt8(ascii: ":"):
                return true
            default:
                return false
            }
        }
    }
}

/// A typed identifier over a validated string.
public protocol Identifier: Hashable, Sendable, Comparable, Codable, CustomStringConvertible {
    /// Human name of the kind of id, used in error messages.
    static var kind: String { get }
    /// The most characters an id of this kind may have; ``IdentifierRules/maxLength`` unless the kind says otherwise.
    static var maxLength: Int { get }
    var rawValue: String { get }
    /// Wraps a string already known to be valid.
    init(unchecked rawValue: String)
}

extension Identifier {
    public static var maxLength: Int { IdentifierRules.maxLength }

    /// Validates and wraps `rawValue`; throws ``IdentifierError`` when it breaks ``IdentifierRules``.
    public init(_ rawValue: String) throws(IdentifierError) {
        guard IdentifierRules.isValid(rawValue, maxLength: Self.maxLength) else {
            throw IdentifierError(kind: Self.kind, text: rawValue, maxLength: Self.maxLength)
        }
        self.init(unchecked: rawValue)
    }

    public var description: String { rawValue }
    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        do {
            try self.init(text)
        } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.description))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

/// Identifies a ledger transfer. Unique forever within a node; reused only by retries of the same transfer.
///
/// A transfer id may be longer than the ids a caller chooses: the node builds ids from an idempotency
/// key (at most 128 characters) with prefixes and suffixes, `spd:KEY`, `fed:tx:KEY`, `rsv:KEY:gpu`,
/// and each must still read back as a valid id (`GET /v1/transfers/spd:KEY`, a transaction id on the wire).
public struct TransferID: Identifier {
    public static let kind = "transfer id"
    public static let maxLength = 256
    public let rawValue: String
    public init(unchecked rawValue: String) { self.rawValue = rawValue }
}

/// Identifies a ledger account (a pool, an agent, a spent sink, the funding account).
public struct AccountID: Identifier {
    public static let kind = "account id"
    public let rawValue: String
    public init(unchecked rawValue: String) { self.rawValue = rawValue }
}

/// Identifies a budget pool.
public struct PoolID: Identifier {
    public static let kind = "pool id"
    public let rawValue: String
    public init(unchecked rawValue: String) { self.rawValue = rawValue }
}

/// Identifies an agent (chosen by the caller when the agent is registered).
public struct AgentID: Identifier {
    public static let kind = "agent id"
    public let rawValue: String
    public init(unchecked rawValue: String) { self.rawValue = rawValue }
}

/// A caller-chosen key that makes a mutating request safe to retry.
public struct IdempotencyKey: Identifier {
    public static let kind = "idempotency key"
    public let rawValue: String
    public init(unchecked rawValue: String) { self.rawValue = rawValue }
}
