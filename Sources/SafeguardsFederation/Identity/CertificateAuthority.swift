import Crypto
import Foundation
import SafeguardsCore
import SwiftASN1
import X509

/// The federation's certificate authority: a self-signed P-256 certificate and its key. It issues
/// each node's TLS certificate (``NodeCertificate``); every node trusts exactly this CA for its
/// peers, so holding a certificate it signed is what admits a node to the federation.
///
/// Time and randomness are parameters: nothing here reads the clock or system randomness.
public struct CertificateAuthority: Sendable {
    /// The subject common name of the development CA in `Certs/`.
    public static let developmentName = "Safeguards development federation CA"

    /// The CA's self-signed certificate: the trust root that nodes are configured with (`federation.ca`).
    public let certificate: Certificate
    /// The CA's signing key. Only `safeguards certs issue` needs it; nodes never do.
    public let privateKey: P256.Signing.PrivateKey

    /// Pairs a CA certificate with its key, checking that they belong together and that the
    /// certificate is a CA certificate.
    ///
    /// - Throws: ``IdentityError/Code-swift.struct/keyMismatch`` when `privateKey` is not the key of
    ///   `certificate`; ``IdentityError/Code-swift.struct/notCertificateAuthority`` when the certificate
    ///   lacks `basicConstraints` CA.
    public init(certificate: Certificate, privateKey: P256.Signing.PrivateKey) throws(IdentityError) {
        guard certificate.publicKey == Certificate.PublicKey(privateKey.publicKey) else {
            throw IdentityError(code: .keyMismatch, message: "the CA key does not belong to the CA certificate")
        }
        let constraints: BasicConstraints?
        do {
            constraints = try certificate.extensions.basicConstraints
        } catch {
            throw IdentityError(
                code: .invalidCertificate, message: "the CA certificate's basicConstraints is malformed", cause: error)
        }
        guard case .isCertificateAuthority = constraints else {
            throw IdentityError(
                code: .notCertificateAuthority, message: "'\(certificate.subject)' is not a CA certificate")
        }
        self.certificate = certificate
        self.privateKey = privateKey
    }

    /// Loads a CA from the PEM texts of `ca.pem` and `ca.key`.
    ///
    /// - Throws: ``IdentityError`` when either text is malformed or they do not belong together.
    public init(certificatePEM: String, privateKeyPEM: String) throws(IdentityError) {
        try self.init(
            certificate: try IdentityPEM.certificate(pem: certificatePEM, source: "CA certificate"),
            privateKey: try IdentityPEM.privateKey(pem: privateKeyPEM, source: "CA key"))
    }

