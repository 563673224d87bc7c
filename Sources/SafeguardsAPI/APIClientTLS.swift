import NIOSSL

/// How a ``SafeguardsClient`` speaks TLS to a node whose API serves `https` (`api.tls`).
///
/// - `caPath`: PEM file of the CA (or CAs) that signed the node's certificate, for a private CA;
///   without it the system's trust roots are used. The node's certificate must also name the host
///   the client dials (DNS or IP subject alternative name): the hostname is always verified.
/// - `certificatePath` and `privateKeyPath`: the client's own certificate and key (PEM), for a node
///   whose `api.tls.client_ca` requires one. Both or neither.
///
/// TLS 1.2 is the oldest version offered, as the node accepts.
public struct APIClientTLS: Sendable, Equatable {
    public var caPath: String?
    public var certificatePath: String?
    public var privateKeyPath: String?

    public init(caPath: String? = nil, certificatePath: String? = nil, privateKeyPath: String? = nil) {
        self.caPath = caPath
        self.certificatePath = certificatePath
        self.privateKeyPath = privateKeyPath
    }

    /// Whether any file is given.
    public var isEmpty: Bool { caPath == nil && certificatePath == nil && privateKeyPath == nil }

    /// The NIOSSL client configuration these files describe.
    ///
    /// - Throws: ``APIClientError/configuration(_:)`` naming the file that cannot be read or
    ///   parsed, or a certificate given without its key (or a key without its certificate).
    func configuration() throws(APIClientError) -> TLSConfiguration {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.minimumTLSVersion = .tlsv12
        if let caPath {
            do {
                configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(caPath))
            } catch {
                throw .configuration("the CA file \(caPath) cannot be read as PEM certificates: \(error)")
            }
        }
        switch (certificatePath, privateKeyPath) {
        case (nil, nil):
            break
        case (let certificatePath?, let privateKeyPath?):
            do {
                configuration.certificateChain = try NIOSSLCertificate.fromPEMFile(certificatePath).map {
                    .certificate($0)
                }
            } catch {
                throw .configuration("the client certificate \(certificatePath) cannot be read as PEM: \(error)")
            }
            do {
                configuration.privateKey = .privateKey(try NIOSSLPrivateKey(file: privateKeyPath, format: .pem))
            } catch {
                throw .configuration("the client key \(privateKeyPath) cannot be read as a PEM private key: \(error)")
            }
        case (.some, nil):
            throw .configuration("a client certificate needs its private key as well")
        case (nil, .some):
            throw .configuration("a client private key needs its certificate as well")
        }
        return configuration
    }
}
