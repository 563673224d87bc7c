import Logging

/// The API server's log handler: the node's own handler, with the metadata set on it per request
/// kept aside and handed over only when a line is actually logged.
///
/// Hummingbird tags every request's logger with its id (`hb.request.id`). The node's
/// `StreamLogHandler` formats its metadata into text whenever it changes, which made that one
/// tag cost more per request than routing it, though at the node's usual level the request logs
/// nothing. Here a tag is only stored; a logged line carries it as the line's own metadata, which
/// the handler prints exactly as it prints its own (a line's metadata wins over both).
struct RequestLogHandler: LogHandler {
    private var base: any LogHandler
    /// Metadata set on this handler, not yet given to `base`.
    private var deferred = DeferredMetadata()

    init(base: any LogHandler) {
        self.base = base
    }

    func log(event: LogEvent) {
        guard !deferred.isEmpty else { return base.log(event: event) }
        var event = event
        event.metadata = deferred.all.merging(event.metadata ?? [:]) { _, line in line }
        base.log(event: event)
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { deferred[key] ?? base[metadataKey: key] }
        set {
            // Removing a key the node's handler has (rare) must remove it there too.
            if newValue == nil, base[metadataKey: key] != nil { base[metadataKey: key] = nil }
            deferred[key] = newValue
        }
    }

    var metadata: Logger.Metadata {
        get { base.metadata.merging(deferred.all) { _, set in set } }
        set {
            deferred = DeferredMetadata(newValue)
            base.metadata = [:]
        }
    }

    var logLevel: Logger.Level {
        get { base.logLevel }
        set { base.logLevel = newValue }
    }

    var metadataProvider: Logger.MetadataProvider? {
        get { base.metadataProvider }
        set { base.metadataProvider = newValue }
    }
}

/// Metadata kept aside by ``RequestLogHandler``. The one key a request's logger usually gets is
/// kept without a dictionary (whose storage is allocated on the first insert); more go to one.
private struct DeferredMetadata {
    private var first: (key: String, value: Logger.Metadata.Value)?
    private var rest: Logger.Metadata = [:]

    init(_ metadata: Logger.Metadata = [:]) {
        rest = metadata
    }

    var isEmpty: Bool { first == nil && rest.isEmpty }

    var all: Logger.Metadata {
        var all = rest
        if let first { all[first.key] = first.value }
        return all
    }

    subscript(key: String) -> Logger.Metadata.Value? {
        get { first?.key == key ? first?.value : rest[key] }
        set {
            if first?.key == key {
                first = newValue.map { (key, $0) }
            } else if first == nil, rest.isEmpty, let newValue {
                first = (key, newValue)
            } else {
                rest[key] = newValue
            }
        }
    }
}
