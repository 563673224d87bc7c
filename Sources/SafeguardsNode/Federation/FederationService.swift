import Logging
import SafeguardsTransport
import ServiceLifecycle

/// Runs the federation listener until graceful shutdown, then closes outgoing connections.
struct FederationService: Service {
    let listener: PeerListener
    let node: FederationNode
    let onListening: @Sendable (Int) async -> Void

    func run() async throws {
        try await cancelWhenGracefulShutdown {
            try await listener.run(responder: node, onBound: onListening)
        }
        await node.shutdown()
    }
}
