import Crypto
import Foundation
import SafeguardsCore
import SafeguardsFederation
import SafeguardsTestKit
import Testing
import X509

/// A CA and node certificates made from fixed seeds at a fixed time, so every run builds the same keys.
private enum IdentityFixtures {
    static let start = Date(timeIntervalSince1970: 1_780_000_000)  // 2026-05-28
    static let year: TimeInterval = 365 * 86_400

    static func authority(seed: UInt64, name: String = CertificateAuthority.developmentName) throws
        -> CertificateAuthority
    {
        var random = SeededRandom(seed: seed)
        return try CertificateAuthority.create(
            name: name, key: IdentityKeyGeneration.certificateKey(using: &random), notBefore: start,
            notAfter: start + 10 * year, using: &random)
    }

    static func node(_ systemID: String, from authority: CertificateAuthority, seed: UInt64) throws -> NodeCertificate {
        var random = SeededRandom(seed: seed)
        return try authority.issueNodeCertificate(
            for: SystemID(systemID), key: IdentityKeyGeneration.certificateKey(using: &random), notBefore: start,
            notAfter: start + 2 * year, using: &random)
    }

    /// A fresh empty folder under the temporary directory.
    static func temporaryFolder() throws -> String {
        let path = (NSTemporaryDirectory() as NSString).appendingPathComponent("identity-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    static func permissions(of path: String) throws -> Int {
        (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)?.intValue ?? -1
    }
}

@Suite struct CertificateAuthorityTests {
    @Test func issuedCertificateVerifiesAgainstItsAuthority() async throws {
        let authority = try IdentityFixtures.authority(seed: 1)
        let node = try IdentityFixtures.node("system_a", from: authority, seed: 2)
        #expect(authority.certificate.publicKey.isValidSignature(node.certificate.signature, for: node.certificate))
        let verifier = NodeCertificateVerifier(trustRoots: [authority.certificate])
        let named = try await verifier.verify(node.certificate, at: IdentityFixtures.start + 86_400)
        #expect(named == SystemID(unchecked: "system_a"))
    }

    @Test func certificateFromAnotherAuthorityIsRefused() async throws {
        let ours = try IdentityFixtures.authority(seed: 1)
        // Same name, different key: only the signature can tell them apart.
        let theirs = try IdentityFixtures.authority(seed: 99)
        let intruder = try IdentityFixtures.node("system_a", from: theirs, seed: 2)
        #expect(!ours.certificate.publicKey.isValidSignature(intruder.certificate.signature, for: intruder.certificate))
        let verifier = NodeCertificateVerifier(trustRoots: [ours.certificate])
        let error = await #expect(throws: IdentityError.self) {
            try await verifier.verify(intruder.certificate, at: IdentityFixtures.start + 86_400)
        }
        #expect(error?.code == .untrusted)
    }

