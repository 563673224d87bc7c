/// The `api.tls` section: the API serves HTTPS (TLS 1.2 or 1.3) instead of plain HTTP.
///
/// ```yaml
/// api:
///   tls:
///     certificate: Certs/api.pem   # the API's certificate chain (PEM), leaf first
///     private_key: Certs/api.key   # its private key (PEM)
///     client_ca: Certs/ca.pem      # optional: clients must present a certificate signed by this CA
/// ```
///
/// Paths are relative to the working folder the node starts in, as the federation section's are.
/// The files are read and checked when the node opens (``APIServerTLS/load(_:)``), before anything
/// listens: a missing file, a key that is not the certificate's or an unreadable CA stops the node
/// with the key named.
public struct APITLSConfig: Sendable, Equatable {
    public var certificatePath: String
    public var privateKeyPath: String
    /// The CA that client certificates must chain to; `nil` asks for none.
    public var clientCAPath: String?

    public init(certificatePath: String, privateKeyPath: String, clientCAPath: String? = nil) {
        self.certificatePath = certificatePath
        self.privateKeyPath = privateKeyPath
        self.clientCAPath = clientCAPath
    }

    static func parse(_ section: inout ConfigSection) throws(ConfigError) -> APITLSConfig {
        let complaint = "is required in the tls section (a PEM file path)"
        let certificate = try section.required("certificate", complaint)
        let privateKey = try section.required("private_key", complaint)
        let clientCA = try section.string("client_ca")
        if let clientCA, clientCA.isEmpty {
            throw ConfigError(key: section.qualified("client_ca"), "must be a PEM file path")
        }
        return APITLSConfig(certificatePath: certificate, privateKeyPath: privateKey, clientCAPath: clientCA)
    }
}
