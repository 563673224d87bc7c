import Dispatch
import Logging
import SafeguardsCore
import Synchronization

/// The second stage of the ``BudgetWriter``: writes the groups of changes the writer applied to
/// its book, in the order they were applied, and only then answers their callers and publishes
/// them to readers.
///
/// Groups that arrive while a transaction is being synced wait, and are all written in the next
/// transaction: the writer keeps applying while the disk syncs, and one fsync serves every group
/// that queued behind it. Commits run on a serial dispatch queue, off Swift's cooperative pool.
///
/// When a transaction fails, its groups and every later group of the same epoch (applied on top
/// of the changes that were lost) are not written: their callers go to the failure handler,
/// which reloads the writer's book before it answers them `unavailable`.
final class GroupCommitter: Sendable {
    typealias Continuation = CheckedContinuation<Result<BudgetResult, SafeguardsError>, Never>
    /// Takes the epoch whose commit failed, the callers to answer, and the error to answer them with.
    typealias FailureHandler = @Sendable (Int, [Continuation], SafeguardsError) -> Void

    /// One flush of the writer: its callers with their results, and the changes to write.
    struct Group: Sendable {
        let epoch: Int
        var waiters: [(Continuation, Result<BudgetResult, SafeguardsError>)] = []
        var changes: [BudgetChange] = []
        var delta = BudgetViewDelta()
        var refused = 0
        /// The book's ``Ledger/retirementMark`` once the group's changes were taken: when the group
        /// is committed, every transfer retired before this mark has its rows on disk.
        var retirementMark = 0

        init(epoch: Int) { self.epoch = epoch }
    }

    private struct State: ~Copyable {
        var pending: [Group] = []
        var draining = false
        /// Groups of this epoch are not written (a commit of it failed).
        var failedEpoch: Int?
        var statistics = BudgetWriter.Statistics()
        var failureHandler: FailureHandler?
        /// The retirement mark of the last committed group, and its epoch.
        var committedMark = (epoch: 0, mark: 0)
    }

    private let store: LedgerStore
    private let logger: Logger
    private let state = Mutex(State())
    private let published: Mutex<BudgetView>
    private let queue = DispatchQueue(label: "safeguards.budget-commit")

    /// `retirementMark` is that of the book `view` shows (loaded from disk, so all committed).
    init(store: LedgerStore, view: BudgetView, retirementMark: Int, logger: Logger) {
        self.store = store
        self.logger = logger
        self.published = Mutex(view)
        state.withLock { $0.committedMark = (0, retirementMark) }
    }

    /// The retirement mark up to which the transfers of the book of `epoch` are committed (see
    /// ``Group/retirementMark``); 0 until a group of that epoch committed.
    func committedRetirementMark(epoch: Int) -> Int {
        state.withLock { $0.committedMark.epoch == epoch ? $0.committedMark.mark : 0 }
    }

    var statistics: BudgetWriter.Statistics { state.withLock { $0.statistics } }

    /// Called when groups are not written (see ``FailureHandler``), on the committer's queue.
    func onFailure(_ handler: @escaping FailureHandler) {
        state.withLock { $0.failureHandler = handler }
    }

    func view<T: Sendable>(_ body: (BudgetView) -> T) -> T {
        published.withLock { body($0) }
    }

    /// Queues `group` behind every group queued before it.
    func enqueue(_ group: sending Group) {
        let start = state.withLock { state in
            state.pending.append(group)
            defer { state.draining = true }
            return !state.draining
        }
        if start { queue.async { self.drain() } }
    }

    /// After the writer reloaded its book: readers see `view`, and groups of `epoch` are written
    /// again. Everything the reloaded book holds is on disk, up to its `retirementMark`.
    func reset(to view: sending BudgetView, epoch: Int, retirementMark: Int) {
        published.withLock { $0 = view }
        state.withLock { state in
            if let failed = state.failedEpoch, failed < epoch { state.failedEpoch = nil }
            state.committedMark = (epoch, retirementMark)
        }
    }

    private func drain() {
        while true {
            let (groups, failedEpoch) = state.withLock { state in
                let groups = state.pending
                state.pending.removeAll(keepingCapacity: true)
                if groups.isEmpty { state.draining = false }
                return (groups, state.failedEpoch)
            }
            if groups.isEmpty { return }
            commit(groups, failedEpoch: failedEpoch)
        }
    }

    private func commit(_ groups: [Group], failedEpoch: Int?) {
        var writable: [Group] = []
        var skipped: [Group] = []
        for group in groups {
            if group.epoch == failedEpoch { skipped.append(group) } else { writable.append(group) }
        }
        if let failedEpoch, !skipped.isEmpty {
            fail(skipped, epoch: failedEpoch, SafeguardsError(.unavailable, "an earlier change could not be made durable"))
        }
        guard !writable.isEmpty else { return }
        var changes: [BudgetChange] = []
        changes.reserveCapacity(writable.reduce(0) { $0 + $1.changes.count })
        for group in writable { changes.append(contentsOf: group.changes) }
        do {
            try store.write(changes, balances: Self.balances(after: writable))
        } catch {
            let epoch = writable[0].epoch
            logger.error("commit failed", metadata: ["error": "\(error)", "groups": "\(writable.count)"])
            state.withLock { $0.failedEpoch = epoch }
            fail(writable, epoch: epoch, SafeguardsError(.unavailable, "the change could not be made durable: \(error)"))
            return
        }
        published.withLock { view in
            for group in writable where !group.delta.isEmpty { view.apply(group.delta) }
        }
        state.withLock { state in
            if let last = writable.last { state.committedMark = (last.epoch, last.retirementMark) }
            let commands = writable.reduce(0) { $0 + $1.waiters.count }
            state.statistics.commands += commands
            state.statistics.refused += writable.reduce(0) { $0 + $1.refused }
            if !changes.isEmpty {
                state.statistics.commits += 1
                state.statistics.largestGroup = max(state.statistics.largestGroup, commands)
            }
        }
        for group in writable {
            for (continuation, result) in group.waiters { continuation.resume(returning: result) }
        }
    }

    /// The accounts the groups changed, each once, as the last of them left it: the checkpoint
    /// written with their changes.
    private static func balances(after groups: [Group]) -> [Account] {
        if groups.count == 1 { return groups[0].delta.accounts }
        var latest: [AccountID: Account] = [:]
        for group in groups {
            for account in group.delta.accounts { latest[account.id] = account }
        }
        return Array(latest.values)
    }

    private func fail(_ groups: [Group], epoch: Int, _ error: SafeguardsError) {
        let continuations = groups.flatMap { $0.waiters.map(\.0) }
        if let handler = state.withLock({ $0.failureHandler }) {
            handler(epoch, continuations, error)
        } else {
            for continuation in continuations { continuation.resume(returning: .failure(error)) }
        }
    }
}