    @Test func expiredCertificateIsRefused() async throws {
        let authority = try IdentityFixtures.authority(seed: 1)
        let node = try IdentityFixtures.node("system_a", from: authority, seed: 2)
        let verifier = NodeCertificateVerifier(trustRoots: [authority.certificate])
        let error = await #expect(throws: IdentityError.self) {
            try await verifier.verify(node.certificate, at: IdentityFixtures.start + 3 * IdentityFixtures.year)
        }
        #expect(error?.code == .untrusted)
    }

    @Test func authorityIsACertificateAuthority() throws {
        let authority = try IdentityFixtures.authority(seed: 1, name: "Test federation CA")
        let extensions = authority.certificate.extensions
        #expect(try extensions.basicConstraints == .isCertificateAuthority(maxPathLength: 0))
        let usage = try #require(try extensions.keyUsage)
        #expect(usage.keyCertSign && usage.cRLSign && !usage.digitalSignature)
        #expect(authority.certificate.subject.description == "CN=Test federation CA")
        #expect(authority.certificate.issuer == authority.certificate.subject)
        #expect(authority.certificate.serialNumber.bytes.count == 20)
    }

    @Test func nodeCertificateAllowsServerAndClientAuthentication() throws {
        let node = try IdentityFixtures.node("system_b", from: try IdentityFixtures.authority(seed: 1), seed: 3)
        let extensions = node.certificate.extensions
        let usages = try #require(try extensions.extendedKeyUsage)
        #expect(usages.contains(.serverAuth))
        #expect(usages.contains(.clientAuth))
        #expect(try extensions.keyUsage?.digitalSignature == true)
        #expect(try extensions.basicConstraints == .notCertificateAuthority)
    }

    @Test func nodeCertificateNamesItsSystemInSubjectAndSAN() throws {
        let node = try IdentityFixtures.node("system_b", from: try IdentityFixtures.authority(seed: 1), seed: 3)
        #expect(node.certificate.subject.description == "CN=system_b")
        let names = try #require(try node.certificate.extensions.subjectAlternativeNames)
        #expect(Array(names) == [.dnsName("system_b")])
        #expect(try CertificateIdentity.systemID(of: node.certificate) == SystemID(unchecked: "system_b"))
        #expect(node.systemID == SystemID(unchecked: "system_b"))
    }

    @Test func nodeCertificateDoesNotOutliveItsAuthority() throws {
        let authority = try IdentityFixtures.authority(seed: 1)
        var random = SeededRandom(seed: 4)
        let node = try authority.issueNodeCertificate(
            for: SystemID("system_c"), key: IdentityKeyGeneration.certificateKey(using: &random),
            notBefore: IdentityFixtures.start, notAfter: IdentityFixtures.start + 50 * IdentityFixtures.year,
            using: &random)
        #expect(node.certificate.notValidAfter == authority.certificate.notValidAfter)
    }

    @Test func emptyValidityIsRefused() throws {
        var random = SeededRandom(seed: 5)
        let error = #expect(throws: IdentityError.self) {
            try CertificateAuthority.create(
                key: IdentityKeyGeneration.certificateKey(using: &random), notBefore: IdentityFixtures.start,
                notAfter: IdentityFixtures.start - 1, using: &random)
        }
        #expect(error?.code == .invalidValidity)
    }

    @Test func authorityRefusesAKeyThatIsNotItsOwn() throws {
        let authority = try IdentityFixtures.authority(seed: 1)
        let other = try IdentityFixtures.authority(seed: 2)
        let error = #expect(throws: IdentityError.self) {
            try CertificateAuthority(certificate: authority.certificate, privateKey: other.privateKey)
        }
        #expect(error?.code == .keyMismatch)
    }

    @Test func nodeCertificateCannotActAsAuthority() throws {
        let node = try IdentityFixtures.node("system_a", from: try IdentityFixtures.authority(seed: 1), seed: 2)
        let error = #expect(throws: IdentityError.self) {
            try CertificateAuthority(certificate: node.certificate, privateKey: node.privateKey)
        }
        #expect(error?.code == .notCertificateAuthority)
    }

    @Test func pemRoundTripKeepsCertificateAndKey() throws {
        let node = try IdentityFixtures.node("system_a", from: try IdentityFixtures.authority(seed: 1), seed: 2)
        let certificatePEM = try node.certificatePEM()
        #expect(certificatePEM.hasPrefix("-----BEGIN CERTIFICATE-----\n"))
        // PKCS#8, the form BoringSSL (NIOSSL) reads.
        #expect(node.privateKeyPEM.hasPrefix("-----BEGIN PRIVATE KEY-----\n"))
        let loaded = try NodeCertificate(certificatePEM: certificatePEM, privateKeyPEM: node.privateKeyPEM)
        #expect(loaded.certificate == node.certificate)
        #expect(loaded.privateKey.rawRepresentation == node.privateKey.rawRepresentation)
        let der = try IdentityPEM.derBytes(of: node.certificate)
        #expect(try CertificateIdentity.systemID(derEncoded: der) == SystemID(unchecked: "system_a"))
        #expect(try IdentityPEM.certificate(pemOrDER: der) == node.certificate)
        #expect(try IdentityPEM.certificate(pemOrDER: Array(certificatePEM.utf8)) == node.certificate)
    }
}

