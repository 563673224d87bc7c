import Foundation

/// Where a node's HTTP API listens, parsed from a URL such as `http://127.0.0.1:8080`.
///
/// Only plain `http` is accepted: the node's API listens without TLS (federation traffic, which
/// does use TLS, does not go through this API).
public struct APIEndpoint: Sendable, Equatable, CustomStringConvertible {
    /// The endpoint used when neither `--url`, `SAFEGUARDS_URL` nor an `api-address` file names one.
    public static let defaultURL = "http://127.0.0.1:8080"

    public let host: String
    public let port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `http://host[:port][/]`, or `host:port` as a shorthand for it; the port defaults to 80.
    ///
    /// - Throws: ``APIEndpointError`` saying what is wrong with the text.
    public init(parsing text: String) throws(APIEndpointError) {
        let problem = APIEndpointError("'\(text.prefix(200))' is not an http URL like \(Self.defaultURL)")
        let url = text.contains("://") ? text : "http://" + text
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased() else {
            throw problem
        }
        guard scheme == "http" else {
            throw APIEndpointError(
                "only http is supported (got '\(scheme.prefix(20))'): the node's API does not use TLS")
        }
        guard var host = components.host, !host.isEmpty else { throw problem }
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard components.path.isEmpty || components.path == "/", components.query == nil,
            components.fragment == nil, components.user == nil
        else {
            throw APIEndpointError("give only the scheme, host and port (e.g. \(Self.defaultURL))")
        }
        let port = components.port ?? 80
        guard (1...65_535).contains(port) else { throw APIEndpointError("port \(port) is outside 1-65535") }
        self.host = host
        self.port = port
    }

    public var description: String { host.contains(":") ? "http://[\(host)]:\(port)" : "http://\(host):\(port)" }
}

/// A text that is not a usable API URL.
public struct APIEndpointError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
