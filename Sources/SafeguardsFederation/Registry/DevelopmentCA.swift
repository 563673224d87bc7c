import SwiftASN1
import X509

/// Recognises the development federation CA shipped in `Certs/`, whose private key is public.
public enum DevelopmentCA {
    /// Whether the DER certificate is a CA named like the development CA.
    public static func isDevelopmentCA(derEncoded bytes: [UInt8]) -> Bool {
        guard let certificate = try? Certificate(derEncoded: bytes) else { return false }
        return certificate.subject.description.contains(CertificateAuthority.developmentName)
    }
}
