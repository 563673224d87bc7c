import SafeguardsCore
import SafeguardsFederation

/// An API request that started a remote request waits for its outcome a little while
/// (`settlement.answer_wait`) before it answers `pending`: each waiter is resumed when the
/// outcome is durable, or when its own timer runs out, whichever comes first.
extension SettlementService {
    func awaitOutcome(_ id: TransferID, within wait: Duration) async {
        guard let state = machine.outgoingState(id) else { return }
        // An outcome applied in memory whose record is still being written is not known yet.
        guard state.isPending || writes.shadow(.outgoing(id)) != nil else { return }
        let token = nextWaiter
        nextWaiter += 1
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let timer = Task {
                try? await Task.sleep(for: wait)
                guard !Task.isCancelled else { return }
                self.expireWaiter(id, token)
            }
            waiters[id, default: [:]][token] = (continuation, timer)
        }
    }

    private func expireWaiter(_ id: TransferID, _ token: Int) {
        waiters[id]?.removeValue(forKey: token)?.continuation.resume()
    }

    func resumeWaiters(_ id: TransferID) {
        for waiter in (waiters.removeValue(forKey: id) ?? [:]).values {
            waiter.timer.cancel()
            waiter.continuation.resume()
        }
    }
}
