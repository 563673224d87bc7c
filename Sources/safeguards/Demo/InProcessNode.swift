import Logging
import SafeguardsAPI
import SafeguardsNode
import ServiceLifecycle

/// A node running inside this process, reached like any other node: through a client over
/// loopback HTTP. The demo starts one; a federation demo can nest several.
struct InProcessNode: Sendable {
    let config: NodeConfig
    /// Where the API actually listens (the config may ask for port 0).
    let address: HostPort
    /// A client for the node's API, authorized with the node's token.
    let client: SafeguardsClient
    /// The federation listener's port, when the node is in a federation.
    let federationPort: Int?

    /// Opens and starts a node, waits until its API listens, runs `body` with it, then shuts the
    /// node down gracefully (whether `body` succeeded or not) and waits until it stopped.
    ///
    /// The node's services run in their own `ServiceGroup` without signal handlers: the caller
    /// decides when it stops.
    ///
    /// - Throws: `NodeStartupError` when the node cannot open its data folder or database,
    ///   ``InProcessNodeError`` when it stopped before listening, an error from its services, or
    ///   whatever `body` throws.
    static func withRunning<Value>(
        config: NodeConfig, logger: Logger, _ body: (InProcessNode) async throws -> Value
    ) async throws -> Value {
        let (addresses, listening) = AsyncStream.makeStream(of: HostPort.self, bufferingPolicy: .bufferingNewest(1))
        let (federationPorts, federationListening) = AsyncStream.makeStream(
            of: Int.self, bufferingPolicy: .bufferingNewest(1))
        let node = try BudgetNode.open(
            config: config, logger: logger, onListening: { listening.yield($0) },
            onFederationListening: { federationListening.yield($0) }, developmentCertificatesExpected: true)
        let group = ServiceGroup(configuration: .init(services: node.services, logger: logger))
        return try await withThrowingTaskGroup(of: Void.self, returning: Value.self) { tasks in
            tasks.addTask {
                // Ends the wait below if the services stop (or fail) before the API listens.
                defer {
                    listening.finish()
                    federationListening.finish()
                }
                try await group.run()
            }
            guard let address = await addresses.first(where: { _ in true }) else {
                try await tasks.waitForAll()
                throw InProcessNodeError(systemID: config.systemID)
            }
            var federationPort: Int?
            if config.federation != nil {
                federationPort = await federationPorts.first(where: { _ in true })
            }
            let running = InProcessNode(
                config: config, address: address,
                client: SafeguardsClient(host: address.host, port: address.port, token: node.token),
                federationPort: federationPort)
            let outcome: Result<Value, any Error>
            do {
                outcome = .success(try await body(running))
            } catch {
                outcome = .failure(error)
            }
            await running.client.shutdown()
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
            return try outcome.get()
        }
    }
}

/// An in-process node stopped before its API started listening.
struct InProcessNodeError: Error, CustomStringConvertible {
    let systemID: String
    var description: String { "node '\(systemID)' stopped before its API started listening" }
}
