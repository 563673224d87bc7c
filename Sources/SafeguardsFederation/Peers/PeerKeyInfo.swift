import Crypto

/// The part of a peer record that authenticates its frames: who it is and the Ed25519 public key
/// pinned for it. Envelopes are checked against this, never against keys they carry themselves.
public struct PeerKeyInfo: Sendable {
    /// The peer's system id (also the identity its TLS certificate must name).
    public let systemID: SystemID
    /// The peer's pinned signing key.
    public let publicKey: Curve25519.Signing.PublicKey

    /// A peer's pinned identity and key.
    public init(systemID: SystemID, publicKey: Curve25519.Signing.PublicKey) {
        self.systemID = systemID
        self.publicKey = publicKey
    }
}
