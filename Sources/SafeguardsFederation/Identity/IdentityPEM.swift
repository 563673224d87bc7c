import Crypto
import SwiftASN1
import X509

/// Reads and writes the PEM texts of identity files: certificates (`BEGIN CERTIFICATE`) and P-256
/// private keys (PKCS#8, `BEGIN PRIVATE KEY`, the form NIOSSL's `NIOSSLPrivateKey(file:format: .pem)`
/// loads). SEC 1 keys (`BEGIN EC PRIVATE KEY`) are accepted on input too.
public enum IdentityPEM {
    /// The PEM text of `certificate`, ending in a newline.
    ///
    /// - Throws: ``IdentityError/Code-swift.struct/invalidCertificate`` if it cannot be serialized.
    public static func encode(_ certificate: Certificate) throws(IdentityError) -> String {
        do {
            return try certificate.serializeAsPEM().pemString + "\n"
        } catch {
            throw IdentityError(code: .invalidCertificate, message: "cannot serialize certificate", cause: error)
        }
    }

    /// The PKCS#8 PEM text of `key`, ending in a newline.
    public static func encode(_ key: P256.Signing.PrivateKey) -> String {
        key.pemRepresentation + "\n"
    }

    /// The DER bytes of `certificate`.
    ///
    /// - Throws: ``IdentityError/Code-swift.struct/invalidCertificate`` if it cannot be serialized.
    public static func derBytes(of certificate: Certificate) throws(IdentityError) -> [UInt8] {
        do {
            var serializer = DER.Serializer()
            try serializer.serialize(certificate)
            return serializer.serializedBytes
        } catch {
            throw IdentityError(code: .invalidCertificate, message: "cannot serialize certificate", cause: error)
        }
    }

    /// The first certificate in a PEM text.
    ///
    /// - Parameter source: Names the text in error messages (a file path, `"peer certificate"`).
    /// - Throws: ``IdentityError/Code-swift.struct/invalidCertificate`` when it holds no valid certificate.
    public static func certificate(pem text: String, source: String = "certificate") throws(IdentityError)
        -> Certificate
    {
        do {
            guard let document = try PEMDocument.parseMultiple(pemString: text).first else {
                throw IdentityError(code: .invalidCertificate, message: "\(source) holds no PEM block")
            }
            guard document.discriminator == "CERTIFICATE" else {
                throw IdentityError(
                    code: .invalidCertificate,
                    message: "\(source) holds a '\(document.discriminator)' PEM block, not a CERTIFICATE")
            }
            return try Certificate(derEncoded: document.derBytes)
        } catch let error as IdentityError {
            throw error
        } catch {
            throw IdentityError(
                code: .invalidCertificate, message: "\(source) is not a valid certificate", cause: error)
        }
    }

    /// A certificate from DER bytes.
    ///
    /// - Throws: ``IdentityError/Code-swift.struct/invalidCertificate`` when the bytes are not one.
    public static func certificate(der bytes: [UInt8], source: String = "certificate") throws(IdentityError)
        -> Certificate
    {
        do {
            return try Certificate(derEncoded: bytes)
        } catch {
            throw IdentityError(
                code: .invalidCertificate, message: "\(source) is not a valid certificate", cause: error)
        }
    }

    /// A certificate from bytes that are either PEM text or DER, whichever they turn out to be.
    ///
    /// - Throws: ``IdentityError/Code-swift.struct/invalidCertificate`` when they are neither.
    public static func certificate(pemOrDER bytes: [UInt8], source: String = "certificate") throws(IdentityError)
        -> Certificate
    {
        // DER certificates start with a SEQUENCE tag (0x30); PEM starts with text.
        if bytes.first == 0x30 { return try certificate(der: bytes, source: source) }
        return try certificate(pem: String(decoding: bytes, as: UTF8.self), source: source)
    }

    /// A P-256 private key from PKCS#8 or SEC 1 PEM text.
    ///
    /// - Throws: ``IdentityError/Code-swift.struct/invalidKey`` when the text holds no such key.
    public static func privateKey(pem text: String, source: String = "private key") throws(IdentityError)
        -> P256.Signing.PrivateKey
    {
        do {
            return try P256.Signing.PrivateKey(pemRepresentation: text)
        } catch {
            throw IdentityError(
                code: .invalidKey, message: "\(source) is not a PEM P-256 private key (PKCS#8 or SEC 1)", cause: error)
        }
    }
}
