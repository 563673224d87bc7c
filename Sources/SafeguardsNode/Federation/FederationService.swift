import Logging
import SafeguardsTransport
import ServiceLifecycle

/// Runs the federation listener until graceful shutdown; then stops it and closes the outgoing
/// connections at the same time, and writes what the peer registry holds in memory.
///
/// Both sides close their TLS connections concurrently, each waiting at most
/// ``TLSIdentity/closeNotifyWait`` for a peer's answer, so a peer that has vanished costs the
/// shutdown that long once, not once per connection.
struct FederationService: Service {
    let listener: PeerListener
    let node: FederationNode
    let onListening: @Sendable (Int) async -> Void

    func run() async throws {
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await serveUntilShutdown() }
                group.addTask {
                    // Throws when cancelled: the listener failed before any shutdown began.
                    guard (try? await gracefulShutdown()) != nil else { return }
                    await node.closeOutgoing()
                }
                defer { group.cancelAll() }
                try await group.next()
            }
        } catch {
            await node.shutdown()
            throw error
        }
        await node.shutdown()
    }

    private func serveUntilShutdown() async throws {
        do {
            try await cancelWhenGracefulShutdown {
                try await listener.run(responder: node, onBound: onListening)
            }
        } catch is CancellationError {
            // Graceful shutdown cancels the listener: that is how it is meant to stop.
        } catch where Task.isCancelled || Task.isShuttingDownGracefully {
            // Errors from connections torn down by the shutdown itself are not failures.
        }
    }
}