@Suite struct CertificateIdentityTests {
    /// A certificate signed by a throwaway key, with the given subject names and DNS names.
    private func certificate(commonNames: [String], dnsNames: [String]) throws -> Certificate {
        var random = SeededRandom(seed: 7)
        let key = IdentityKeyGeneration.certificateKey(using: &random)
        let subject = DistinguishedName(try commonNames.map { try CommonName($0).makeRDN() })
        let extensions = try Certificate.Extensions {
            if !dnsNames.isEmpty { SubjectAlternativeNames(dnsNames.map { .dnsName($0) }) }
        }
        return try Certificate(
            version: .v3, serialNumber: .init(7), publicKey: .init(key.publicKey),
            notValidBefore: IdentityFixtures.start, notValidAfter: IdentityFixtures.start + 86_400, issuer: subject,
            subject: subject, signatureAlgorithm: .ecdsaWithSHA256, extensions: extensions, issuerPrivateKey: .init(key)
        )
    }

    @Test func subjectAlternativeNameWinsOverCommonName() throws {
        let cert = try certificate(commonNames: ["ignored"], dnsNames: ["system_b"])
        #expect(try CertificateIdentity.systemID(of: cert) == SystemID(unchecked: "system_b"))
    }

    @Test func commonNameIsUsedWithoutSubjectAlternativeName() throws {
        let cert = try certificate(commonNames: ["system_c"], dnsNames: [])
        #expect(try CertificateIdentity.systemID(of: cert) == SystemID(unchecked: "system_c"))
    }

    @Test func severalDNSNamesAreRefusedAsAmbiguous() throws {
        let cert = try certificate(commonNames: ["system_a"], dnsNames: ["system_a", "system_b"])
        let error = #expect(throws: IdentityError.self) { try CertificateIdentity.systemID(of: cert) }
        #expect(error?.code == .noSystemID)
    }

    @Test func certificateWithoutNamesIsRefused() throws {
        let cert = try certificate(commonNames: [], dnsNames: [])
        let error = #expect(throws: IdentityError.self) { try CertificateIdentity.systemID(of: cert) }
        #expect(error?.code == .noSystemID)
    }

    @Test func invalidSystemIDIsRefused() throws {
        let cert = try certificate(commonNames: [], dnsNames: ["not a system id"])
        let error = #expect(throws: IdentityError.self) { try CertificateIdentity.systemID(of: cert) }
        #expect(error?.code == .noSystemID)
    }

    @Test func garbageIsNotACertificate() {
        let error = #expect(throws: IdentityError.self) {
            try CertificateIdentity.systemID(derEncoded: [0x30, 0x03, 0x02, 0x01, 0x00])
        }
        #expect(error?.code == .invalidCertificate)
        let pemError = #expect(throws: IdentityError.self) {
            try CertificateIdentity.systemID(
                pemEncoded: "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
        }
        #expect(pemError?.code == .invalidCertificate)
    }
}

@Suite struct SigningKeyFileTests {
    @Test func signingKeyFilesRoundTrip() throws {
        let folder = try IdentityFixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var random = SeededRandom(seed: 11)
        let key = IdentityKeyGeneration.signingKey(using: &random)
        let privatePath = folder + "/node.signing.key"
        let publicPath = folder + "/node.signing.pub"
        try SigningKeys.save(key, to: privatePath, overwrite: false)
        try SigningKeys.save(key.publicKey, to: publicPath, overwrite: false)

        #expect(try SigningKeys.loadPrivateKey(at: privatePath).rawRepresentation == key.rawRepresentation)
        #expect(try SigningKeys.loadPublicKey(at: publicPath).rawRepresentation == key.publicKey.rawRepresentation)
        #expect(try IdentityFixtures.permissions(of: privatePath) == 0o600)
        #expect(try IdentityFixtures.permissions(of: publicPath) == 0o644)
        let publicText = try String(contentsOfFile: publicPath, encoding: .utf8)
        #expect(publicText == key.publicKey.rawRepresentation.base64EncodedString() + "\n")
    }

