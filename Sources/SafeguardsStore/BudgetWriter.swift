import Logging
import NIOCore
import NIOPosix
import SafeguardsCore
import Synchronization

/// The one writer of a node's budget state, with pipelined group commit.
///
/// Callers ``submit(_:)`` a command and wait. The writer takes every command queued so far,
/// applies each to the in-memory book in order (a refused one changes nothing and does not
/// affect the others) and hands the group's changes to its ``GroupCommitter``, which writes
/// them to SQLite and only then answers each caller. While one group is being synced, the
/// writer applies the next: groups that queue up behind a sync are written together, in order,
/// in the next transaction. Under load one fsync serves many requests; alone, a request costs
/// one fsync.
///
/// Every answer waits for the commit of its own group and of every group before it, refusals
/// and replays included, so a caller is never told of state that is not durable. Readers use
/// ``view(_:)``, which shows what is committed and never waits for the writer. When a commit
/// fails, every group applied after it fails too, and the book is reloaded from SQLite, so
/// memory never holds what the disk does not.
///
/// The actor runs on a thread of its own and the commits on the committer's, so the
/// synchronous SQLite work never blocks Swift's cooperative pool.
public actor BudgetWriter {
    let store: LedgerStore
    private var book: BudgetBook
    /// The clock every change is stamped with.
    public nonisolated let now: @Sendable () -> Timestamp
    /// How long a transfer stays in memory after it was created or resolved.
    private let idempotencyWindow: Duration
    private let logger: Logger
    private let thread: MultiThreadedEventLoopGroup
    private let executor: any SerialExecutor
    private let inbox = Mutex(Inbox())
    private let committer: GroupCommitter
    /// Bumped when the book is reloaded after a failed commit; groups applied before carry the old value.
    private var epoch = 0
    private var failure: StoreError?

    /// Commands waiting for the writer.
    private struct Inbox: ~Copyable {
        var commands: [(BudgetCommand, GroupCommitter.Continuation)] = []
        var flushScheduled = false
    }

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

    /// Counters for metrics and benchmarks.
    public var statistics: Statistics { committer.statistics }

    public nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }

    /// How many transfers one flush takes out of memory at most: small steps, so the writer is
    /// never held up for long, and more than a flush can add, so memory keeps up.
    static let evictionStep = 1024

    /// Loads the book from `store` and starts the writer. `now` is the clock every change is
    /// stamped with; transfers stay in memory for `idempotencyWindow` after they were created or
    /// resolved (pending ones until they are resolved), and are read from the journal after that.
    public init(
        store: LedgerStore, now: @escaping @Sendable () -> Timestamp, idempotencyWindow: Duration = .seconds(86_400),
        logger: Logger
    ) throws(StoreError) {
        self.store = store
        let book = try store.loadBook(windowStart: now().advanced(by: .zero - idempotencyWindow))
        self.book = book
        self.now = now
        self.idempotencyWindow = idempotencyWindow
        self.logger = logger
        self.thread = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        self.executor = thread.next().executor
        self.committer = GroupCommitter(
            store: store, view: BudgetView(book), retirementMark: book.ledger.retirementMark, logger: logger)
        committer.onFailure { [weak self] epoch, callers, error in
            guard let self else {
                for caller in callers { caller.resume(returning: .failure(error)) }
                return
            }
            Task { await self.recover(afterFailureIn: epoch, answering: callers, with: error) }
        }
    }

    deinit {
        thread.shutdownGracefully { _ in }
    }

    /// Applies `command` durably. Returns once its change is committed to SQLite, or throws the
    /// reason it was refused (nothing changed) or could not be made durable (``SafeguardsError/Code/unavailable``).
    public nonisolated func submit(_ command: BudgetCommand) async throws(SafeguardsError) -> BudgetResult {
        let result = await withCheckedContinuation { continuation in
            let schedule = inbox.withLock { inbox in
                inbox.commands.append((command, continuation))
                defer { inbox.flushScheduled = true }
                return !inbox.flushScheduled
            }
            if schedule { Task { await self.flush() } }
        }
        return try result.get()
    }

    /// Reads the writer's own state: every command applied so far, including those whose commit
    /// is still in flight. For decisions that lead to further commands; never to answer a caller
    /// or a peer (use ``view(_:)``).
    public func read<T: Sendable>(_ body: (borrowing BudgetBook) throws -> T) rethrows -> T {
        try body(book)
    }

    /// Reads the committed state, without waiting for the writer (see ``BudgetView``).
    public nonisolated func view<T: Sendable>(_ body: (BudgetView) -> T) -> T {
        committer.view(body)
    }

    private func flush() {
        let batch = inbox.withLock { inbox in
            inbox.flushScheduled = false
            return inbox.commands.take()
        }
        guard !batch.isEmpty else { return }
        if let failure {
            let error = SafeguardsError(.unavailable, failure.description)
            for (_, continuation) in batch { continuation.resume(returning: .failure(error)) }
            return
        }
        let time = now()
        var group = GroupCommitter.Group(epoch: epoch)
        group.waiters.reserveCapacity(batch.count)
        for (command, continuation) in batch {
            do throws(SafeguardsError) {
                group.waiters.append((continuation, .success(try book.execute(command, now: time))))
            } catch {
                group.waiters.append((continuation, .failure(error)))
                group.refused += 1
            }
        }
        group.changes = book.takeUnsavedChanges()
        group.retirementMark = book.ledger.retirementMark
        if !group.changes.isEmpty { group.delta = book.viewDelta(of: group.changes) }
        committer.enqueue(group)
        // While the group syncs: a step of eviction, of transfers whose rows are committed.
        book.evictRetired(
            before: time.advanced(by: .zero - idempotencyWindow), through: committer.committedRetirementMark(epoch: epoch),
            limit: Self.evictionStep)
    }

    /// After the commit of a group of `failedEpoch` failed: the book holds changes that are not
    /// on disk, so it is reloaded from SQLite (once per failure; later groups start a new epoch),
    /// and only then are the `callers` whose groups were not written told `error`.
    private func recover(
        afterFailureIn failedEpoch: Int, answering callers: [GroupCommitter.Continuation], with error: SafeguardsError
    ) {
        defer { for caller in callers { caller.resume(returning: .failure(error)) } }
        guard failedEpoch == epoch else { return }
        epoch += 1
        logger.error("commit failed; reloading state from disk")
        do {
            book = try store.loadBook(windowStart: now().advanced(by: .zero - idempotencyWindow))
            committer.reset(to: BudgetView(book), epoch: epoch, retirementMark: book.ledger.retirementMark)
        } catch {
            logger.critical("reloading state failed; refusing all changes", metadata: ["error": "\(error)"])
            failure = error
        }
    }
}

extension Array {
    /// Returns the elements and leaves the array empty with its capacity.
    fileprivate mutating func take() -> [Element] {
        defer { removeAll(keepingCapacity: true) }
        return self
    }
}
