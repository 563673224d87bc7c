import SafeguardsCore
import SafeguardsStore
import ServiceLifecycle

/// Holds the node's writer until graceful shutdown, then waits until every change submitted
/// before is committed, so the node's last commit is done before its data folder is unlocked.
struct WriterDrain: Service {
    let writer: BudgetWriter

    func run() async throws {
        do { try await gracefulShutdown() } catch { return }
        // Every answer of the writer waits for the commit of its own group and of every group
        // before it; this command changes nothing, so its answer marks the end of the writes.
        _ = try? await writer.submit(.federation(FederationPosting(operations: [], record: nil)))
    }
}
