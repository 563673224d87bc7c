import Crypto
import Foundation

/// The Ed25519 keys that sign a node's federation messages, and their files.
///
/// - `<system_id>.signing.key` (mode 0600): one line, the base64 of the key's 32-byte raw
///   representation (its seed).
/// - `<system_id>.signing.pub`: one line, the base64 of the 32-byte raw public key. The same text
///   is what a peer record pins (`federation.peers[].public_key`).
///
/// Together with the node's certificate this replaces the original framework's per-peer shared
/// API key: the certificate proves who is on the channel, the signature who wrote the message.
public enum SigningKeys {
    /// Length of a raw Ed25519 private key (seed) and of a raw public key, in bytes.
    public static let rawKeyLength = 32

    /// The file text of a private key: its base64 and a newline.
    public static func encode(_ key: Curve25519.Signing.PrivateKey) -> String {
        key.rawRepresentation.base64EncodedString() + "\n"
    }

    /// The file text of a public key: its base64 and a newline.
    public static func encode(_ key: Curve25519.Signing.PublicKey) -> String {
        key.rawRepresentation.base64EncodedString() + "\n"
    }

    /// A private key from the text of a `.signing.key` file (surrounding whitespace is ignored).
    ///
    /// - Parameter source: Names the text in error messages (normally the file path).
    /// - Throws: ``IdentityError/Code-swift.struct/invalidKey`` when the text is not base64 or does
    ///   not decode to exactly 32 bytes.
    public static func privateKey(base64 text: String, source: String = "signing key") throws(IdentityError)
        -> Curve25519.Signing.PrivateKey
    {
        let raw = try rawKey(base64: text, source: source)
        do {
            return try Curve25519.Signing.PrivateKey(rawRepresentation: raw)
        } catch {
            throw IdentityError(code: .invalidKey, message: "\(source) is not an Ed25519 private key", cause: error)
        }
    }

    /// A public key from the text of a `.signing.pub` file or a peer record's `public_key`.
    ///
    /// - Throws: ``IdentityError/Code-swift.struct/invalidKey`` when the text is not base64 or does
    ///   not decode to exactly 32 bytes.
    public static func publicKey(base64 text: String, source: String = "signing public key") throws(IdentityError)
        -> Curve25519.Signing.PublicKey
    {
        let raw = try rawKey(base64: text, source: source)
        do {
            return try Curve25519.Signing.PublicKey(rawRepresentation: raw)
        } catch {
            throw IdentityError(code: .invalidKey, message: "\(source) is not an Ed25519 public key", cause: error)
        }
    }

    /// Loads the private key in the file at `path`.
    ///
    /// - Throws: ``IdentityError`` naming `path` when it cannot be read or holds no valid key.
    public static func loadPrivateKey(at path: String) throws(IdentityError) -> Curve25519.Signing.PrivateKey {
        try privateKey(base64: try IdentityFiles.readText(at: path), source: path)
    }

    /// Loads the public key in the file at `path`.
    ///
    /// - Throws: ``IdentityError`` naming `path` when it cannot be read or holds no valid key.
    public static func loadPublicKey(at path: String) throws(IdentityError) -> Curve25519.Signing.PublicKey {
        try publicKey(base64: try IdentityFiles.readText(at: path), source: path)
    }

    /// Writes `key` to `path`, readable by its owner only (0600).
    ///
    /// - Throws: ``IdentityError`` when the file exists and `overwrite` is false, or cannot be written.
    public static func save(_ key: Curve25519.Signing.PrivateKey, to path: String, overwrite: Bool)
        throws(IdentityError)
    {
        try IdentityFiles.write(encode(key), to: path, access: .ownerOnly, overwrite: overwrite)
    }

    /// Writes `key` to `path`, readable by everyone (0644).
    ///
    /// - Throws: ``IdentityError`` when the file exists and `overwrite` is false, or cannot be written.
    public static func save(_ key: Curve25519.Signing.PublicKey, to path: String, overwrite: Bool) throws(IdentityError)
    {
        try IdentityFiles.write(encode(key), to: path, access: .publicReadable, overwrite: overwrite)
    }

    /// The 32 raw bytes that `text` is the base64 of.
    private static func rawKey(base64 text: String, source: String) throws(IdentityError) -> Data {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else {
            throw IdentityError(code: .invalidKey, message: "\(source) is empty; expected one line of base64")
        }
        if trimmed.hasPrefix("-----BEGIN") {
            throw IdentityError(
                code: .invalidKey,
                message: "\(source) is PEM; expected one line of base64 of a 32-byte raw Ed25519 key")
        }
        guard let raw = Data(base64Encoded: trimmed) else {
            throw IdentityError(code: .invalidKey, message: "\(source) is not valid base64")
        }
        guard raw.count == rawKeyLength else {
            throw IdentityError(
                code: .invalidKey,
                message: "\(source) decodes to \(raw.count) bytes; an Ed25519 key is \(rawKeyLength) bytes")
        }
        return raw
    }
}
