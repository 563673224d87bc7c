import Logging
import SafeguardsCore
import SafeguardsPolicies
import SafeguardsStore
import ServiceLifecycle

/// Resets budget periods at their boundaries, until graceful shutdown.
///
/// One loop for every agent and pool (no timer per owner): it checks the committed periods
/// with a ``PeriodPlan``, submits the due resets (pools first), then sleeps until the earliest
/// boundary ahead, at most `longestSleep`, so a period set through the API is seen within that.
/// The first check runs at start, so boundaries missed while the node was down are caught up
/// at once, each owner reset once. A reset is idempotent (``BudgetCommand/resetPeriod(_:periodStart:)``):
/// a check that sees a reset before its commit is visible submits it again, harmlessly.
struct PeriodScheduler: Service {
    let writer: BudgetWriter
    let logger: Logger
    var longestSleep: Duration = .seconds(1)

    func run() async throws {
        await cancelWhenGracefulShutdown {
            var plan = PeriodPlan()
            while !Task.isCancelled {
                let next = await check(&plan)
                let now = writer.now()
                let wait = next.map { min(longestSleep, max(.milliseconds(1), now.duration(to: $0))) } ?? longestSleep
                do { try await Task.sleep(for: wait) } catch { return }
            }
        }
    }

    /// Submits the resets due now; returns the earliest boundary ahead.
    func check(_ plan: inout PeriodPlan) async -> Timestamp? {
        let (resets, next) = plan.due(in: writer.view { $0.periods }, at: writer.now())
        for reset in resets {
            do {
                _ = try await writer.submit(.resetPeriod(reset.owner, periodStart: reset.periodStart))
                logger.info(
                    "budget period reset",
                    metadata: ["period.owner": "\(reset.owner)", "period.start": "\(reset.periodStart)"])
            } catch {
                logger.warning(
                    "budget period reset failed", metadata: ["period.owner": "\(reset.owner)", "error": "\(error)"])
            }
        }
        return next
    }
}