    @Test func existingKeyFileIsNotOverwritten() throws {
        let folder = try IdentityFixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var random = SeededRandom(seed: 12)
        let first = IdentityKeyGeneration.signingKey(using: &random)
        let second = IdentityKeyGeneration.signingKey(using: &random)
        let path = folder + "/node.signing.key"
        try SigningKeys.save(first, to: path, overwrite: false)
        let error = #expect(throws: IdentityError.self) { try SigningKeys.save(second, to: path, overwrite: false) }
        #expect(error?.code == .fileExists)
        #expect(try SigningKeys.loadPrivateKey(at: path).rawRepresentation == first.rawRepresentation)
        try SigningKeys.save(second, to: path, overwrite: true)
        #expect(try SigningKeys.loadPrivateKey(at: path).rawRepresentation == second.rawRepresentation)
    }

    @Test(arguments: [
        ("", "is empty"),
        ("not base64 at all!", "is not valid base64"),
        (Data(repeating: 7, count: 16).base64EncodedString(), "decodes to 16 bytes"),
        (Data(repeating: 7, count: 64).base64EncodedString(), "decodes to 64 bytes"),
        ("-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIA==\n-----END PRIVATE KEY-----", "is PEM"),
    ])
    func badKeyFileIsRefusedWithItsReason(text: String, reason: String) throws {
        let folder = try IdentityFixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/bad.signing.key"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        let privateError = #expect(throws: IdentityError.self) { try SigningKeys.loadPrivateKey(at: path) }
        #expect(privateError?.code == .invalidKey)
        #expect(privateError?.message.contains(path) == true)
        #expect(privateError?.message.contains(reason) == true)
        let publicError = #expect(throws: IdentityError.self) { try SigningKeys.loadPublicKey(at: path) }
        #expect(publicError?.code == .invalidKey)
        #expect(publicError?.message.contains(reason) == true)
    }

    @Test func missingKeyFileIsReportedByPath() {
        let path = "/nonexistent-folder/absent.signing.key"
        let error = #expect(throws: IdentityError.self) { try SigningKeys.loadPrivateKey(at: path) }
        #expect(error?.code == .fileAccess)
        #expect(error?.message.contains(path) == true)
    }
}

@Suite struct CertificateDirectoryTests {
    @Test func initAuthorityAndIssueWriteLoadableFiles() async throws {
        let folder = try IdentityFixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let directory = CertificateDirectory(path: folder + "/Certs")
        var random = SeededRandom(seed: 21)
        let start = IdentityFixtures.start
        let ca = try directory.initAuthority(
            name: "Folder CA", notBefore: start, notAfter: start + IdentityFixtures.year, overwrite: false,
            using: &random)
        #expect(ca.files.map(\.path) == [directory.authorityCertificatePath, directory.authorityKeyPath])
        let systemA = try SystemID("system_a")
        let issued = try directory.issueNode(
            systemA, notBefore: start, notAfter: start + 86_400, overwrite: false, using: &random)
        #expect(issued.subject == "CN=system_a")

        #expect(try IdentityFixtures.permissions(of: directory.authorityKeyPath) == 0o600)
        #expect(try IdentityFixtures.permissions(of: directory.privateKeyPath(for: systemA)) == 0o600)
        #expect(try IdentityFixtures.permissions(of: directory.signingKeyPath(for: systemA)) == 0o600)
        #expect(try IdentityFixtures.permissions(of: directory.certificatePath(for: systemA)) == 0o644)

        let node = try NodeCertificate(
            certificatePEM: try IdentityFiles.readText(at: directory.certificatePath(for: systemA)),
            privateKeyPEM: try IdentityFiles.readText(at: directory.privateKeyPath(for: systemA)))
        let verifier = NodeCertificateVerifier(trustRoots: [try directory.loadAuthority().certificate])
        #expect(try await verifier.verify(node.certificate, at: start + 3600) == systemA)
        let signing = try SigningKeys.loadPrivateKey(at: directory.signingKeyPath(for: systemA))
        let pinned = try SigningKeys.loadPublicKey(at: directory.signingPublicKeyPath(for: systemA))
        #expect(signing.publicKey.rawRepresentation == pinned.rawRepresentation)
        #expect(issued.signingPublicKey == pinned.rawRepresentation.base64EncodedString())
    }

