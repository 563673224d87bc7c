import NIOCore
import NIOSSL
import NIOTLS
import SafeguardsFederation

/// Closes a channel that has been idle (nothing read) for the idle timeout: a silent peer or a
/// half-open connection whose other end vanished. (A handshake that trickles bytes is not idle;
/// ``HandshakeIdentityHandler`` ends it at its deadline.)
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
