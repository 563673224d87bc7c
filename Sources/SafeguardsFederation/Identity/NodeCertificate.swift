import Crypto
import X509

/// A node's TLS identity: the certificate the federation CA issued for its system id and the
/// matching private key. Written to `<system_id>.pem` and `<system_id>.key`.
public struct NodeCertificate: Sendable {
    /// The system id the certificate names.
    public let systemID: SystemID
    /// The certificate, signed by the federation CA.
    public let certificate: Certificate
    /// The certificate's private key.
    public let privateKey: P256.Signing.PrivateKey

    /// Pairs a certificate with its key, checking that they belong together and reading the
    /// system id from the certificate (``CertificateIdentity``).
    ///
    /// - Throws: ``IdentityError/Code-swift.struct/keyMismatch`` when the key is not the
    ///   certificate's; ``IdentityError/Code-swift.struct/noSystemID`` when it names no system id.
    public init(certificate: Certificate, privateKey: P256.Signing.PrivateKey) throws(IdentityError) {
        guard certificate.publicKey == Certificate.PublicKey(privateKey.publicKey) else {
            throw IdentityError(code: .keyMismatch, message: "the key does not belong to '\(certificate.subject)'")
        }
        self.init(
            systemID: try CertificateIdentity.systemID(of: certificate), certificate: certificate,
            privateKey: privateKey)
    }

    /// Loads a node identity from the PEM texts of `<system_id>.pem` and `<system_id>.key`.
    ///
    /// - Throws: ``IdentityError`` when either text is malformed or they do not belong together.
    public init(certificatePEM: String, privateKeyPEM: String) throws(IdentityError) {
        try self.init(
            certificate: try IdentityPEM.certificate(pem: certificatePEM),
            privateKey: try IdentityPEM.privateKey(pem: privateKeyPEM))
    }

    init(systemID: SystemID, certificate: Certificate, privateKey: P256.Signing.PrivateKey) {
        self.systemID = systemID
        self.certificate = certificate
        self.privateKey = privateKey
    }

    /// The certificate as PEM text.
    ///
    /// - Throws: ``IdentityError/Code-swift.struct/invalidCertificate`` if it cannot be serialized.
    public func certificatePEM() throws(IdentityError) -> String { try IdentityPEM.encode(certificate) }

    /// The private key as PKCS#8 PEM text.
    public var privateKeyPEM: String { IdentityPEM.encode(privateKey) }
}
