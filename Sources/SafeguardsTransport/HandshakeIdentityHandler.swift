import NIOCore
import NIOSSL
import NIOTLS
import SafeguardsFederation

/// Decides who is on a federation channel: once, from the TLS peer certificate, within a deadline.
///
/// Rules:
/// - A channel has an identity only once the TLS handshake completed and the peer's certificate
///   names exactly one valid system id (``CertificateIdentifier``); a certificate the CA signed
///   that names none, several, a wildcard or an invalid one is refused like any other failure.
/// - No application byte passes this handler before the identity is known, and none ever does
///   after a refusal: frames sent right behind the handshake reach no one.
/// - The handshake and the check must complete within `deadline`, counted from the moment the
///   handler is added (at accept on a listener, when the dial starts on a dialer), however slowly
///   the bytes trickle in. A byte read does not extend it, unlike the idle timeout.
/// - Every failure (deadline, refused certificate, TLS error, early close) completes `identity`
///   exactly once, with the reason, and closes the channel from its event loop; the TLS handler
///   sends its alert or close_notify when the handshake got that far. Whoever owns the channel
///   above still has to close its own wrapper (``PeerListener`` does so inside `executeThenClose`).
final class HandshakeIdentityHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private enum State {
        case handshaking
        case identified
        case refused
    }

    /// Completed with the system the peer's certificate names, or failed with why there is none.
    let identity: EventLoopPromise<SystemID>
    private let identify: CertificateIdentifier
    private let deadline: TimeAmount
    private var state = State.handshaking
    private var timer: Scheduled<Void>?

    init(identify: @escaping CertificateIdentifier, deadline: TimeAmount, identity: EventLoopPromise<SystemID>) {
        self.identify = identify
        self.deadline = deadline
        self.identity = identity
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let deadline = deadline
        timer = context.eventLoop.assumeIsolated().scheduleTask(in: deadline) {
            self.refuse(
                context,
                TransportError.handshakeFailed(
                    "no completed handshake within \(deadline.nanoseconds / 1_000_000) ms of connecting"))
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        // A channel that never connected is torn down without ever going inactive.
        settle(.failure(TransportError.handshakeFailed("the connection was never established")))
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? TLSUserEvent, case .handshakeCompleted = event, state == .handshaking {
            do {
                let handler = try context.pipeline.syncOperations.handler(type: NIOSSLHandler.self)
                guard let peer = handler.peerCertificate else {
                    throw TransportError.handshakeFailed("the peer presented no certificate")
                }
                settle(.success(try identify(try peer.toDERBytes())))
            } catch {
                refuse(context, error)
            }
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // Bytes before the identity is known, or after a refusal, are dropped unread.
        guard state == .identified else { return }
        context.fireChannelRead(data)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if state == .handshaking { refuse(context, TransportError.handshakeFailed("\(error)")) }
        context.fireErrorCaught(error)
    }

    func channelInactive(context: ChannelHandlerContext) {
        settle(.failure(TransportError.handshakeFailed("the connection closed during the handshake")))
        context.fireChannelInactive()
    }

    private func refuse(_ context: ChannelHandlerContext, _ error: any Error) {
        guard state == .handshaking else { return }
        settle(.failure(error))
        context.close(promise: nil)
    }

    private func settle(_ result: Result<SystemID, any Error>) {
        timer?.cancel()
        timer = nil
        guard state == .handshaking else { return }
        switch result {
        case .success(let system):
            state = .identified
            identity.succeed(system)
        case .failure(let error):
            state = .refused
            identity.fail(error)
        }
    }
}
