import Crypto
import Foundation
import Logging
import SafeguardsFederation
import SafeguardsTransport
import Synchronization
import X509

/// Certificates signed by the development CA whose names do not make a usable system id: what a
/// careless operator (or an insider with the CA key) could hand a node.
enum UnusableNameCertificates {
    /// The four kinds of unusable name, each with the subject the node must name in its log.
    enum Case: String, CaseIterable, Sendable {
        case noName, twoNames, wildcard, invalidName

        /// The subject's common name, or nil for a subject without one.
        var commonName: String? {
            switch self {
            case .noName: return nil
            case .twoNames: return "system_c"
            case .wildcard: return "wildcard"
            case .invalidName: return "bad id!"
            }
        }

        var dnsNames: [String] {
            switch self {
            case .noName, .invalidName: return []
            case .twoNames: return ["system_c", "system_b"]
            case .wildcard: return ["*.example.com"]
            }
        }

        /// A text of the subject that the node's refusal must contain.
        var subjectText: String { commonName.map { "CN=\($0)" } ?? "O=Safeguards tests" }
    }

    /// A client identity for `kind`, issued now by the development CA.
    static func identity(_ kind: Case) throws -> TLSIdentity {
        let certs = TestCertificates.certs
        let authority = try CertificateAuthority(
            certificatePEM: try String(contentsOfFile: "\(certs)/ca.pem", encoding: .utf8),
            privateKeyPEM: try String(contentsOfFile: "\(certs)/ca.key", encoding: .utf8))
        let key = P256.Signing.PrivateKey()
        let subject = try DistinguishedName {
            if let name = kind.commonName { CommonName(name) } else { OrganizationName("Safeguards tests") }
        }
        let extensions = try Certificate.Extensions {
            Critical(BasicConstraints.notCertificateAuthority)
            Critical(KeyUsage(digitalSignature: true))
            try ExtendedKeyUsage([.serverAuth, .clientAuth])
            if !kind.dnsNames.isEmpty { SubjectAlternativeNames(kind.dnsNames.map { .dnsName($0) }) }
        }
        let now = Date()
        let certificate = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: .init(key.publicKey),
            notValidBefore: now - 3600, notValidAfter: now + 3600, issuer: authority.certificate.subject,
            subject: subject, signatureAlgorithm: .ecdsaWithSHA256, extensions: extensions,
            issuerPrivateKey: .init(authority.privateKey))
        return try TLSIdentity(
            caPEM: Array(try IdentityPEM.encode(authority.certificate).utf8),
            certificatePEM: Array(try IdentityPEM.encode(certificate).utf8),
            privateKeyPEM: Array(key.pemRepresentation.utf8))
    }
}

/// Keeps every line logged at warning or above, for tests that check what a node reports.
final class CapturedLog: Sendable {
    private let lines = Mutex<[String]>([])

    var warnings: [String] { lines.withLock { $0 } }

    var logger: Logger {
        Logger(label: "transport-test") { _ in Handler(log: self) }
    }

    fileprivate func append(_ line: String) { lines.withLock { $0.append(line) } }

    private struct Handler: LogHandler {
        let log: CapturedLog
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .warning

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            guard event.level >= .warning else { return }
            let fields = (event.metadata ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
            log.append(([event.message.description] + fields).joined(separator: " "))
        }
    }
}
