import Crypto
import Foundation
import X509

/// A folder of federation identity files, laid out as `Certs/` is:
///
/// | file | what | mode |
/// |---|---|---|
/// | `ca.pem` | the federation CA certificate (`federation.ca`) | 0644 |
/// | `ca.key` | the CA's private key, PKCS#8 PEM (only for issuing) | 0600 |
/// | `<id>.pem` | the node's certificate (`federation.certificate`) | 0644 |
/// | `<id>.key` | its private key, PKCS#8 PEM (`federation.private_key`) | 0600 |
/// | `<id>.signing.key` | its Ed25519 message-signing key, base64 (`federation.signing_key`) | 0600 |
/// | `<id>.signing.pub` | the matching public key, base64 (a peer's `public_key`) | 0644 |
///
/// Making the files (``initAuthority(name:notBefore:notAfter:overwrite:using:)`` and
/// ``issueNode(_:notBefore:notAfter:overwrite:using:)``) checks every target first, so a refused
/// overwrite leaves the folder untouched.
public struct CertificateDirectory: Sendable {
    /// The folder's path, as given (relative paths resolve from the working folder).
    public let path: String

    /// The folder at `path`.
    public init(path: String) {
        self.path = path
    }

    /// `ca.pem`.
    public var authorityCertificatePath: String { file("ca.pem") }
    /// `ca.key`.
    public var authorityKeyPath: String { file("ca.key") }
    /// `<id>.pem`.
    public func certificatePath(for systemID: SystemID) -> String { file("\(systemID.rawValue).pem") }
    /// `<id>.key`.
    public func privateKeyPath(for systemID: SystemID) -> String { file("\(systemID.rawValue).key") }
    /// `<id>.signing.key`.
    public func signingKeyPath(for systemID: SystemID) -> String { file("\(systemID.rawValue).signing.key") }
    /// `<id>.signing.pub`.
    public func signingPublicKeyPath(for systemID: SystemID) -> String { file("\(systemID.rawValue).signing.pub") }

    /// One file that was written.
    public struct WrittenFile: Sendable, Equatable {
        /// Where.
        public let path: String
        /// What it holds, for a person.
        public let contents: String
        /// Whether only its owner may read it.
        public let ownerOnly: Bool
    }

    /// What ``initAuthority(name:notBefore:notAfter:overwrite:using:)`` or
    /// ``issueNode(_:notBefore:notAfter:overwrite:using:)`` made.
    public struct Issued: Sendable {
        /// The certificate made (the CA's or the node's).
        public let certificate: Certificate
        /// The files written, in order.
        public let files: [WrittenFile]
        /// The node's signing public key as base64 (what peers pin); `nil` for a CA.
        public let signingPublicKey: String?

        /// The certificate's subject, as text (`CN=system_a`).
        public var subject: String { certificate.subject.description }
        /// The certificate's serial number, as colon-separated two-digit hex (as openssl prints it).
        public var serialNumber: String {
            certificate.serialNumber.bytes.map { byte in
                let hex = String(byte, radix: 16)
                return hex.count == 1 ? "0" + hex : hex
            }.joined(separator: ":")
        }
        /// Start of the certificate's validity.
        public var notBefore: Date { certificate.notValidBefore }
        /// End of the certificate's validity (a node certificate never outlives its CA).
        public var notAfter: Date { certificate.notValidAfter }
    }

    /// Creates a new federation CA and writes `ca.pem` and `ca.key`, creating the folder if needed.
    ///
    /// - Throws: ``IdentityError/Code-swift.struct/fileExists`` when either file exists and
    ///   `overwrite` is false (nothing is written); other ``IdentityError``s from making the CA or
    ///   writing the files.
    public func initAuthority(
        name: String, notBefore: Date, notAfter: Date, overwrite: Bool,
        using generator: inout some RandomNumberGenerator
    ) throws(IdentityError) -> Issued {
        let targets = [authorityCertificatePath, authorityKeyPath]
        try refuseExisting(targets, overwrite: overwrite)
        let authority = try CertificateAuthority.create(
            name: name, key: IdentityKeyGeneration.certificateKey(using: &generator), notBefore: notBefore,
            notAfter: notAfter, using: &generator)
        try createFolder()
        let files = [
            try write(
                try IdentityPEM.encode(authority.certificate), to: targets[0], "federation CA certificate",
                .publicReadable, overwrite),
            try write(
                IdentityPEM.encode(authority.privateKey), to: targets[1], "federation CA private key", .ownerOnly,
                overwrite),
        ]
        return Issued(certificate: authority.certificate, files: files, signingPublicKey: nil)
    }

