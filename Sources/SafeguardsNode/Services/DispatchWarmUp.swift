import Dispatch

/// Makes libdispatch open its own descriptors while descriptors are still to be had.
///
/// libdispatch opens its event-loop descriptors and one timer descriptor per clock lazily, the
/// first time a timer of that clock is armed, and stops the process (SIGILL) when it cannot:
/// a first `Task.sleep` on a new clock, or a first wall-clock `asyncAfter`, at the descriptor
/// limit kills the node. Arming each clock once at start moves those opens to a time when
/// they succeed; the connection caps (``DescriptorBudget``) keep the limit from being reached.
public enum DispatchWarmUp {
    /// Arms one short timer on each clock libdispatch knows (continuous, suspending, wall).
    public static func armEveryClock() async {
        try? await Task.sleep(for: .milliseconds(1), clock: .continuous)
        try? await Task.sleep(for: .milliseconds(1), clock: .suspending)
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            DispatchQueue.global().asyncAfter(wallDeadline: .now() + .milliseconds(1)) { done.resume() }
        }
    }
}
