import Logging
import ServiceLifecycle

/// Releases expired reservations every `interval`, until graceful shutdown.
struct ReservationSweeper: Service {
    let operations: BudgetOperations
    let interval: Duration
    let logger: Logger

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    try await Task.sleep(for: interval)
                } catch {
                    return
                }
                do {
                    let expired = try await operations.expireReservations()
                    if expired > 0 { logger.info("released expired reservations", metadata: ["count": "\(expired)"]) }
                } catch {
                    logger.warning("expiry sweep failed", metadata: ["error": "\(error)"])
                }
            }
        }
    }
}