    /// Creates a new self-signed federation CA.
    ///
    /// The certificate has `basicConstraints` CA with path length 0 (it signs node certificates
    /// only, never another CA) and `keyUsage` keyCertSign and cRLSign, both critical.
    ///
    /// - Parameters:
    ///   - name: The subject common name.
    ///   - key: The CA's key (``IdentityKeyGeneration/certificateKey(using:)``).
    ///   - notBefore: Start of validity (wall-clock time: certificates know no other).
    ///   - notAfter: End of validity; must be later than `notBefore`.
    ///   - generator: Supplies the random serial number.
    /// - Throws: ``IdentityError/Code-swift.struct/invalidValidity`` for an empty validity period,
    ///   ``IdentityError/Code-swift.struct/issuanceFailed`` if the certificate cannot be built.
    public static func create(
        name: String = developmentName,
        key: P256.Signing.PrivateKey,
        notBefore: Date,
        notAfter: Date,
        using generator: inout some RandomNumberGenerator
    ) throws(IdentityError) -> CertificateAuthority {
        guard notBefore < notAfter else {
            throw IdentityError(code: .invalidValidity, message: "the CA's validity ends before it starts")
        }
        let serialNumber = IdentityKeyGeneration.serialNumber(using: &generator)
        let certificate: Certificate
        do {
            let subject = try DistinguishedName { CommonName(name) }
            let extensions = try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                Critical(KeyUsage(keyCertSign: true, cRLSign: true))
                SubjectKeyIdentifier(keyIdentifier: keyIdentifier(of: key.publicKey))
            }
            certificate = try Certificate(
                version: .v3, serialNumber: serialNumber, publicKey: .init(key.publicKey),
                notValidBefore: notBefore, notValidAfter: notAfter, issuer: subject, subject: subject,
                signatureAlgorithm: .ecdsaWithSHA256, extensions: extensions, issuerPrivateKey: .init(key))
        } catch {
            throw IdentityError(code: .issuanceFailed, message: "cannot create CA '\(name)'", cause: error)
        }
        return try CertificateAuthority(certificate: certificate, privateKey: key)
    }

    /// Issues the TLS certificate of the node of `systemID`, signed by this CA.
    ///
    /// The certificate names the system id as its subject common name and its only DNS subject
    /// alternative name, carries extendedKeyUsage serverAuth and clientAuth (each node both
    /// accepts and dials peers over mutual TLS), keyUsage digitalSignature, and a random serial.
    ///
    /// - Parameters:
    ///   - systemID: The node's system id.
    ///   - key: The node's TLS key (``IdentityKeyGeneration/certificateKey(using:)``).
    ///   - notBefore: Start of validity.
    ///   - notAfter: End of validity. A node certificate cannot outlive its CA, so a later date is
    ///     cut to the CA's own end of validity.
    ///   - generator: Supplies the random serial number.
    /// - Throws: ``IdentityError/Code-swift.struct/invalidValidity`` when the (cut) validity period is
    ///   empty, ``IdentityError/Code-swift.struct/issuanceFailed`` if the certificate cannot be built.
    public func issueNodeCertificate(
        for systemID: SystemID,
        key: P256.Signing.PrivateKey,
        notBefore: Date,
        notAfter: Date,
        using generator: inout some RandomNumberGenerator
    ) throws(IdentityError) -> NodeCertificate {
        let issued = try issue(
            commonName: systemID.rawValue, alternativeNames: [.dnsName(systemID.rawValue)],
            usages: [.serverAuth, .clientAuth], key: key, notBefore: notBefore, notAfter: notAfter,
            using: &generator)
        return NodeCertificate(systemID: systemID, certificate: issued, privateKey: key)
    }

    /// Issues a TLS server certificate for a node's HTTPS API (`api.tls.certificate`), signed by
    /// this CA: subject common name `name`, a DNS subject alternative name for each of `hosts` and
    /// an IP one for each of `ipAddresses`, extendedKeyUsage serverAuth only, keyUsage
    /// digitalSignature, and a random serial. A client that dials `https://localhost` or
    /// `https://127.0.0.1` checks its host against these names.
    ///
    /// - Parameters:
    ///   - ipAddresses: IPv4 or IPv6 addresses as text (`127.0.0.1`, `::1`).
    ///   - notAfter: End of validity, cut to the CA's own.
    /// - Throws: ``IdentityError/Code-swift.struct/invalidValidity`` for an empty validity period or
    ///   ``IdentityError/Code-swift.struct/issuanceFailed`` when no name is given, an address is
    ///   not an IP address, or the certificate cannot be built.
    public func issueServerCertificate(
        name: String,
        hosts: [String],
        ipAddresses: [String],
        key: P256.Signing.PrivateKey,
        notBefore: Date,
        notAfter: Date,
        using generator: inout some RandomNumberGenerator
    ) throws(IdentityError) -> Certificate {
        guard !hosts.isEmpty || !ipAddresses.isEmpty else {
            throw IdentityError(code: .issuanceFailed, message: "a server certificate needs a host or an IP address")
        }
        var names = hosts.map { GeneralName.dnsName($0) }
        for text in ipAddresses {
            guard let bytes = IPAddressText.bytes(of: text) else {
                throw IdentityError(code: .issuanceFailed, message: "'\(text.prefix(60))' is not an IP address")
            }
            names.append(.ipAddress(ASN1OctetString(contentBytes: ArraySlice(bytes))))
        }
        return try issue(
            commonName: name, alternativeNames: names, usages: [.serverAuth], key: key, notBefore: notBefore,
            notAfter: notAfter, using: &generator)
    }

    /// A leaf certificate signed by this CA, its validity cut to the CA's.
    private func issue(
        commonName: String,
        alternativeNames: [GeneralName],
        usages: [ExtendedKeyUsage.Usage],
        key: P256.Signing.PrivateKey,
        notBefore: Date,
        notAfter: Date,
        using generator: inout some RandomNumberGenerator
    ) throws(IdentityError) -> Certificate {
        let end = min(notAfter, certificate.notValidAfter)
        let start = max(notBefore, certificate.notValidBefore)
        guard start < end else {
            throw IdentityError(
                code: .invalidValidity,
                message: "the certificate of \(commonName) would not be valid at any time while the CA is")
        }
        let serialNumber = IdentityKeyGeneration.serialNumber(using: &generator)
        do {
            let subject = try DistinguishedName { CommonName(commonName) }
            let authorityKeyID = try certificate.extensions.subjectKeyIdentifier?.keyIdentifier
            let extensions = try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true))
                try ExtendedKeyUsage(usages)
                SubjectAlternativeNames(alternativeNames)
                SubjectKeyIdentifier(keyIdentifier: Self.keyIdentifier(of: key.publicKey))
                if let authorityKeyID {
                    AuthorityKeyIdentifier(keyIdentifier: authorityKeyID)
                }
            }
            return try Certificate(
                version: .v3, serialNumber: serialNumber, publicKey: .init(key.publicKey),
                notValidBefore: start, notValidAfter: end, issuer: certificate.subject, subject: subject,
                signatureAlgorithm: .ecdsaWithSHA256, extensions: extensions, issuerPrivateKey: .init(privateKey))
        } catch {
            throw IdentityError(
                code: .issuanceFailed, message: "cannot issue a certificate for \(commonName)", cause: error)
        }
    }

    /// A key identifier for `publicKey`: the leftmost 160 bits of the SHA-256 of its encoded point
    /// (RFC 7093 section 2, method 1; avoids SHA-1, which RFC 5280's own method uses).
    static func keyIdentifier(of publicKey: P256.Signing.PublicKey) -> ArraySlice<UInt8> {
        ArraySlice(SHA256.hash(data: publicKey.x963Representation).prefix(20))
    }
}
