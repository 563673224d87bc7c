import Crypto
import Foundation
import SafeguardsCore

/// Where a record stands in its origin's history: a later generation (a restart) always wins;
/// within a generation, the higher version wins.
public struct RecordVersion: Codable, Sendable, Hashable, Comparable, CustomStringConvertible {
    public var generation: UInt64
    public var version: UInt64

    public init(generation: UInt64, version: UInt64) {
        self.generation = generation
        self.version = version
    }

    public static func < (lhs: RecordVersion, rhs: RecordVersion) -> Bool {
        (lhs.generation, lhs.version) < (rhs.generation, rhs.version)
    }

    /// `g<generation>/v<version>` (`g1764755200123/v42`): two counters, written so that nobody
    /// reads them as one decimal number.
    public var description: String { "g\(generation)/v\(version)" }
}

/// A compact fingerprint of the settled transactions between two nodes, the same on both sides
/// when they agree: how many, and a hash of `(requester, giver, kind, id, status, amount)` lines.
public struct SettlementDigest: Codable, Sendable, Hashable {
    public var count: Int
    public var hash: String

    public static let empty = SettlementDigest(lines: [])

    /// The digest of `lines`, in any order.
    public init(lines: [String]) {
        var hasher = SHA256()
        for line in lines.sorted() { hasher.update(data: Data((line + "\n").utf8)) }
        self.count = lines.count
        self.hash = hasher.finalize().prefix(12).map { String(format: "%02x", $0) }.joined()
    }
}

/// What a node tells the federation about itself.
public struct GossipSummary: Codable, Sendable, Hashable {
    /// Available budget per pool, by pool name.
    public var balances: [String: Amount]
    /// What each peer drew from the credit line this node gives it and has not returned.
    public var creditGiven: [String: Amount]
    /// What this node drew from each peer and has not returned.
    public var creditTaken: [String: Amount]
    /// Per peer: the digest of the transactions settled between this node and that peer.
    public var settlementDigests: [String: SettlementDigest]
    /// Transfers this node started that still wait for their giver.
    public var pendingTransfers: Int

    public init(
        balances: [String: Amount] = [:], creditGiven: [String: Amount] = [:], creditTaken: [String: Amount] = [:],
        settlementDigests: [String: SettlementDigest] = [:], pendingTransfers: Int = 0
    ) {
        self.balances = balances
        self.creditGiven = creditGiven
        self.creditTaken = creditTaken
        self.settlementDigests = settlementDigests
        self.pendingTransfers = pendingTransfers
    }

    enum CodingKeys: String, CodingKey {
        case balances
        case creditGiven = "credit_given"
        case creditTaken = "credit_taken"
        case settlementDigests = "settlement_digests"
        case pendingTransfers = "pending_transfers"
    }
}

/// The one state record a node owns. Only its origin writes it; everyone else relays it with the
/// origin's signature.
public struct GossipRecord: Codable, Sendable, Hashable {
    public var origin: SystemID
    public var generation: UInt64
    public var version: UInt64
    /// Counts the origin's gossip rounds; a peer whose heartbeat stops advancing is suspected.
    public var heartbeat: UInt64
    public var summary: GossipSummary

    public init(origin: SystemID, generation: UInt64, version: UInt64, heartbeat: UInt64, summary: GossipSummary) {
        self.origin = origin
        self.generation = generation
        self.version = version
        self.heartbeat = heartbeat
        self.summary = summary
    }

    public var recordVersion: RecordVersion { RecordVersion(generation: generation, version: version) }

    /// The exact bytes the origin signs: JSON with sorted keys.
    public func signingBytes() -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return (try? encoder.encode(self)).map(Array.init) ?? []
    }
}

/// A record as it travels: the origin's exact bytes and its Ed25519 signature over them. A relay
/// forwards both unchanged, so anyone holding the origin's pinned key can check the record.
public struct SignedGossipRecord: Codable, Sendable, Hashable {
    /// The record's JSON, as the origin signed it.
    public var body: Data
    public var signature: Data

    /// The bytes a record signature starts with, before the body: like
    /// ``Envelope/signatureDomain``, it keeps a record signature from standing for anything else
    /// the same key signs.
    public static let signatureDomain = Data("safeguards.gossip.record.v1".utf8) + [0]

    public init(body: Data, signature: Data) {
        self.body = body
        self.signature = signature
    }

    /// Signs `record` with `key` (a node signs only its own record).
    public init(signing record: GossipRecord, with key: Curve25519.Signing.PrivateKey) {
        self.body = Data(record.signingBytes())
        self.signature = (try? key.signature(for: Self.signatureDomain + body)) ?? Data()
    }

    /// The record inside, if the body is strict JSON (see ``StrictJSON``) and decodes: a relayed
    /// body with a key twice would read differently to a decoder that keeps the first.
    public func decoded() -> GossipRecord? {
        guard (try? StrictJSON.validate(body)) != nil else { return nil }
        return try? JSONDecoder().decode(GossipRecord.self, from: body)
    }

    /// Whether the signature is `key`'s over the body.
    public func isSigned(by key: Curve25519.Signing.PublicKey) -> Bool {
        key.isValidSignature(signature, for: Self.signatureDomain + body)
    }

    /// The bytes this record takes on the wire (body and signature, base64 in JSON).
    public var wireSize: Int { (body.count + signature.count) * 4 / 3 + 32 }
}
