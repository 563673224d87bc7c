import Foundation
import SwiftASN1
@_spi(FixedExpiryValidationTime) import X509

/// Checks, outside any TLS library, that a certificate is a node certificate of this federation:
/// it chains to the federation CA (RFC 5280 path validation at a given time) and meets the node
/// profile (``NodeCertificatePolicy``). Returns the system id it names.
///
/// The TLS handshake does the chain check for live connections; this is for tools, tests and
/// any place that holds a certificate outside a handshake (a pasted peer certificate, a config check).
public struct NodeCertificateVerifier: Sendable {
    /// The certificates trusted as federation CAs (normally one: `federation.ca`).
    public let trustRoots: [Certificate]

    /// A verifier that trusts the CA certificates in `trustRoots`.
    public init(trustRoots: [Certificate]) {
        self.trustRoots = trustRoots
    }

    /// Verifies `leaf` at `time` and returns the system id it names.
    ///
    /// - Parameters:
    ///   - leaf: The certificate to check.
    ///   - time: The wall-clock time at which every certificate in the chain must be valid.
    /// - Throws: ``IdentityError/Code-swift.struct/untrusted`` with the verifier's reasons when no
    ///   valid chain to a trust root meets the policy; ``IdentityError/Code-swift.struct/noSystemID``
    ///   if the verified certificate still names no usable system id.
    public func verify(_ leaf: Certificate, at time: Date) async throws(IdentityError) -> SystemID {
        var verifier = Verifier(rootCertificates: CertificateStore(trustRoots)) {
            RFC5280Policy(fixedExpiryValidationTime: time)
            NodeCertificatePolicy()
        }
        switch await verifier.validate(leaf: leaf, intermediates: CertificateStore()) {
        case .validCertificate:
            return try CertificateIdentity.systemID(of: leaf)
        case .couldNotValidate(let failures):
            let reasons = failures.map(\.policyFailureReason.description)
            throw IdentityError(
                code: .untrusted,
                message: "certificate '\(leaf.subject)' is not trusted: "
                    + (reasons.isEmpty ? "it does not chain to the federation CA" : reasons.joined(separator: "; ")))
        }
    }
}

/// The profile every node certificate meets, on top of RFC 5280: extendedKeyUsage with both
/// serverAuth and clientAuth (a node both accepts and dials peers over mutual TLS), and a name
/// that ``CertificateIdentity`` reads as a valid system id.
public struct NodeCertificatePolicy: VerifierPolicy, Sendable {
    /// This policy enforces extendedKeyUsage, so the extension may be marked critical.
    public let verifyingCriticalExtensions: [ASN1ObjectIdentifier] = [.X509ExtensionID.extendedKeyUsage]

    /// The policy.
    public init() {}

    /// Whether the leaf of `chain` meets the node profile.
    public func chainMeetsPolicyRequirements(chain: UnverifiedCertificateChain) -> PolicyEvaluationResult {
        let leaf = chain.leaf
        let usages: ExtendedKeyUsage?
        do {
            usages = try leaf.extensions.extendedKeyUsage
        } catch {
            return .failsToMeetPolicy(reason: "'\(leaf.subject)' has a malformed extendedKeyUsage")
        }
        guard let usages, usages.contains(.serverAuth), usages.contains(.clientAuth) else {
            return .failsToMeetPolicy(
                reason: "'\(leaf.subject)' lacks extendedKeyUsage serverAuth and clientAuth")
        }
        do {
            _ = try CertificateIdentity.systemID(of: leaf)
        } catch {
            return .failsToMeetPolicy(reason: "\(error.message)")
        }
        return .meetsPolicy
    }
}
