/// How much work each figure does. Every figure is bounded both in count and in time, so a
/// slow machine finishes in minutes and a fast one does not run away.
struct BenchPlan: Sendable {
    /// Pure in-memory: reserve+settle pairs on a `BudgetBook`.
    var inMemoryPairs: Int
    var inMemoryTimeLimit: Duration
    /// Agents the in-memory pairs rotate over.
    var inMemoryAgents = 100

    /// Durable, in process: concurrent callers of the one `BudgetWriter` in the second run.
    var durableConcurrentCallers = 64
    /// Upper bound of reserve+settle pairs per caller, in each durable run.
    var durablePairsPerCaller: Int
    var durableTimeLimit: Duration

    /// Through HTTP: concurrent keep-alive connections, each with its own load task and agent.
    var httpConnections = 50
    /// Upper bound of spends over all connections.
    var httpMaximumRequests: Int
    var httpTimeLimit: Duration

    /// Federation: upper bound of sequential signed pings in each ping run (over the transport,
    /// then through the HTTP API), and the time bound of each run.
    var federationPingMaximum: Int
    var federationPingTimeLimit: Duration

    /// Remote settlements: upper bound of requests in each run, its time bound, and the callers
    /// of the concurrent run.
    var settlementMaximum: Int
    var settlementTimeLimit: Duration
    var settlementConcurrentCallers = 16

    /// Gossip in the simulator: seeds per (N, loss) pair.
    var gossipSeeds: Int

    /// Learning allocators: repetitions of each measured computation.
    var learningRepetitions: Int

    /// Handshakes: fresh dialers, one after another, each opening one new mutual-TLS connection.
    var handshakes: Int
    var handshakeTimeLimit: Duration
    /// Requests each of those connections sends after its first one, for the established latency.
    var handshakeFollowUpRequests = 5

    /// Memory: transfers loaded into a book.
    var memoryTransfers: Int

    /// Reads: agents in the committed view a page or the status rows are taken from.
    var readAgents: Int

    /// The whole run is stopped (exit 3) if it takes longer than this: a hung connection or a
    /// stuck node must not keep the benchmark waiting forever.
    var watchdog: Duration

    /// The run the figures in the README were taken with.
    static let full = BenchPlan(
        inMemoryPairs: 300_000, inMemoryTimeLimit: .seconds(10),
        durablePairsPerCaller: 5_000, durableTimeLimit: .seconds(10),
        httpMaximumRequests: 1_000_000, httpTimeLimit: .seconds(10),
        federationPingMaximum: 200_000, federationPingTimeLimit: .seconds(10),
        settlementMaximum: 100_000, settlementTimeLimit: .seconds(10), gossipSeeds: 20, learningRepetitions: 9,
        handshakes: 200, handshakeTimeLimit: .seconds(20),
        memoryTransfers: 200_000, readAgents: 100_000, watchdog: .seconds(300))

    /// A smoke run: every path exercised, in a few seconds.
    static let quick = BenchPlan(
        inMemoryPairs: 20_000, inMemoryTimeLimit: .seconds(2),
        durablePairsPerCaller: 50, durableTimeLimit: .seconds(2),
        httpMaximumRequests: 20_000, httpTimeLimit: .seconds(2),
        federationPingMaximum: 20_000, federationPingTimeLimit: .seconds(2),
        settlementMaximum: 2_000, settlementTimeLimit: .seconds(2), gossipSeeds: 2, learningRepetitions: 1,
        handshakes: 30, handshakeTimeLimit: .seconds(2),
        memoryTransfers: 20_000, readAgents: 10_000, watchdog: .seconds(120))
}
