import SafeguardsCore

/// Identifies a system, and so its node, in the federation (`system_a`). It is the name its
/// certificate carries (subject common name and DNS SAN) and the `sender` of its envelopes.
public struct SystemID: Identifier {
    public static let kind = "system id"
    public let rawValue: String
    public init(unchecked rawValue: String) { self.rawValue = rawValue }
}
