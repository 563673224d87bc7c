import Logging
import SafeguardsTransport
import ServiceLifecycle

/// Runs the federation listener until graceful shutdown, then closes outgoing connections.
struct FederationService: Service {
    let listener: PeerListener
    let node: FederationNode
    let onListening: @Sendable (Int) async -> Void

    func run() async throws {
        do {
            try await cancelWhenGracefulShutdown {
                try await listener.run(responder: node, onBound: onListening)
            }
        } catch is CancellationError {
            // Graceful shutdown cancels the listener: that is how it is meant to stop.
        } catch where Task.isCancelled || Task.isShuttingDownGracefully {
            // Errors from connections torn down by the shutdown itself are not failures.
        }
        await node.shutdown()
    }
}
