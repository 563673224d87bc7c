import NIOCore
import NIOSSL

/// What a node proves itself with on a federation channel, and whom it trusts: its certificate
/// chain and private key, and the federation CA that every peer's certificate must chain to.
///
/// Both directions are mutual TLS 1.3: a server requires and verifies the client's certificate
/// (NIOSSL's server default verifies nothing, so it is set explicitly), and a client verifies
/// the server's. Hostnames are not checked by TLS; the system id a certificate names is checked
/// against the peer record by the caller (``ChannelIdentity``), which is stricter.
public struct TLSIdentity: Sendable {
    public let trustRoots: [NIOSSLCertificate]
    public let certificateChain: [NIOSSLCertificate]
    public let privateKey: NIOSSLPrivateKey

    public init(trustRoots: [NIOSSLCertificate], certificateChain: [NIOSSLCertificate], privateKey: NIOSSLPrivateKey) {
        self.trustRoots = trustRoots
        self.certificateChain = certificateChain
        self.privateKey = privateKey
    }

    /// Loads PEM files: the CA certificate(s), this node's certificate (chain) and its private key.
    public static func load(caPath: String, certificatePath: String, privateKeyPath: String) throws(TransportError)
        -> TLSIdentity
    {
        do {
            return TLSIdentity(
                trustRoots: try NIOSSLCertificate.fromPEMFile(caPath),
                certificateChain: try NIOSSLCertificate.fromPEMFile(certificatePath),
                privateKey: try NIOSSLPrivateKey(file: privateKeyPath, format: .pem))
        } catch {
            throw .configuration("cannot load TLS identity (\(caPath), \(certificatePath), \(privateKeyPath)): \(error)")
        }
    }

    /// From PEM bytes already in memory.
    public init(caPEM: [UInt8], certificatePEM: [UInt8], privateKeyPEM: [UInt8]) throws(TransportError) {
        do {
            self.init(
                trustRoots: try NIOSSLCertificate.fromPEMBytes(caPEM),
                certificateChain: try NIOSSLCertificate.fromPEMBytes(certificatePEM),
                privateKey: try NIOSSLPrivateKey(bytes: privateKeyPEM, format: .pem))
        } catch {
            throw .configuration("cannot read TLS identity: \(error)")
        }
    }

    /// How long closing a connection waits for the peer's `close_notify` after sending ours; then
    /// the TCP connection is closed anyway.
    ///
    /// An honest peer answers within one round trip. NIOSSL waits 5 s by default, and a peer that
    /// has vanished without a reset (a frozen process, a stopped container whose address is gone)
    /// never answers: each of its connections then held a node's shutdown for 5 s, 10-20 s in all.
    /// Nothing is lost by not waiting longer: every frame is length-prefixed and answered, so a
    /// truncated exchange is a failed request that is retried under its id, never a shorter one.
    public static let closeNotifyWait: Duration = .milliseconds(500)

    /// A server context that requires a client certificate signed by the federation CA.
    public func makeServerContext() throws(TransportError) -> NIOSSLContext {
        var configuration = TLSConfiguration.makeServerConfigurationWithMTLS(
            certificateChain: certificateChain.map { .certificate($0) }, privateKey: .privateKey(privateKey),
            trustRoots: .certificates(trustRoots))
        configuration.certificateVerification = .noHostnameVerification
        configuration.minimumTLSVersion = .tlsv13
        configuration.maximumTLSVersion = .tlsv13
        configuration.shutdownTimeout = TimeAmount(Self.closeNotifyWait)
        return try Self.context(configuration)
    }

    /// A client context that presents this node's certificate and verifies the server's against the CA.
    public func makeClientContext() throws(TransportError) -> NIOSSLContext {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.certificateChain = certificateChain.map { .certificate($0) }
        configuration.privateKey = .privateKey(privateKey)
        configuration.trustRoots = .certificates(trustRoots)
        configuration.certificateVerification = .noHostnameVerification
        configuration.minimumTLSVersion = .tlsv13
        configuration.maximumTLSVersion = .tlsv13
        configuration.shutdownTimeout = TimeAmount(Self.closeNotifyWait)
        return try Self.context(configuration)
    }

    private static func context(_ configuration: TLSConfiguration) throws(TransportError) -> NIOSSLContext {
        do { return try NIOSSLContext(configuration: configuration) } catch {
            throw .configuration("cannot build a TLS context: \(error)")
        }
    }
}

extension TLSIdentity {
    /// DER bytes of this node's own (leaf) certificate.
    public func leafCertificateDER() throws(TransportError) -> [UInt8] {
        guard let leaf = certificateChain.first else { throw .configuration("the certificate file holds no certificate") }
        do { return try leaf.toDERBytes() } catch { throw .configuration("cannot encode the certificate: \(error)") }
    }

    /// DER bytes of each trusted federation CA certificate.
    public func trustRootsDER() throws(TransportError) -> [[UInt8]] {
        do { return try trustRoots.map { try $0.toDERBytes() } } catch {
            throw .configuration("cannot encode the CA certificate: \(error)")
        }
    }
}
