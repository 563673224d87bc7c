/// Runs async bodies one at a time, in arrival order.
final class EventLock: Sendable {
    private let state = LockedState()

    func run<T>(isolation: isolated (any Actor)? = #isolation, _ body: () async -> T) async -> T {
        await state.acquire()
        let result = await body()
        await state.release()
        return result
    }

    private actor LockedState {
        private var busy = false
        private var waiting: [CheckedContinuation<Void, Never>] = []

        func acquire() async {
            if !busy {
                busy = true
                return
            }
            await withCheckedContinuation { waiting.append($0) }
        }

        func release() {
            if waiting.isEmpty {
                busy = false
            } else {
                waiting.removeFirst().resume()
            }
        }
    }
}
