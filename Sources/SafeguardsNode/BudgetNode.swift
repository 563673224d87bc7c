import Foundation
import Hummingbird
import Logging
import SafeguardsAPI
import SafeguardsCore
import SafeguardsFederation
import SafeguardsStore
import ServiceLifecycle
import UnixSignals

/// One Safeguards node: its store, its writer, its HTTP API and its background services.
///
/// `open` prepares everything without starting anything; `run` serves until SIGTERM or SIGINT
/// and shuts down gracefully. Tests and the demo run the ``services`` in their own group.
public struct BudgetNode: Sendable {
    public let config: NodeConfig
    public let operations: BudgetOperations
    public let token: String
    public let metrics: NodeMetrics
    /// The federation side, when the config has a `federation` section.
    public let federation: FederationNode?
    /// Remote requests, returns and federated pools, when the node is in a federation.
    public let settlement: SettlementService?
    /// Gossip of balances and sync status, when the node is in a federation.
    public let gossip: GossipService?
    /// The lock that makes this node the only one on its data folder; the first of ``services``,
    /// so a service group releases it after every other service stopped.
    public let dataFolderLock: DataFolderLock
    /// The API server and the background services, for a `ServiceGroup`, in the order they
    /// start; a group stops them in reverse (the API first, the data folder's lock last).
    public let services: [any Service]
    /// The HTTP routes the API server serves (the contract test lists them).
    let apiRoutes: APIRoutes
    let logger: Logger

