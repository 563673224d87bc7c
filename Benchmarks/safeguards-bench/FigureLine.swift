import Foundation

/// One printed figure: `name key=value key=value ... [status]`, in the order the fields were
/// added, so the output is easy to read and to `grep`/`awk`. A check line ends in `ok` or `FAILED`.
struct FigureLine: CustomStringConvertible {
    let name: String
    private var fields: [(key: String, value: String)] = []
    var status: String?

    init(_ name: String) { self.name = name }

    mutating func add(_ key: String, _ value: String) { fields.append((key, value)) }
    mutating func add(_ key: String, _ value: Int) { add(key, String(value)) }
    /// A real number with `decimals` places.
    mutating func add(_ key: String, _ value: Double, decimals: Int) {
        add(key, String(format: "%.\(decimals)f", value))
    }
    /// A duration in milliseconds, to the microsecond.
    mutating func add(milliseconds key: String, _ value: Duration) { add(key, value.milliseconds, decimals: 3) }

    var description: String {
        ([name] + fields.map { "\($0.key)=\($0.value)" } + (status.map { [$0] } ?? [])).joined(separator: " ")
    }
}

/// Writes a figure to stdout at once (unbuffered), so a later failure does not hide earlier figures.
func emit(_ line: FigureLine) {
    FileHandle.standardOutput.write(Data((line.description + "\n").utf8))
}

/// Progress and context for a person watching; kept off stdout so stdout holds only figures.
func note(_ message: String) {
    FileHandle.standardError.write(Data("# \(message)\n".utf8))
}

extension Duration {
    /// The duration in (fractional) seconds.
    var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }

    /// The duration in (fractional) milliseconds.
    var milliseconds: Double { seconds * 1000 }
}

/// `count / elapsed` per second; zero when nothing elapsed.
func rate(_ count: Int, over elapsed: Duration) -> Double {
    let seconds = elapsed.seconds
    return seconds > 0 ? Double(count) / seconds : 0
}
