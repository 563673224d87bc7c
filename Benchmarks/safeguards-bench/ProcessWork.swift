#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The CPU time and context switches this process has used so far (`getrusage`): what a figure
/// costs the machine, whatever else runs on it. Wall-clock figures on a shared machine swing with
/// its load; work per operation swings far less, so before/after comparisons read it.
struct ProcessWork {
    /// User plus system CPU time, in microseconds.
    var cpuMicroseconds: Int
    /// Voluntary plus involuntary context switches (a thread waiting or handing over counts).
    var contextSwitches: Int

    static func now() -> ProcessWork {
        var usage = rusage()
        #if canImport(Glibc)
        getrusage(RUSAGE_SELF.rawValue, &usage)
        #else
        getrusage(RUSAGE_SELF, &usage)
        #endif
        let cpu = (Int(usage.ru_utime.tv_sec) + Int(usage.ru_stime.tv_sec)) * 1_000_000
            + Int(usage.ru_utime.tv_usec) + Int(usage.ru_stime.tv_usec)
        return ProcessWork(cpuMicroseconds: cpu, contextSwitches: Int(usage.ru_nvcsw) + Int(usage.ru_nivcsw))
    }

    /// The work done between `earlier` and this reading.
    func since(_ earlier: ProcessWork) -> ProcessWork {
        ProcessWork(
            cpuMicroseconds: cpuMicroseconds - earlier.cpuMicroseconds,
            contextSwitches: contextSwitches - earlier.contextSwitches)
    }
}
