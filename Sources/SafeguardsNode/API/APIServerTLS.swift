import Foundation
import NIOCore
import NIOSSL
import NIOTLS
import SafeguardsFederation

/// The API's TLS, built from `api.tls` when the node opens: a NIOSSL server context and the
/// handshake deadline.
///
/// - TLS 1.2 is the oldest version accepted; 1.3 is preferred.
/// - With `client_ca`, a client must present a certificate that chains to it (NIOSSL's server
///   verifies nothing unless told, so verification is set explicitly; there is no hostname to
///   check on a client certificate). Without it, no certificate is asked for.
/// - A handshake must be complete within `api.handshake_timeout` of accept
///   (``TLSHandshakeDeadlineHandler``); until then the connection holds one of `max_connections`.
/// - Plain HTTP sent to the TLS port fails the handshake and the connection is closed.
struct APIServerTLS: Sendable {
    let context: NIOSSLContext
    let handshakeTimeout: TimeAmount

    /// How long closing a connection waits for the client's `close_notify` (as the federation's
    /// listener does: a client that vanished must not hold a shutdown for NIOSSL's 5 s).
    static let closeNotifyWait = TimeAmount.milliseconds(500)

    /// Reads and checks the files of `api.tls`; `nil` when the API serves plain HTTP.
    ///
    /// - Throws: ``ConfigError`` naming `api.tls.certificate`, `api.tls.private_key` or
    ///   `api.tls.client_ca` when its file is missing or unreadable, holds no certificate or key,
    ///   the key is not the certificate's, or group or others may read or write the key.
    static func load(_ api: NodeConfig.APIConfig) throws(ConfigError) -> APIServerTLS? {
        guard let tls = api.tls else { return nil }
        let chain = try certificates(at: tls.certificatePath, key: "api.tls.certificate")
        try requireReadable(tls.privateKeyPath, key: "api.tls.private_key")
        // As for the federation's keys: another local user must not be able to read or swap it.
        if let mode = IdentityFiles.exposedMode(of: tls.privateKeyPath) {
            throw ConfigError(
                key: "api.tls.private_key",
                "\(tls.privateKeyPath) is readable or writable by group or others (mode \(String(mode, radix: 8))); "
                    + "a private key must be its owner's alone: chmod 600 \(tls.privateKeyPath)")
        }
        let privateKey: NIOSSLPrivateKey
        do { privateKey = try NIOSSLPrivateKey(file: tls.privateKeyPath, format: .pem) } catch {
            throw ConfigError(
                key: "api.tls.private_key", "\(tls.privateKeyPath) is not a PEM private key (\(error))")
        }
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(privateKey))
        configuration.minimumTLSVersion = .tlsv12
        configuration.shutdownTimeout = closeNotifyWait
        if let caPath = tls.clientCAPath {
            configuration.trustRoots = .certificates(try certificates(at: caPath, key: "api.tls.client_ca"))
            configuration.certificateVerification = .noHostnameVerification
            configuration.sendCANameList = true
        }
        do {
            return APIServerTLS(
                context: try NIOSSLContext(configuration: configuration),
                handshakeTimeout: TimeAmount(api.handshakeTimeout))
        } catch {
            // BoringSSL refuses a key whose public half is not the leaf certificate's.
            throw ConfigError(
                key: "api.tls.private_key",
                "\(tls.privateKeyPath) is not the key of the certificate in \(tls.certificatePath) (\(error))")
        }
    }

    /// The PEM certificates in the file at `path`, at least one.
    private static func certificates(at path: String, key: String) throws(ConfigError) -> [NIOSSLCertificate] {
        try requireReadable(path, key: key)
        let certificates: [NIOSSLCertificate]
        do { certificates = try NIOSSLCertificate.fromPEMFile(path) } catch {
            throw ConfigError(key: key, "\(path) cannot be read as PEM certificates (\(error))")
        }
        guard !certificates.isEmpty else { throw ConfigError(key: key, "\(path) holds no PEM certificate") }
        return certificates
    }

    private static func requireReadable(_ path: String, key: String) throws(ConfigError) {
        guard FileManager.default.isReadableFile(atPath: path) else {
            let reason = FileManager.default.fileExists(atPath: path) ? "cannot be read" : "does not exist"
            throw ConfigError(key: key, "\(path) \(reason)")
        }
    }
}

/// Closes an API connection whose TLS handshake has not completed within the deadline of its
/// accept: a client that connects and sends nothing, or stalls halfway, holds a connection slot
/// for that long at most. Sits right after the `NIOSSLServerHandler` and leaves once the
/// handshake is done.
final class TLSHandshakeDeadlineHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer

    private let timeout: TimeAmount
    private var timer: Scheduled<Void>?

    init(timeout: TimeAmount) {
        self.timeout = timeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        timer = context.eventLoop.assumeIsolated().scheduleTask(in: timeout) {
            context.close(promise: nil)
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? TLSUserEvent, case .handshakeCompleted = event {
            timer?.cancel()
            timer = nil
            context.fireUserInboundEventTriggered(event)
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
    }
}
