import Foundation
import Hummingbird
import Logging
import NIOCore
import SafeguardsAPI
import SafeguardsNode
import SafeguardsTestKit
import ServiceLifecycle

/// What a test's webhook receiver got, and how it answers: the statuses in `script` first, one
/// per request, then 200.
actor WebhookInbox {
    struct Received: Sendable {
        /// By lowercased name.
        var headers: [String: String]
        var body: [UInt8]

        var payload: WebhookPayload? { try? JSONDecoder().decode(WebhookPayload.self, from: Data(body)) }
    }

    private(set) var received: [Received] = []
    private var script: [HTTPResponse.Status]

    init(script: [HTTPResponse.Status] = []) { self.script = script }

    func record(_ request: Received) -> HTTPResponse.Status {
        received.append(request)
        return script.isEmpty ? .ok : script.removeFirst()
    }
}

/// A Hummingbird app on loopback that records every POST to `/hook` in an inbox.
enum WebhookReceiver {
    /// Runs the receiver on `port` (0: a free one) for the length of `body`, which gets the port.
    static func with<T: Sendable>(
        port: Int = 0, inbox: WebhookInbox, _ body: @Sendable (Int) async throws -> T
    ) async throws -> T {
        let router = Router()
        router.post("/hook") { request, _ in
            let bytes = try await request.body.collect(upTo: 1 << 20)
            var headers: [String: String] = [:]
            for field in request.headers { headers[field.name.canonicalName] = field.value }
            let status = await inbox.record(.init(headers: headers, body: Array(buffer: bytes)))
            return Response(status: status)
        }
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let logger = Logger(label: "webhook-receiver", factory: { _ in SwiftLogNoOpLogHandler() })
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)),
            onServerRunning: { channel in continuation.yield(channel.localAddress?.port ?? 0) }, logger: logger)
        let group = ServiceGroup(services: [app], logger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask {
                defer { continuation.finish() }
                try await group.run()
            }
            var iterator = ports.makeAsyncIterator()
            guard let bound = await iterator.next() else { throw NodeProcessError.notListening }
            let outcome: Result<T, any Error>
            do { outcome = .success(try await body(bound)) } catch { outcome = .failure(error) }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
            return try outcome.get()
        }
    }

    /// A loopback port that nothing listens on right now (a receiver bound it and stopped).
    static func closedPort() async throws -> Int {
        try await with(inbox: WebhookInbox()) { $0 }
    }
}
