import Crypto
import Foundation
import SafeguardsCore

/// A fingerprint of everything a node holds: how many origins, and a hash of every
/// `(origin, generation, version)`. Two nodes with the same view hold the same version of every
/// record, so an exchange between them needs to send nothing more than this.
///
/// It stands in for the full digest while nothing changes: at 128 origins a full digest is about
/// 5 KB, a view about 70 bytes. The hash is the exclusive or of one SHA-256 (its first 16 bytes)
/// per origin, so a node keeps it up to date in constant time per change (see ``Accumulator``)
/// instead of hashing its whole view every exchange. A view proves nothing: a peer may claim
/// any hash. A hash that matches ours only makes us send nothing to that peer (it would harm
/// itself alone), and one that matches nothing makes us fall back to a full exchange.
public struct GossipView: Codable, Sendable, Hashable, CustomStringConvertible {
    /// The number of origins held.
    public var count: Int
    /// The hash as 32 lowercase hex characters.
    public var hash: String

    /// The length of ``hash`` in characters; a view with any other is malformed.
    public static let hashLength = 32

    /// The view of a node holding `digest`.
    public init(of digest: [SystemID: RecordVersion]) {
        var accumulator = Accumulator()
        for (origin, version) in digest { accumulator.toggle(origin, version) }
        self = accumulator.view(count: digest.count)
    }

    init(count: Int, hash: String) {
        self.count = count
        self.hash = hash
    }

    /// The exclusive or of every entry's hash: adding an entry and removing it are the same
    /// toggle, so replacing an origin's version costs two.
    public struct Accumulator: Sendable, Hashable {
        private var high: UInt64 = 0
        private var low: UInt64 = 0

        public init() {}

        /// Adds `origin` at `version` to the view, or removes it if it was there.
        public mutating func toggle(_ origin: SystemID, _ version: RecordVersion) {
            let digest = Array(SHA256.hash(data: Data("\(origin.rawValue) \(version)\n".utf8)))
            high ^= digest[0..<8].reduce(0) { $0 << 8 | UInt64($1) }
            low ^= digest[8..<16].reduce(0) { $0 << 8 | UInt64($1) }
        }

        /// The view of `count` origins whose entries were toggled in.
        public func view(count: Int) -> GossipView {
            let hex = String(high, radix: 16)
            let lowHex = String(low, radix: 16)
            return GossipView(
                count: count,
                hash: String(repeating: "0", count: 16 - hex.count) + hex + String(repeating: "0", count: 16 - lowHex.count)
                    + lowHex)
        }
    }

    enum CodingKeys: String, CodingKey { case count, hash }

    /// Decodes a view and refuses one that cannot be a view: a negative or impossible count, or
    /// a hash that is not 32 lowercase hex characters.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        count = try container.decode(Int.self, forKey: .count)
        hash = try container.decode(String.self, forKey: .hash)
        guard (0...GossipDigestBody.maximumOrigins).contains(count) else {
            throw DecodingError.dataCorruptedError(
                forKey: .count, in: container,
                debugDescription: "a view counts \(count) origins; at most \(GossipDigestBody.maximumOrigins)")
        }
        guard hash.utf8.count == Self.hashLength, hash.utf8.allSatisfy(Self.isLowercaseHex) else {
            throw DecodingError.dataCorruptedError(
                forKey: .hash, in: container, debugDescription: "a view hash is \(Self.hashLength) lowercase hex characters")
        }
    }

    private static func isLowercaseHex(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte)
    }

    public var description: String { "\(count)@\(hash.prefix(8))" }
}
