import Hummingbird
import NIOCore

/// The API's request context: Hummingbird's basic context, and the address the connection came
/// from (for limits kept per client, such as the status page's failed sign-ins).
struct NodeRequestContext: RequestContext, RemoteAddressRequestContext {
    var coreContext: CoreRequestContextStorage
    /// The connection's peer; `nil` when the channel no longer knows it.
    let remoteAddress: SocketAddress?

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }

    /// The client's IP address as text (`127.0.0.1`, `::1`), or `unknown`.
    var clientAddress: String { remoteAddress?.ipAddress ?? "unknown" }
}
