import Logging
import ServiceLifecycle

/// Runs a service whose graceful shutdown finishes the work in flight (the API server: it stops
/// accepting, closes idle keep-alive connections at once and answers the requests it is
/// serving), and bounds that wait.
///
/// When `grace` has passed since graceful shutdown began and the service still runs, the work
/// in flight is cut: `cut` runs first (the node closes its outgoing peer connections, so a
/// request waiting for a peer answers with the failure at once), and what still runs
/// ``answerAfterCut`` later is cancelled (its connections close, and writes to clients that
/// stopped reading fail). A change a cut request submitted is committed whole or not at all by
/// the writer; a client that lost its answer learns the outcome by asking again with the same
/// idempotency key.
struct ShutdownGrace<Base: Service>: Service {
    let base: Base
    /// How long graceful shutdown may take before the work in flight is cut.
    let grace: Duration
    /// Ends what the base's work may be waiting on, before the base is cancelled.
    let cut: @Sendable () async -> Void
    let logger: Logger

    /// How long requests may take to answer once what they waited for was cut.
    static var answerAfterCut: Duration { .seconds(1) }

    private enum Outcome: Sendable {
        case finished
        case graceExpired
        case timerStopped
    }

    func run() async throws {
        try await withThrowingTaskGroup(of: Outcome.self) { group in
            group.addTask {
                try await base.run()
                return .finished
            }
            group.addTask {
                do {
                    try await gracefulShutdown()
                    logger.info(
                        "shutting down: the API accepts no new connections and finishes the requests in flight",
                        metadata: ["api.shutdown_grace": "\(grace)"])
                    try await Task.sleep(for: grace)
                    return .graceExpired
                } catch {
                    // Cancelled: the base finished first, or the whole node is being cancelled.
                    return .timerStopped
                }
            }
            defer { group.cancelAll() }
            switch try await group.next() {
            case .graceExpired:
                logger.warning(
                    "requests still in flight after api.shutdown_grace: cutting them",
                    metadata: ["api.shutdown_grace": "\(grace)"])
                await cut()
                group.addTask {
                    try? await Task.sleep(for: Self.answerAfterCut)
                    return .graceExpired
                }
                if case .graceExpired = try? await group.next() {
                    logger.warning("requests still in flight after the cut: cancelling them")
                }
                group.cancelAll()
                // The base's own error after being cancelled is the cut, not a failure.
                while let _ = try? await group.next() {}
            case .timerStopped:
                _ = try await group.next()
            case .finished, nil:
                break
            }
        }
    }
}
