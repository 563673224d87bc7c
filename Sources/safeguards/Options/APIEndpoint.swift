import ArgumentParser
import Foundation

/// Where a node's HTTP API listens, parsed from a URL such as `http://127.0.0.1:8080`.
///
/// Only plain `http` is accepted: the node's API listens without TLS (federation traffic, which
/// does use TLS, does not go through this API).
struct APIEndpoint: Sendable, Equatable, CustomStringConvertible {
    /// The endpoint used when neither `--url` nor `SAFEGUARDS_URL` is given.
    static let defaultURL = "http://127.0.0.1:8080"

    let host: String
    let port: Int

    /// Parses `http://host[:port][/]`, or `host:port` as a shorthand for it; the port defaults to 80.
    ///
    /// - Throws: `ValidationError` naming `--url` when the text is not such a URL.
    init(parsing text: String) throws(ValidationError) {
        let problem = "--url: '\(text.prefix(200))' is not an http URL like \(Self.defaultURL)"
        let url = text.contains("://") ? text : "http://" + text
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased() else {
            throw ValidationError(problem)
        }
        guard scheme == "http" else {
            throw ValidationError("--url: only http is supported (got '\(scheme)'): the node's API does not use TLS")
        }
        guard var host = components.host, !host.isEmpty else { throw ValidationError(problem) }
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard components.path.isEmpty || components.path == "/", components.query == nil,
            components.fragment == nil, components.user == nil
        else {
            throw ValidationError("--url: give only the scheme, host and port (e.g. \(Self.defaultURL))")
        }
        let port = components.port ?? 80
        guard (1...65_535).contains(port) else { throw ValidationError("--url: port \(port) is outside 1-65535") }
        self.host = host
        self.port = port
    }

    var description: String { host.contains(":") ? "http://[\(host)]:\(port)" : "http://\(host):\(port)" }
}
