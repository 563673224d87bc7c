import Hummingbird
import Prometheus
import SafeguardsStore

/// The node's Prometheus metrics. The registry is the node's own (not a process-wide bootstrap),
/// so several nodes in one process, as in tests, keep separate figures.
public struct NodeMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    let commits: Gauge
    let commands: Gauge
    let refused: Gauge
    let largestGroup: Gauge

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        func gauge(_ name: String, _ help: String) -> Gauge {
            registry.makeGauge(
                descriptor: MetricNameDescriptor(
                    namespace: "safeguards", subsystem: "store", metricName: name, unitName: "", helpText: help))
        }
        commits = gauge("commits", "SQLite transactions committed")
        commands = gauge("commands", "Budget commands applied")
        refused = gauge("commands_refused", "Budget commands refused")
        largestGroup = gauge("largest_commit_group", "Most commands served by one commit")
    }

    /// Copies the writer's counters into the gauges.
    func refresh(from writer: BudgetWriter) async {
        let statistics = await writer.statistics
        commits.set(Int64(statistics.commits))
        commands.set(Int64(statistics.commands))
        refused.set(Int64(statistics.refused))
        largestGroup.set(Int64(statistics.largestGroup))
    }

    func middleware<Context: RequestContext>() -> RequestMetricsMiddleware<Context> {
        RequestMetricsMiddleware(registry: registry)
    }
}

/// Counts requests by method and status and times them.
struct RequestMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let registry: PrometheusCollectorRegistry

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let start = ContinuousClock.now
        let response = try await next(request, context)
        let labels = [("method", request.method.rawValue), ("status", String(response.status.code))]
        registry.makeCounter(
            descriptor: MetricNameDescriptor(
                namespace: "safeguards", subsystem: "http", metricName: "requests", unitName: "total",
                helpText: "HTTP requests by method and status"),
            labels: labels
        ).increment()
        registry.makeDurationHistogram(
            descriptor: MetricNameDescriptor(
                namespace: "safeguards", subsystem: "http", metricName: "request_duration", unitName: "seconds",
                helpText: "HTTP request duration"),
            labels: [("method", request.method.rawValue)],
            buckets: [.milliseconds(1), .milliseconds(5), .milliseconds(25), .milliseconds(100), .milliseconds(500),
                .seconds(2)]
        ).record(ContinuousClock.now - start)
        return response
    }
}
