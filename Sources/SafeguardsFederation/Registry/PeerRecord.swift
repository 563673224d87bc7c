import Crypto
import Foundation
import SafeguardsCore

/// What a node knows about one peer: where it is, the key that must sign its messages, how far
/// it is trusted, and how it has behaved. The original framework's
/// `register_remote_system(system_id, api_base_url, api_key, trust_level)`: the address stands
/// for the base URL, and the certificate (which must name `systemID`) together with the pinned
/// signing key replace the shared API key.
public struct PeerRecord: Sendable, Hashable {
    public let systemID: SystemID
    /// `host:port` of the peer's federation listener.
    public var address: String
    /// The peer's Ed25519 public key, raw 32 bytes.
    public var publicKey: [UInt8]
    public var trust: TrustState
    public var lastContact: Timestamp?
    /// Where the record came from: the node config (re-applied at every start) or the API.
    public var source: Source
    public let createdAt: Timestamp

    /// Where a peer record was defined.
    public enum Source: String, Sendable, Hashable, Codable {
        case config
        case api
    }

    public init(
        systemID: SystemID, address: String, publicKey: [UInt8], trust: TrustState, lastContact: Timestamp? = nil,
        source: Source, createdAt: Timestamp
    ) {
        self.systemID = systemID
        self.address = address
        self.publicKey = publicKey
        self.trust = trust
        self.lastContact = lastContact
        self.source = source
        self.createdAt = createdAt
    }

    /// The pinned key as a verifier key, or `nil` if the stored bytes are not a valid key.
    public var signingKey: Curve25519.Signing.PublicKey? {
        try? Curve25519.Signing.PublicKey(rawRepresentation: publicKey)
    }

    /// The pinned key in base64, as in a `.signing.pub` file and the API.
    public var publicKeyBase64: String { Data(publicKey).base64EncodedString() }
}
