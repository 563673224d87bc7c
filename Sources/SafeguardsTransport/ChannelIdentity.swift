import NIOCore
import NIOSSL
import NIOTLS
import SafeguardsFederation

/// Learns, once the TLS handshake has completed, which certificate the other side presented,
/// and fails when the handshake fails or the channel closes first.
final class HandshakeIdentityHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny

    /// Completed with the DER bytes of the peer's leaf certificate.
    let certificate: EventLoopPromise<[UInt8]>
    private var completed = false

    init(certificate: EventLoopPromise<[UInt8]>) {
        self.certificate = certificate
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? TLSUserEvent, case .handshakeCompleted = event {
            do {
                let handler = try context.pipeline.syncOperations.handler(type: NIOSSLHandler.self)
                guard let peer = handler.peerCertificate else {
                    throw TransportError.handshakeFailed("the peer presented no certificate")
                }
                succeed(try peer.toDERBytes())
            } catch {
                fail(error)
                context.close(promise: nil)
            }
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(TransportError.handshakeFailed("\(error)"))
        context.fireErrorCaught(error)
    }

    func channelInactive(context: ChannelHandlerContext) {
        fail(TransportError.handshakeFailed("the connection closed during the handshake"))
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        // A channel that never connected is torn down without ever going inactive.
        fail(TransportError.handshakeFailed("the connection was never established"))
    }

    private func succeed(_ bytes: [UInt8]) {
        guard !completed else { return }
        completed = true
        certificate.succeed(bytes)
    }

    private func fail(_ error: any Error) {
        guard !completed else { return }
        completed = true
        certificate.fail(error)
    }
}

/// Closes a channel that has been idle (nothing read) for the idle timeout: a silent peer, a
/// half-open connection whose other end vanished, or a handshake that never finishes.
final class IdleCloseHandler: ChannelInboundHandler {
    typealias InboundIn = NIOAny

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent {
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }
}

/// Names the system a certificate belongs to; injected so the transport stays free of X.509 parsing.
public typealias CertificateIdentifier = @Sendable ([UInt8]) throws -> SystemID

/// Whether an error that ended a connection means the peer broke the channel's rules (an
/// oversize frame, bytes that are not TLS), as opposed to the network or the peer going away.
func isProtocolViolation(_ error: any Error) -> Bool {
    switch error {
    case is TransportError, is ByteToMessageDecoderError:
        return true
    case let error as NIOSSLError:
        if case .uncleanShutdown = error { return false }
        return true
    case is BoringSSLError:
        return true
    default:
        return false
    }
}
