/// Why a certificate, a key or an identity file was refused or could not be made.
///
/// Shaped like grpc-swift's `RuntimeError`: an extensible ``Code`` to branch on, a message for a
/// person (it names the file or the system id in question) and the underlying error, if any.
public struct IdentityError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, stable enough to branch on.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }

        public var description: String { name }

        /// A certificate is not valid DER or PEM, or is not a certificate.
        public static let invalidCertificate = Code("invalid certificate")
        /// A private or public key is malformed: bad base64, bad PEM, wrong length, wrong algorithm.
        public static let invalidKey = Code("invalid key")
        /// A private key does not belong to the certificate it was paired with.
        public static let keyMismatch = Code("key mismatch")
        /// A certificate meant to act as the federation CA is not a CA certificate.
        public static let notCertificateAuthority = Code("not a certificate authority")
        /// A certificate names no system id, names several, or names one that is not valid.
        public static let noSystemID = Code("no system id")
        /// A requested validity period is empty or outside what the issuer allows.
        public static let invalidValidity = Code("invalid validity")
        /// A certificate could not be built or signed.
        public static let issuanceFailed = Code("issuance failed")
        /// A certificate does not chain to the federation CA or breaks the node certificate profile.
        public static let untrusted = Code("untrusted certificate")
        /// A file could not be read or written.
        public static let fileAccess = Code("file access")
        /// A file exists and overwriting was not allowed.
        public static let fileExists = Code("file exists")
    }

    /// What went wrong.
    public var code: Code
    /// What went wrong, for a person, naming the file or id involved.
    public var message: String
    /// The error that caused this one, if any.
    public var cause: (any Error)?

    /// An error with `code`, `message` and an optional underlying `cause`.
    public init(code: Code, message: String, cause: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    public var description: String {
        guard let cause else { return message }
        return "\(message) (\(cause))"
    }
}
