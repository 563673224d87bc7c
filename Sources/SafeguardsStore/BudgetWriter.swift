import Logging
import NIOCore
import NIOPosix
import SafeguardsCore

/// The one writer of a node's budget state, with group commit.
///
/// Callers ``submit(_:)`` a command and wait. The writer takes every command queued so far,
/// applies each to the in-memory book in order (a refused one changes nothing and does not
/// affect the others), writes all their changes in one SQLite transaction, and only then answers
/// each caller. Under load one fsync serves many requests; alone, a request costs one fsync.
///
/// The actor runs on a thread of its own, so the synchronous SQLite commit never blocks Swift's
/// cooperative pool, and no reader can observe a change before it is durable: apply and commit
/// happen with no suspension point between them. When a commit fails, the book is reloaded from
/// SQLite, so memory never holds what the disk does not.
public actor BudgetWriter {
    let store: LedgerStore
    private var book: BudgetBook
    private let now: @Sendable () -> Timestamp
    private let logger: Logger
    private let thread: MultiThreadedEventLoopGroup
    private let executor: any SerialExecutor
    private var queue: [(BudgetCommand, CheckedContinuation<Result<BudgetResult, SafeguardsError>, Never>)] = []
    private var flushScheduled = false
    private var failure: StoreError?
    /// Counters for metrics and benchmarks.
    public private(set) var statistics = Statistics()

    /// How hard group commit is working.
    public struct Statistics: Sendable {
        /// SQLite transactions committed.
        public var commits = 0
        /// Commands applied (accepted or refused).
        public var commands = 0
        /// Commands refused by validation.
        public var refused = 0
        /// The largest number of commands served by one commit.
        public var largestGroup = 0
    }

    public nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }

    /// Loads the book from `store` and starts the writer. `now` is the clock every change is stamped with.
    public init(store: LedgerStore, now: @escaping @Sendable () -> Timestamp, logger: Logger) throws(StoreError) {
        self.store = store
        self.book = try store.loadBook()
        self.now = now
        self.logger = logger
        self.thread = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        self.executor = thread.next().executor
    }

    deinit {
        thread.shutdownGracefully { _ in }
    }

    /// Applies `command` durably. Returns once its change is committed to SQLite, or throws the
    /// reason it was refused (nothing changed) or could not be made durable (``SafeguardsError/Code/unavailable``).
    public func submit(_ command: BudgetCommand) async throws(SafeguardsError) -> BudgetResult {
        let result = await withCheckedContinuation { continuation in
            queue.append((command, continuation))
            if !flushScheduled {
                flushScheduled = true
                Task { self.flush() }
            }
        }
        return try result.get()
    }

    /// Reads the current (committed) state.
    public func read<T: Sendable>(_ body: (borrowing BudgetBook) throws -> T) rethrows -> T {
        try body(book)
    }

    private func flush() {
        let batch = queue
        queue.removeAll(keepingCapacity: true)
        flushScheduled = false
        guard !batch.isEmpty else { return }
        if let failure {
            let error = SafeguardsError(.unavailable, failure.description)
            for (_, continuation) in batch { continuation.resume(returning: .failure(error)) }
            return
        }
        let time = now()
        var results: [Result<BudgetResult, SafeguardsError>] = []
        results.reserveCapacity(batch.count)
        for (command, _) in batch {
            do throws(SafeguardsError) {
                results.append(.success(try book.execute(command, now: time)))
            } catch {
                results.append(.failure(error))
                statistics.refused += 1
            }
        }
        statistics.commands += batch.count
        let changes = book.takeUnsavedChanges()
        do {
            try store.write(changes)
            if !changes.isEmpty {
                statistics.commits += 1
                statistics.largestGroup = max(statistics.largestGroup, batch.count)
            }
        } catch {
            logger.error("commit failed; reloading state from disk", metadata: ["error": "\(error)"])
            let unavailable = SafeguardsError(.unavailable, "the change could not be made durable: \(error)")
            results = Array(repeating: .failure(unavailable), count: batch.count)
            do {
                book = try store.loadBook()
            } catch {
                logger.critical("reloading state failed; refusing all changes", metadata: ["error": "\(error)"])
                failure = error
            }
        }
        for ((_, continuation), result) in zip(batch, results) { continuation.resume(returning: result) }
    }
}
