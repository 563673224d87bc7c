import SafeguardsCore
import X509

/// Reads which system a certificate speaks for. The transport uses it to learn who is on the
/// other end of a TLS channel once the handshake has verified the chain; that name, never a
/// field inside a message, decides who sent it (DESIGN.md section 5, Identity).
///
/// The rule: the DNS subject alternative name if the certificate has one, else the subject
/// common name. Federation certificates carry the same system id in both.
/// A certificate with several distinct DNS names, or several common names, is refused rather
/// than guessed at: which one is the node would be ambiguous.
public enum CertificateIdentity {
    /// The system id that `certificate` names.
    ///
    /// This reads names only; it does not check who signed the certificate. Call it on a
    /// certificate the TLS handshake (or ``NodeCertificateVerifier``) has already verified.
    ///
    /// - Throws: ``IdentityError/Code-swift.struct/noSystemID`` when it names none, several, or
    ///   one that is not a valid system id; ``IdentityError/Code-swift.struct/invalidCertificate``
    ///   when its subjectAltName extension is malformed.
    public static func systemID(of certificate: Certificate) throws(IdentityError) -> SystemID {
        let name: String
        let dnsNames = try Self.dnsNames(of: certificate)
        if let only = dnsNames.first {
            guard dnsNames.count == 1 else {
                throw IdentityError(
                    code: .noSystemID,
                    message:
                        "certificate '\(certificate.subject)' names several systems: \(dnsNames.joined(separator: ", "))"
                )
            }
            name = only
        } else {
            let commonNames = Self.commonNames(of: certificate)
            guard let only = commonNames.first, commonNames.count == 1 else {
                throw IdentityError(
                    code: .noSystemID,
                    message: commonNames.isEmpty
                        ? "certificate '\(certificate.subject)' has no DNS name and no common name"
                        : "certificate '\(certificate.subject)' has several common names")
            }
            name = only
        }
        do {
            return try SystemID(name)
        } catch {
            throw IdentityError(
                code: .noSystemID, message: "certificate '\(certificate.subject)' names no valid system id",
                cause: error)
        }
    }

    /// The system id that a DER-encoded certificate names (NIOSSL hands the peer's certificate
    /// over as DER: `NIOSSLCertificate.toDERBytes()`).
    ///
    /// - Throws: ``IdentityError`` when the bytes are not a certificate or it names no system id.
    public static func systemID(derEncoded bytes: [UInt8]) throws(IdentityError) -> SystemID {
        try systemID(of: try IdentityPEM.certificate(der: bytes, source: "peer certificate"))
    }

    /// The system id that a PEM-encoded certificate names.
    ///
    /// - Throws: ``IdentityError`` when the text holds no certificate or it names no system id.
    public static func systemID(pemEncoded text: String) throws(IdentityError) -> SystemID {
        try systemID(of: try IdentityPEM.certificate(pem: text))
    }

    /// The distinct DNS subject alternative names, in certificate order.
    private static func dnsNames(of certificate: Certificate) throws(IdentityError) -> [String] {
        let names: SubjectAlternativeNames?
        do {
            names = try certificate.extensions.subjectAlternativeNames
        } catch {
            throw IdentityError(
                code: .invalidCertificate,
                message: "certificate '\(certificate.subject)' has a malformed subjectAltName", cause: error)
        }
        var result: [String] = []
        for case .dnsName(let name) in names ?? SubjectAlternativeNames() where !result.contains(name) {
            result.append(name)
        }
        return result
    }

    /// The distinct subject common names, in certificate order.
    private static func commonNames(of certificate: Certificate) -> [String] {
        var result: [String] = []
        for rdn in certificate.subject {
            for attribute in rdn where attribute.type == .RDNAttributeType.commonName {
                if let name = String(attribute.value), !result.contains(name) { result.append(name) }
            }
        }
        return result
    }
}
