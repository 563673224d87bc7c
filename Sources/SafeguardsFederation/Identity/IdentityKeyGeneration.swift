import Crypto
import X509

/// Makes the random parts of an identity (keys and certificate serial numbers) from a
/// caller-supplied generator, so that nothing here reads system randomness on its own.
///
/// Outside tests the generator must be cryptographically secure: pass a
/// `SystemRandomNumberGenerator`. Tests pass a seeded generator to get repeatable keys.
public enum IdentityKeyGeneration {
    /// A new P-256 key for a TLS certificate (the federation CA's or a node's).
    public static func certificateKey(using generator: inout some RandomNumberGenerator) -> P256.Signing.PrivateKey {
        // A random 32-byte scalar is a valid key unless it is zero or not below the group
        // order, which happens with probability under 2^-32: draw again in that case.
        while true {
            if let key = try? P256.Signing.PrivateKey(rawRepresentation: randomBytes(count: 32, using: &generator)) {
                return key
            }
        }
    }

    /// A new Ed25519 key that signs a node's federation messages. Every 32-byte seed is valid.
    public static func signingKey(using generator: inout some RandomNumberGenerator) -> Curve25519.Signing.PrivateKey {
        // Only a seed of the wrong length is refused, and this one is 32 bytes: the fallback to a
        // system-random key is unreachable and is there only to avoid a force-try.
        (try? Curve25519.Signing.PrivateKey(rawRepresentation: randomBytes(count: 32, using: &generator)))
            ?? Curve25519.Signing.PrivateKey()
    }

    /// A random 20-byte positive certificate serial number (RFC 5280 allows at most 20 bytes).
    public static func serialNumber(using generator: inout some RandomNumberGenerator) -> Certificate.SerialNumber {
        var bytes = randomBytes(count: 20, using: &generator)
        // Clear the sign bit so the DER INTEGER needs no leading zero byte (which would make it 21
        // bytes), and set the next one so it has no leading zero byte to drop either.
        bytes[0] = (bytes[0] & 0x7F) | 0x40
        return Certificate.SerialNumber(bytes: bytes)
    }

    /// `count` bytes drawn from `generator`.
    static func randomBytes(count: Int, using generator: inout some RandomNumberGenerator) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(count + 8)
        while bytes.count < count {
            withUnsafeBytes(of: generator.next() as UInt64) { bytes.append(contentsOf: $0) }
        }
        return Array(bytes.prefix(count))
    }
}