    /// Loads the CA in `ca.pem` and `ca.key`.
    ///
    /// - Throws: ``IdentityError`` when either file cannot be read, is malformed, or they do not match.
    public func loadAuthority() throws(IdentityError) -> CertificateAuthority {
        try CertificateAuthority(
            certificatePEM: try IdentityFiles.readText(at: authorityCertificatePath),
            privateKeyPEM: try IdentityFiles.readText(at: authorityKeyPath))
    }

    /// Issues the node identity of `systemID` with the CA in this folder and writes `<id>.pem`,
    /// `<id>.key`, `<id>.signing.key` and `<id>.signing.pub`.
    ///
    /// - Throws: ``IdentityError/Code-swift.struct/fileExists`` when any of the four exists and
    ///   `overwrite` is false (nothing is written); other ``IdentityError``s from loading the CA,
    ///   issuing, or writing.
    public func issueNode(
        _ systemID: SystemID, notBefore: Date, notAfter: Date, overwrite: Bool,
        using generator: inout some RandomNumberGenerator
    ) throws(IdentityError) -> Issued {
        let targets = [
            certificatePath(for: systemID), privateKeyPath(for: systemID), signingKeyPath(for: systemID),
            signingPublicKeyPath(for: systemID),
        ]
        try refuseExisting(targets, overwrite: overwrite)
        let authority = try loadAuthority()
        let node = try authority.issueNodeCertificate(
            for: systemID, key: IdentityKeyGeneration.certificateKey(using: &generator), notBefore: notBefore,
            notAfter: notAfter, using: &generator)
        let signingKey = IdentityKeyGeneration.signingKey(using: &generator)
        let files = [
            try write(
                try node.certificatePEM(), to: targets[0], "TLS certificate of \(systemID)", .publicReadable, overwrite),
            try write(node.privateKeyPEM, to: targets[1], "TLS private key of \(systemID)", .ownerOnly, overwrite),
            try write(
                SigningKeys.encode(signingKey), to: targets[2], "Ed25519 signing key of \(systemID)", .ownerOnly,
                overwrite),
            try write(
                SigningKeys.encode(signingKey.publicKey), to: targets[3], "Ed25519 public key of \(systemID)",
                .publicReadable, overwrite),
        ]
        return Issued(
            certificate: node.certificate, files: files,
            signingPublicKey: signingKey.publicKey.rawRepresentation.base64EncodedString())
    }

    /// Issues a TLS server certificate for a node's HTTPS API with the CA in this folder
    /// (``CertificateAuthority/issueServerCertificate(name:hosts:ipAddresses:key:notBefore:notAfter:using:)``)
    /// and writes `<name>.pem` and `<name>.key` (`api.tls.certificate` and `api.tls.private_key`).
    ///
    /// - Throws: ``IdentityError/Code-swift.struct/fileExists`` when either file exists and
    ///   `overwrite` is false (nothing is written); other ``IdentityError``s from loading the CA,
    ///   issuing, or writing.
    public func issueServer(
        name: String, hosts: [String], ipAddresses: [String], notBefore: Date, notAfter: Date, overwrite: Bool,
        using generator: inout some RandomNumberGenerator
    ) throws(IdentityError) -> Issued {
        let targets = [file("\(name).pem"), file("\(name).key")]
        try refuseExisting(targets, overwrite: overwrite)
        let authority = try loadAuthority()
        let key = IdentityKeyGeneration.certificateKey(using: &generator)
        let certificate = try authority.issueServerCertificate(
            name: name, hosts: hosts, ipAddresses: ipAddresses, key: key, notBefore: notBefore, notAfter: notAfter,
            using: &generator)
        let files = [
            try write(
                try IdentityPEM.encode(certificate), to: targets[0], "HTTPS server certificate of \(name)",
                .publicReadable, overwrite),
            try write(IdentityPEM.encode(key), to: targets[1], "HTTPS private key of \(name)", .ownerOnly, overwrite),
        ]
        return Issued(certificate: certificate, files: files, signingPublicKey: nil)
    }

    private func file(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }

    private func refuseExisting(_ paths: [String], overwrite: Bool) throws(IdentityError) {
        guard !overwrite else { return }
        let existing = paths.filter(IdentityFiles.exists)
        guard existing.isEmpty else {
            throw IdentityError(
                code: .fileExists, message: "would overwrite \(existing.joined(separator: ", "))")
        }
    }

    private func createFolder() throws(IdentityError) {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw IdentityError(code: .fileAccess, message: "cannot create folder \(path)", cause: error)
        }
    }

    private func write(
        _ text: String, to path: String, _ contents: String, _ access: IdentityFiles.Access, _ overwrite: Bool
    ) throws(IdentityError) -> WrittenFile {
        try IdentityFiles.write(text, to: path, access: access, overwrite: overwrite)
        return WrittenFile(path: path, contents: contents, ownerOnly: access == .ownerOnly)
    }
}
