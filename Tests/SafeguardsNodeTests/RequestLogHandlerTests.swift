import Logging
import Testing

@testable import SafeguardsNode

/// The API server's log handler keeps per-request metadata aside and gives it to the node's
/// handler with each logged line, so lines read as if the metadata had been set on that handler.
@Suite("Request log handler")
struct RequestLogHandlerTests {
    /// A handler that records what it is given.
    final class Recorder: @unchecked Sendable {
        // Used from one test's thread only.
        var events: [LogEvent] = []
        var metadataChanges = 0
    }

    struct RecordingHandler: LogHandler {
        let recorder: Recorder
        var metadata: Logger.Metadata = [:] {
            didSet { recorder.metadataChanges += 1 }
        }
        var logLevel: Logger.Level = .info

        func log(event: LogEvent) { recorder.events.append(event) }

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
    }

    @Test func perRequestMetadataReachesLoggedLinesWithoutChangingTheNodesHandler() {
        let recorder = Recorder()
        var base = RecordingHandler(recorder: recorder)
        base.metadata = ["node": "system_a", "shared": "node"]
        recorder.metadataChanges = 0
        var logger = Logger(label: "api") { _ in RequestLogHandler(base: base) }
        logger[metadataKey: "hb.request.id"] = "7"
        logger[metadataKey: "shared"] = "request"
        #expect(recorder.metadataChanges == 0)
        #expect(logger[metadataKey: "node"] == "system_a")
        #expect(logger[metadataKey: "shared"] == "request")

        // Below the level: nothing is formatted or logged.
        logger.debug("quiet")
        #expect(recorder.events.isEmpty)

        logger.info("loud", metadata: ["line": "1", "hb.request.id": "line"])
        let event = recorder.events.last
        #expect(event?.message == "loud")
        // The line's own metadata wins, then the request's; the node's handler adds its own.
        #expect(event?.metadata == ["hb.request.id": "line", "shared": "request", "line": "1"])
        #expect(logger.handler.metadata == ["node": "system_a", "shared": "request", "hb.request.id": "7"])

        // Removing a key removes it wherever it was set.
        logger[metadataKey: "node"] = nil
        #expect(logger[metadataKey: "node"] == nil)
    }
}