    /// Opens the data folder and database (creating them if needed) and builds the services.
    ///
    /// The data folder is locked for this node first (see ``DataFolderLock``), then narrowed to
    /// owner-only modes; only then are the token and the database touched.
    ///
    /// - Parameters:
    ///   - onListening: called with the API address once the server accepts connections.
    ///   - onFederationListening: called with the federation port once peers can connect.
    ///   - developmentCertificatesExpected: the demo runs on the development CA on purpose; any
    ///     other node using it logs a loud warning.
    /// - Throws: ``NodeStartupError`` when the data folder, token, database or federation identity
    ///   cannot be used, or another node holds the data folder.
    public static func open(
        config: NodeConfig, logger: Logger, onListening: @escaping @Sendable (HostPort) async -> Void = { _ in },
        onFederationListening: @escaping @Sendable (Int) async -> Void = { _ in },
        developmentCertificatesExpected: Bool = false
    ) throws(NodeStartupError) -> BudgetNode {
        let config = DescriptorBudget.fitted(config, logger: logger)
        // The API's TLS files are checked before anything else is touched or listens.
        let apiTLS: APIServerTLS?
        do { apiTLS = try APIServerTLS.load(config.api) } catch { throw NodeStartupError(error.description) }
        // The lock first: a second node on this folder stops here, before it reads or writes anything.
        let dataFolderLock = try DataFolder.prepare(config)
        let token = try APIToken.resolve(config: config, logger: logger)
        let store: LedgerStore
        let writer: BudgetWriter
        do {
            store = try LedgerStore(path: config.databasePath)
            if let owner = try store.metaValue("system_id"), owner != config.systemID {
                throw NodeStartupError(
                    "data folder \(config.dataDirectory) belongs to system '\(owner)', not '\(config.systemID)'")
            }
            try store.setMetaValue("system_id", config.systemID)
            writer = try BudgetWriter(
                store: store, now: Timestamp.now, idempotencyWindow: config.ledger.idempotencyWindow, logger: logger)
        } catch let error as NodeStartupError {
            throw error
        } catch {
            throw NodeStartupError("cannot open the database: \(error)")
        }
        let rateLimits = try AgentRateLimits(store: store)
        let operations = BudgetOperations(
            writer: writer, store: store, defaultReservationTimeout: config.reservations.defaultTimeout,
            rateLimits: rateLimits)
        let policies = try PolicyService(
            writer: writer, store: store, rails: config.policies.rails, tick: config.policies.tick,
            configured: config.policies.pools, now: Timestamp.now,
            logger: logger)
        var federation: FederationNode?
        var settlement: SettlementService?
        var gossip: GossipService?
        var federationServices: [any Service] = []
        let readiness = ListenerReadiness(
            path: config.addressPath, federation: config.federation != nil, secure: apiTLS != nil)
        if let federationConfig = config.federation {
            let setup = try FederationSetup.make(
                systemID: config.systemID, config: federationConfig, store: store, logger: logger,
                developmentCertificatesExpected: developmentCertificatesExpected)
            federation = setup.node
            let service = try SettlementService(
                me: setup.node.systemID, settings: federationConfig.settlement, offers: federationConfig.offers,
                maxMetadataBytes: federationConfig.maxMetadataBytes, writer: writer, store: store, federation: setup.node, now: Timestamp.now, logger: logger)
            settlement = service
            setup.node.attach(service)
            policies.setRemoteTopUp { pool, agent, amount in
                await service.remoteTopUp(pool: pool, agent: agent, amount: amount)
            }
            let gossipService = GossipService(
                me: setup.node.systemID, configuration: config.gossip.instanceConfiguration,
                exchangeTimeout: config.gossip.exchangeDeadline(requestTimeout: federationConfig.requestTimeout),
                signingKey: setup.signingKey, federation: setup.node, settlement: service, writer: writer,
                now: Timestamp.now, logger: logger)
            gossip = gossipService
            setup.node.attach(gossipService)
            federationServices.append(
                FederationService(
                    listener: setup.listener, node: setup.node,
                    onListening: { port in
                        await readiness.federationListening()
                        await onFederationListening(port)
                    }))
            federationServices.append(service)
            federationServices.append(gossipService)
        }
        let metrics = NodeMetrics()
        let keys = try APIKeyRing(store: store, maxKeys: config.api.maxKeys)
        let metadataLimit = MetadataLimit(bytes: config.federation?.maxMetadataBytes ?? MetadataSize.defaultLimit)
        let routes = APIRoutes(
            operations: operations, systemID: config.systemID, token: token, maxBodyBytes: config.api.maxBodyBytes,
            metadataLimit: metadataLimit, metrics: metrics,
            peers: PeerRoutes(federation: federation, maxBodyBytes: config.api.maxBodyBytes, now: Timestamp.now),
            federation: FederationRoutes(
                settlement: settlement, gossip: gossip, operations: operations, maxBodyBytes: config.api.maxBodyBytes,
                metadataLimit: metadataLimit),
            policies: PolicyRoutes(
                policies: policies, rateLimits: rateLimits, operations: operations, maxBodyBytes: config.api.maxBodyBytes),
            keys: keys,
            webhooks: WebhookRoutes(store: store, maxBodyBytes: config.api.maxBodyBytes, now: Timestamp.now),
            status: StatusRoutes(
                report: StatusReport(
                    systemID: config.systemID, operations: operations, registry: federation?.registry,
                    settlement: settlement, gossip: gossip, refreshSeconds: 5, now: Timestamp.now),
                sessions: StatusSessions(), keys: keys, secure: apiTLS != nil, publicOrigins: config.api.publicOrigins))
        let application = APIServer.application(
            router: routes.makeRouter(), api: config.api, tls: apiTLS, serverName: "safeguards/\(config.systemID)",
            logger: logger,
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? config.api.listen.port
                let address = HostPort(host: config.api.listen.host, port: port)
                await readiness.apiListening(address)
                logger.info("API listening", metadata: ["api.address": "\(address)", "system_id": "\(config.systemID)"])
                await onListening(address)
            })
        let api = ShutdownGrace(
            base: application, grace: config.api.shutdownGrace,
            cut: { [federation] in await federation?.closeOutgoing() }, logger: logger)
        do {
            try store.replaceConfiguredWebhooks(
                config.notifications.webhooks.map { spec in
                    WebhookSubscription(
                        id: spec.configID, url: spec.url, events: spec.events, secret: spec.secret, source: "config",
                        createdAt: Timestamp.now())
                }, now: Timestamp.now())
        } catch {
            throw NodeStartupError("cannot store the configured webhooks: \(error)")
        }
        let webhooks = WebhookDispatcher(
            store: store, settings: config.notifications, now: Timestamp.now, logger: logger)
        let sweeper = ReservationSweeper(
            operations: operations, interval: config.reservations.sweepInterval, logger: logger)
        // A service group stops its services in reverse order, each after the one before it ended:
        // the API first (requests in flight finish while everything they need still runs), then
        // gossip, settlement and the federation channel, the policies, the sweeper and the webhook
        // deliveries, then the writer's last commit, and the data folder's lock last.
        return BudgetNode(
            config: config, operations: operations, token: token, metrics: metrics, federation: federation,
            settlement: settlement, gossip: gossip,
            dataFolderLock: dataFolderLock,
            services: [
                dataFolderLock, WriterDrain(writer: writer), webhooks, sweeper, PeriodScheduler(writer: writer, logger: logger),
                policies,
            ] + federationServices + [api],
            apiRoutes: routes, logger: logger)
    }

    /// Serves until SIGTERM or SIGINT, then shuts down gracefully: new API connections are
    /// refused and idle ones closed at once, requests in flight finish (for at most
    /// `api.shutdown_grace`, then they are cut), the federation's loops, dials and connections
    /// stop, and the writer finishes its last commit before the data folder is unlocked.
    public func run() async throws {
        let group = ServiceGroup(
            configuration: .init(
                services: services.map { .init(service: $0) }, gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        try await group.run()
    }
}

/// Writes the API's address to `api-address` once every listener of the node is up, so whoever
/// reads the file (a script, a test) knows the node accepts API and federation connections.
/// The address is `host:port` for plain HTTP and `https://host:port` when the API serves TLS, so
/// a reader that takes the text after the last colon as the port reads both.
actor ListenerReadiness {
    private let path: String
    private let secure: Bool
    private var address: HostPort?
    private var federationPending: Bool

    init(path: String, federation: Bool, secure: Bool = false) {
        self.path = path
        self.federationPending = federation
        self.secure = secure
    }

    func apiListening(_ address: HostPort) {
        self.address = address
        writeWhenReady()
    }

    func federationListening() {
        federationPending = false
        writeWhenReady()
    }

    private func writeWhenReady() {
        guard let address, !federationPending else { return }
        try? "\(secure ? "https://" : "")\(address)\n".write(toFile: path, atomically: true, encoding: .utf8)
    }
}

/// The node could not start. The message says what to fix.
public struct NodeStartupError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
