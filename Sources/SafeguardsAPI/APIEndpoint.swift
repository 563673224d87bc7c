import Foundation

/// Where a node's HTTP API listens, parsed from a URL such as `http://127.0.0.1:8080` or
/// `https://localhost:8443`.
///
/// `https` is for a node whose `api.tls` section is set; its certificate is checked against the
/// system's trust roots, or against the CA the client is given (``APIClientTLS``).
public struct APIEndpoint: Sendable, Equatable, CustomStringConvertible {
    /// The endpoint used when neither `--url`, `SAFEGUARDS_URL` nor an `api-address` file names one.
    public static let defaultURL = "http://127.0.0.1:8080"

    public let host: String
    public let port: Int
    /// Whether the API is reached over TLS (`https`).
    public let isSecure: Bool

    public init(host: String, port: Int, isSecure: Bool = false) {
        self.host = host
        self.port = port
        self.isSecure = isSecure
    }

    /// Parses `http[s]://host[:port][/]`, or `host:port` as a shorthand for `http://host:port`; the
    /// port defaults to 80 for http and 443 for https.
    ///
    /// - Throws: ``APIEndpointError`` saying what is wrong with the text.
    public init(parsing text: String) throws(APIEndpointError) {
        let problem = APIEndpointError("'\(text.prefix(200))' is not an http(s) URL like \(Self.defaultURL)")
        let url = text.contains("://") ? text : "http://" + text
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased() else {
            throw problem
        }
        guard scheme == "http" || scheme == "https" else {
            throw APIEndpointError("only http and https are supported (got '\(scheme.prefix(20))')")
        }
        guard var host = components.host, !host.isEmpty else { throw problem }
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard components.path.isEmpty || components.path == "/", components.query == nil,
            components.fragment == nil, components.user == nil
        else {
            throw APIEndpointError("give only the scheme, host and port (e.g. \(Self.defaultURL))")
        }
        let port = components.port ?? (scheme == "https" ? 443 : 80)
        guard (1...65_535).contains(port) else { throw APIEndpointError("port \(port) is outside 1-65535") }
        self.host = host
        self.port = port
        self.isSecure = scheme == "https"
    }

    /// `http` or `https`.
    public var scheme: String { isSecure ? "https" : "http" }

    public var description: String {
        host.contains(":") ? "\(scheme)://[\(host)]:\(port)" : "\(scheme)://\(host):\(port)"
    }
}

/// A text that is not a usable API URL.
public struct APIEndpointError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
