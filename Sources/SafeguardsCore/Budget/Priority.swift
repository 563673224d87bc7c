/// How important an agent is. Reallocation policies weigh agents by it.
public enum AgentPriority: String, Sendable, Hashable, Codable, CodingKeyRepresentable, CaseIterable, Comparable {
    case critical = "CRITICAL"
    case high = "HIGH"
    case medium = "MEDIUM"
    case low = "LOW"
    case minimal = "MINIMAL"

    /// Larger is more important: CRITICAL 5 ... MINIMAL 1.
    public var rank: Int {
        switch self {
        case .critical: 5
        case .high: 4
        case .medium: 3
        case .low: 2
        case .minimal: 1
        }
    }

    public static func < (lhs: AgentPriority, rhs: AgentPriority) -> Bool { lhs.rank < rhs.rank }

    /// Parses `"HIGH"`, `"high"`; throws with the accepted words named.
    public init(parsing text: String) throws(SafeguardsError) {
        guard let value = AgentPriority(rawValue: text.uppercased()) else {
            throw .invalidRequest(
                "priority '\(text.prefix(32))' is not one of \(AgentPriority.allCases.map(\.rawValue).joined(separator: ", "))"
            )
        }
        self = value
    }
}

/// A pool's priority: 1 (least important) to 10 (most important).
public struct PoolPriority: Sendable, Hashable, Codable, Comparable, CustomStringConvertible {
    public static let range = 1...10
    public let value: Int

    public init(_ value: Int) throws(SafeguardsError) {
        guard PoolPriority.range.contains(value) else {
            throw .invalidRequest("pool priority \(value) is outside 1-10 (10 is most important)")
        }
        self.value = value
    }

    public static func < (lhs: PoolPriority, rhs: PoolPriority) -> Bool { lhs.value < rhs.value }
    public var description: String { String(value) }

    public init(from decoder: any Decoder) throws {
        let value = try decoder.singleValueContainer().decode(Int.self)
        do { try self.init(value) } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.message))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(value)
    }
}
