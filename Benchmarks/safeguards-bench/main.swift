// safeguards-bench: reproducible measurements of one node, one line per figure on stdout
// (see Benchmarks/README.md). Progress goes to stderr. Exits non-zero when a figure cannot be
// taken or a consistency check fails.

import Foundation
import Logging

let options: BenchOptions
do {
    options = try BenchOptions.parse(Array(CommandLine.arguments.dropFirst()))
} catch {
    FileHandle.standardError.write(Data("\(error)\n".utf8))
    exit(2)
}
if options.help {
    print(BenchOptions.usage)
    exit(0)
}
let plan = options.plan

// Every figure is bounded; this bounds what is not (setup calls, a node that never answers).
Task.detached {
    try await Task.sleep(for: plan.watchdog)
    FileHandle.standardError.write(Data("safeguards-bench: still running after \(plan.watchdog); giving up\n".utf8))
    exit(3)
}

// Warnings and errors of the writer and the node only; request logs would measure the terminal.
let logger: Logger = {
    var logger = Logger(label: "safeguards-bench", factory: { StreamLogHandler.standardError(label: $0) })
    logger.logLevel = .warning
    return logger
}()

do {
    // Other work on the machine shares the cores with every figure; the load average says how much.
    let load = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").prefix(3)
    note(
        "mode=\(options.quick ? "quick" : "full") cores=\(ProcessInfo.processInfo.activeProcessorCount) "
            + "loadavg=\(load?.joined(separator: ",") ?? "unknown")")
    // Memory first: it reads the process's RSS, which every later figure would grow.
    if options.runs("memory") {
        note("memory: \(plan.memoryTransfers) transfers into a fresh book")
        emit(try MemoryFigure.run(plan: plan))
    }
    // A million transfers twice: only when the memory group is asked for by name.
    if options.only.contains("memory") {
        note("memory: 1M spends through the durable writer, and a start-up on 1M transfers")
        for line in try await WindowMemoryFigure.run(options: options, logger: logger) { emit(line) }
    }
    if options.runs("in_memory") {
        note("in memory: up to \(plan.inMemoryPairs) reserve+settle pairs over \(plan.inMemoryAgents) agents")
        emit(try InMemoryFigure.run(plan: plan))
    }
    if options.runs("durable") {
        for callers in [1, plan.durableConcurrentCallers] {
            note("durable writer: \(callers) caller(s) for up to \(plan.durableTimeLimit)")
            emit(try await DurableWriterFigure.run(callers: callers, plan: plan, options: options, logger: logger))
        }
    }
    if options.runs("http") {
        note("http: \(plan.httpConnections) connections for up to \(plan.httpTimeLimit)")
        for line in try await HTTPSpendFigure.run(plan: plan, options: options, logger: logger) { emit(line) }
    }
    if options.runs("ping") {
        note(
            "federation: signed pings system_a -> system_b, over one connection then through the API, "
                + "for up to \(plan.federationPingTimeLimit) each")
        for line in try await FederationPingFigure.run(plan: plan, options: options, logger: logger) { emit(line) }
    }
    if options.runs("settle") {
        note(
            "settlement: remote requests system_a -> system_b, durable on both sides, one caller then "
                + "\(plan.settlementConcurrentCallers), for up to \(plan.settlementTimeLimit) each")
        for line in try await RemoteSettlementFigure.run(plan: plan, options: options, logger: logger) { emit(line) }
    }
    if options.runs("gossip") {
        note("gossip: N = 8..128 simulated nodes until they agree, 0% and 10% loss, \(plan.gossipSeeds) seeds each")
        for line in try GossipFigure.run(plan: plan) { emit(line) }
    }
    if options.runs("learning") {
        note("learning: optimizer training, pattern prediction and cost-benefit allocation, \(plan.learningRepetitions) runs each")
        for line in try LearningFigure.run(plan: plan) { emit(line) }
    }
    if options.runs("quality") {
        note("quality: the learners on seeded synthetic traces (deterministic figures, not timings)")
        for line in try QualityFigure.run() { emit(line) }
    }
    if options.runs("reads") {
        note("reads: a page of agents and the status page's agent rows, of \(plan.readAgents) agents, against sorting them all")
        for line in try ReadFigure.run(plan: plan) { emit(line) }
    }
    if options.runs("handshake") {
        note("handshakes: up to \(plan.handshakes) new mutual-TLS connections, one after another")
        for line in try await HandshakeFigure.run(plan: plan, options: options, logger: logger) { emit(line) }
    }
} catch {
    FileHandle.standardError.write(Data("safeguards-bench failed: \(error)\n".utf8))
    exit(1)
}
