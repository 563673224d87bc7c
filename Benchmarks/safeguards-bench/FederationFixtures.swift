import Foundation
import SafeguardsFederation
import SafeguardsNode
import SafeguardsTransport

/// The committed development federation (`Certs/`, see its README) that the federation figures
/// run on: `system_a` dials, `system_b` listens. Loopback only.
struct DevelopmentCertificates {
    let directory: String

    static let systemA = SystemID(unchecked: "system_a")
    static let systemB = SystemID(unchecked: "system_b")

    /// Names the system a peer certificate belongs to, as the node does.
    static let identify: CertificateIdentifier = { der in try CertificateIdentity.systemID(derEncoded: der) }

    /// `explicit` (`--certs`), else `Certs/` in the working folder, else the `Certs/` of the
    /// package this benchmark was built from.
    static func locate(_ explicit: String?) throws -> DevelopmentCertificates {
        let packageCerts = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Certs").path
        let candidates =
            explicit.map { [$0] } ?? [
                (FileManager.default.currentDirectoryPath as NSString).appendingPathComponent("Certs"), packageCerts,
            ]
        for candidate in candidates
        where FileManager.default.fileExists(atPath: (candidate as NSString).appendingPathComponent("ca.pem")) {
            return DevelopmentCertificates(directory: candidate)
        }
        throw BenchFailure(
            "no development certificates (ca.pem) in \(candidates.joined(separator: " or ")); "
                + "run from the package root or pass --certs PATH")
    }

    func path(_ name: String) -> String { (directory as NSString).appendingPathComponent(name) }

    /// The TLS identity of `system`: its certificate and key, trusting the development CA.
    func tlsIdentity(_ system: SystemID) throws -> TLSIdentity {
        try TLSIdentity.load(
            caPath: path("ca.pem"), certificatePath: path("\(system.rawValue).pem"),
            privateKeyPath: path("\(system.rawValue).key"))
    }

    /// Base64 of `system`'s Ed25519 public key, what peers pin (its `.signing.pub` file).
    func signingPublicKey(_ system: SystemID) throws -> String {
        let file = path("\(system.rawValue).signing.pub")
        return try String(contentsOfFile: file, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The `federation` section of `Certs/<system>.yaml`, with absolute paths, listening on
    /// 127.0.0.1 port 0 and no configured peers: the yaml files use fixed ports, so the figures
    /// register each peer's real port through the registry once both nodes listen.
    func federationConfig(_ system: SystemID) -> FederationConfig {
        FederationConfig(
            listen: HostPort(host: "127.0.0.1", port: 0), caPath: path("ca.pem"),
            certificatePath: path("\(system.rawValue).pem"), privateKeyPath: path("\(system.rawValue).key"),
            signingKeyPath: path("\(system.rawValue).signing.key"))
    }
}
