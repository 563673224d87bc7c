import HTTPTypes
import Hummingbird
import Prometheus
import SafeguardsStore
import Synchronization

/// The node's Prometheus metrics. The registry is the node's own (not a process-wide bootstrap),
/// so several nodes in one process, as in tests, keep separate figures.
public struct NodeMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    let commits: Gauge
    let commands: Gauge
    let refused: Gauge
    let largestGroup: Gauge
    let requests: RequestMetrics
    /// `safeguards_webhook_deliveries{status}`: the outbox's rows in each status.
    let webhookDeliveries: [WebhookOutbox.Status: Gauge]

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
        requests = RequestMetrics(registry: registry)
        let deliveries = MetricNameDescriptor(
            namespace: "safeguards", subsystem: "webhook", metricName: "deliveries", unitName: "",
            helpText: "Webhook deliveries in the outbox by status")
        webhookDeliveries = Dictionary(
            uniqueKeysWithValues: WebhookOutbox.Status.allCases.map { status in
                (status, registry.makeGauge(descriptor: deliveries, labels: [("status", status.rawValue)]))
            })
    }

    /// Copies the writer's counters into the gauges.
    func refresh(from writer: BudgetWriter) async {
        let statistics = await writer.statistics
        commits.set(Int64(statistics.commits))
        commands.set(Int64(statistics.commands))
        refused.set(Int64(statistics.refused))
        largestGroup.set(Int64(statistics.largestGroup))
    }

    /// Copies the outbox's counts per status into the gauges (read through its status index).
    func refreshWebhooks(from store: LedgerStore) {
        guard let counts = try? store.webhookDeliveryCounts() else { return }
        for (status, gauge) in webhookDeliveries { gauge.set(Int64(counts[status] ?? 0)) }
    }
}

/// The HTTP request counter of each method and status and the duration histogram of each method,
/// made through the registry the first time they are needed and then kept: making one through
/// the registry checks its name, builds its labels and takes the registry's lock, which cost more
/// per request than routing it. Methods and statuses are few (the HTTP parser knows a fixed list
/// of methods), so the maps stay small.
final class RequestMetrics: Sendable {
    private struct Key: Hashable {
        var method: HTTPRequest.Method
        var status: Int
    }

    // Computed (the descriptor is not `Sendable`); needed only when a metric is first made.
    private static var requestsDescriptor: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "safeguards", subsystem: "http", metricName: "requests", unitName: "total",
            helpText: "HTTP requests by method and status")
    }
    private static var durationDescriptor: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "safeguards", subsystem: "http", metricName: "request_duration", unitName: "seconds",
            helpText: "HTTP request duration")
    }
    private static let durationBuckets: [Duration] = [
        .milliseconds(1), .milliseconds(5), .milliseconds(25), .milliseconds(100), .milliseconds(500), .seconds(2),
    ]

    private let registry: PrometheusCollectorRegistry
    private let counters = Mutex<[Key: Counter]>([:])
    private let durations = Mutex<[HTTPRequest.Method: DurationHistogram]>([:])

    init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
    }

    /// Counts one request answered with `status` and records how long it took.
    func record(method: HTTPRequest.Method, status: Int, duration: Duration) {
        counter(method: method, status: status).increment()
        histogram(method: method).record(duration)
    }

    private func counter(method: HTTPRequest.Method, status: Int) -> Counter {
        let key = Key(method: method, status: status)
        if let counter = counters.withLock({ $0[key] }) { return counter }
        // The registry returns the one counter of these labels however often it is asked.
        let counter = registry.makeCounter(
            descriptor: Self.requestsDescriptor, labels: [("method", method.rawValue), ("status", String(status))])
        counters.withLock { $0[key] = counter }
        return counter
    }

    private func histogram(method: HTTPRequest.Method) -> DurationHistogram {
        if let histogram = durations.withLock({ $0[method] }) { return histogram }
        let histogram = registry.makeDurationHistogram(
            descriptor: Self.durationDescriptor, labels: [("method", method.rawValue)], buckets: Self.durationBuckets)
        durations.withLock { $0[method] = histogram }
        return histogram
    }
}