    @Test func existingFilesAreLeftAloneWithoutOverwrite() throws {
        let folder = try IdentityFixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let directory = CertificateDirectory(path: folder)
        var random = SeededRandom(seed: 22)
        let start = IdentityFixtures.start
        _ = try directory.initAuthority(
            name: "CA", notBefore: start, notAfter: start + IdentityFixtures.year, overwrite: false, using: &random)
        let before = try IdentityFiles.readText(at: directory.authorityCertificatePath)
        let error = #expect(throws: IdentityError.self) {
            try directory.initAuthority(
                name: "CA", notBefore: start, notAfter: start + IdentityFixtures.year, overwrite: false,
                using: &random)
        }
        #expect(error?.code == .fileExists)
        #expect(try IdentityFiles.readText(at: directory.authorityCertificatePath) == before)
        _ = try directory.initAuthority(
            name: "CA", notBefore: start, notAfter: start + IdentityFixtures.year, overwrite: true, using: &random)
        #expect(try IdentityFiles.readText(at: directory.authorityCertificatePath) != before)
    }

    @Test func issuingWithoutAnAuthorityIsRefused() throws {
        let folder = try IdentityFixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var random = SeededRandom(seed: 23)
        let error = #expect(throws: IdentityError.self) {
            try CertificateDirectory(path: folder).issueNode(
                SystemID("system_a"), notBefore: IdentityFixtures.start, notAfter: IdentityFixtures.start + 86_400,
                overwrite: false, using: &random)
        }
        #expect(error?.code == .fileAccess)
        #expect(!IdentityFiles.exists(folder + "/system_a.pem"))
    }
}

/// The development federation committed in `Certs/` (see `Certs/README.md`).
@Suite struct CommittedCertificatesTests {
    static let systems = ["system_a", "system_b", "system_c"]

    /// `Certs/` at the package root, found from this file's path.
    private var certs: CertificateDirectory {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        return CertificateDirectory(path: root.appendingPathComponent("Certs").path)
    }

    @Test(arguments: systems)
    func committedCertificateNamesItsSystemAndChainsToTheCA(system: String) async throws {
        let systemID = try SystemID(system)
        let authority = try certs.loadAuthority()
        #expect(authority.certificate.subject.description == "CN=\(CertificateAuthority.developmentName)")
        let node = try NodeCertificate(
            certificatePEM: try IdentityFiles.readText(at: certs.certificatePath(for: systemID)),
            privateKeyPEM: try IdentityFiles.readText(at: certs.privateKeyPath(for: systemID)))
        #expect(node.systemID == systemID)
        // Checked at a moment inside the validity period, not at the wall clock.
        let moment = node.certificate.notValidBefore + 86_400
        let verifier = NodeCertificateVerifier(trustRoots: [authority.certificate])
        #expect(try await verifier.verify(node.certificate, at: moment) == systemID)
    }

    @Test(arguments: systems)
    func committedSigningKeysMatchAndArePinnedByThePeers(system: String) throws {
        let systemID = try SystemID(system)
        let signing = try SigningKeys.loadPrivateKey(at: certs.signingKeyPath(for: systemID))
        let pinned = try SigningKeys.loadPublicKey(at: certs.signingPublicKeyPath(for: systemID))
        #expect(signing.publicKey.rawRepresentation == pinned.rawRepresentation)
        let base64 = pinned.rawRepresentation.base64EncodedString()
        for peer in Self.systems where peer != system {
            let config = try IdentityFiles.readText(at: certs.path + "/\(peer).yaml")
            #expect(config.contains("public_key: \(base64)"), "\(peer).yaml does not pin \(system)'s key")
        }
    }
}
