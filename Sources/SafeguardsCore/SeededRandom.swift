/// A seedable random source for tests, the simulators and the optimizer's training: SplitMix64
/// (Steele, Lea and Flood, 2014, in the form Vigna publishes as the seeder of xoshiro).
///
/// The same seed gives the same sequence on every platform and every Swift version: the
/// generator is plain 64-bit integer arithmetic, and the helpers below (``next(below:)``,
/// ``int(in:)``...) use their own documented algorithms. The standard library's
/// `Int.random(in:using:)` also accepts this generator, but its way of drawing from the 64-bit
/// stream is not part of its contract and may change between releases, so code that must replay
/// a failing seed exactly should use the helpers here.
public struct SeededRandom: RandomNumberGenerator, Sendable {
    /// The seed this generator started from (print it when a test fails, so the run replays).
    public let seed: UInt64
    private var state: UInt64

    /// A generator that produces the sequence for `seed`.
    public init(seed: UInt64) {
        self.seed = seed
        self.state = seed
    }

    /// The next 64 uniformly distributed bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform value in `0..<upperBound`, without modulo bias (rejection sampling below the
    /// largest multiple of `upperBound`). `upperBound` must be greater than zero.
    public mutating func next(below upperBound: UInt64) -> UInt64 {
        precondition(upperBound > 0, "upperBound must be greater than zero")
        // (2^64 - upperBound) % upperBound == 2^64 % upperBound: values below it are rejected.
        let threshold = (0 &- upperBound) % upperBound
        while true {
            let value = next()
            if value >= threshold { return value % upperBound }
        }
    }

    /// A uniform value in `range` (the whole `Int64` range included).
    public mutating func int64(in range: ClosedRange<Int64>) -> Int64 {
        let width = UInt64(bitPattern: range.upperBound &- range.lowerBound)
        guard width < UInt64.max else { return Int64(bitPattern: next()) }
        return range.lowerBound &+ Int64(bitPattern: next(below: width + 1))
    }

    /// A uniform value in `range`.
    public mutating func int(in range: ClosedRange<Int>) -> Int {
        Int(int64(in: Int64(range.lowerBound)...Int64(range.upperBound)))
    }

    /// True with probability `percent` / 100 (0 is never, 100 always).
    public mutating func percent(_ percent: Int) -> Bool {
        next(below: 100) < UInt64(max(0, min(100, percent)))
    }

    /// A uniformly chosen element, or `nil` when `collection` is empty.
    public mutating func element<C: Collection>(of collection: C) -> C.Element? {
        guard !collection.isEmpty else { return nil }
        let offset = Int(next(below: UInt64(collection.count)))
        return collection[collection.index(collection.startIndex, offsetBy: offset)]
    }

    /// A new generator whose sequence is independent of this one's remaining sequence, for
    /// giving each simulated component its own stream while the whole run stays one seed.
    public mutating func split() -> SeededRandom {
        SeededRandom(seed: next())
    }
}
