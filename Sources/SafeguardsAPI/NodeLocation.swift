import Foundation

/// Where a client of the API finds its node and its token, and where each came from, so that an
/// error can name the URL it contacted and the token it sent.
///
/// The URL comes from `--url`, else `SAFEGUARDS_URL`, else the `api-address` file the node writes
/// into its data folder once it listens (`host:port`, or `https://host:port` when its API serves
/// TLS), else ``APIEndpoint/defaultURL``. The token
/// comes from `--token`, else `SAFEGUARDS_API_TOKEN`, else the data folder's `api-token` file.
public struct NodeLocation: Sendable, Equatable {
    /// Where the URL came from.
    public enum URLSource: Sendable, Equatable, CustomStringConvertible {
        case flag
        case environment
        /// The `api-address` file at this path.
        case addressFile(String)
        /// None was given and no `api-address` file exists at this path.
        case defaultURL(addressFile: String)

        public var description: String {
            switch self {
            case .flag: "--url"
            case .environment: "SAFEGUARDS_URL"
            case .addressFile(let path): path
            case .defaultURL(let path): "the default; no --url, SAFEGUARDS_URL or \(path)"
            }
        }
    }

    /// Where the token came from.
    public enum TokenSource: Sendable, Equatable, CustomStringConvertible {
        case flag
        case environment
        /// The `api-token` file at this path.
        case tokenFile(String)
        /// No token: none was given and no `api-token` file exists at this path.
        case none(tokenFile: String)

        public var description: String {
            switch self {
            case .flag: "--token"
            case .environment: "SAFEGUARDS_API_TOKEN"
            case .tokenFile(let path): path
            case .none(let path): "none; no --token, SAFEGUARDS_API_TOKEN or \(path)"
            }
        }
    }

    public let endpoint: APIEndpoint
    public let urlSource: URLSource
    public let token: String?
    public let tokenSource: TokenSource

    public init(endpoint: APIEndpoint, urlSource: URLSource, token: String?, tokenSource: TokenSource) {
        self.endpoint = endpoint
        self.urlSource = urlSource
        self.token = token
        self.tokenSource = tokenSource
    }

    /// The data folder's file the node writes its API address into.
    public static func addressPath(dataDirectory: String) -> String {
        (dataDirectory as NSString).appendingPathComponent("api-address")
    }

    /// The data folder's file the node writes a generated token into.
    public static func tokenPath(dataDirectory: String) -> String {
        (dataDirectory as NSString).appendingPathComponent("api-token")
    }

    /// Resolves the URL and the token.
    ///
    /// - Parameters:
    ///   - url: `--url`, when given.
    ///   - token: `--token`, when given (an empty one counts as not given).
    ///   - dataDirectory: the node's data folder (`--data-dir`).
    ///   - environment: the process environment (`SAFEGUARDS_URL`, `SAFEGUARDS_API_TOKEN`).
    ///   - readFile: reads a file as text, nil when it does not exist or cannot be read.
    /// - Throws: ``NodeLocationError`` naming the option, variable or file whose URL is unusable.
    public static func resolve(
        url: String?, token: String?, dataDirectory: String,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        readFile: (String) -> String? = { try? String(contentsOfFile: $0, encoding: .utf8) }
    ) throws(NodeLocationError) -> NodeLocation {
        let addressPath = addressPath(dataDirectory: dataDirectory)
        let urlSource: URLSource
        let address: String
        if let url {
            (urlSource, address) = (.flag, url)
        } else if let url = environment["SAFEGUARDS_URL"], !url.isEmpty {
            (urlSource, address) = (.environment, url)
        } else if let text = readFile(addressPath) {
            (urlSource, address) = (.addressFile(addressPath), text.trimmingCharacters(in: .whitespacesAndNewlines))
        } else {
            (urlSource, address) = (.defaultURL(addressFile: addressPath), APIEndpoint.defaultURL)
        }
        let endpoint: APIEndpoint
        do {
            if case .addressFile = urlSource {
                endpoint = try written(address: address)
            } else {
                endpoint = try APIEndpoint(parsing: address)
            }
        } catch {
            throw NodeLocationError("\(urlSource.sourceName): \(error.message)")
        }

        let tokenPath = tokenPath(dataDirectory: dataDirectory)
        if let token, !token.isEmpty {
            return NodeLocation(endpoint: endpoint, urlSource: urlSource, token: token, tokenSource: .flag)
        }
        if let token = environment["SAFEGUARDS_API_TOKEN"], !token.isEmpty {
            return NodeLocation(endpoint: endpoint, urlSource: urlSource, token: token, tokenSource: .environment)
        }
        if let text = readFile(tokenPath) {
            let token = text.trimmingCharacters(in: .whitespacesAndNewlines)
            if !token.isEmpty {
                return NodeLocation(
                    endpoint: endpoint, urlSource: urlSource, token: token, tokenSource: .tokenFile(tokenPath))
            }
        }
        return NodeLocation(
            endpoint: endpoint, urlSource: urlSource, token: nil, tokenSource: .none(tokenFile: tokenPath))
    }

    /// The endpoint for an address a node wrote: `127.0.0.1:8081` or `[::1]:8081` for plain HTTP,
    /// `https://127.0.0.1:8443` when its API serves TLS (`api.tls`). A node that listens on every
    /// interface (`0.0.0.0`, `::`) is reached on loopback.
    static func written(address: String) throws(APIEndpointError) -> APIEndpoint {
        let url = address.lowercased().hasPrefix("https://") ? address : "http://" + address
        guard let components = URLComponents(string: url), components.port != nil else {
            throw APIEndpointError("'\(address.prefix(200))' is not the host:port a node writes")
        }
        let endpoint = try APIEndpoint(parsing: url)
        switch endpoint.host {
        case "0.0.0.0": return APIEndpoint(host: "127.0.0.1", port: endpoint.port, isSecure: endpoint.isSecure)
        case "::": return APIEndpoint(host: "::1", port: endpoint.port, isSecure: endpoint.isSecure)
        default: return endpoint
        }
    }

    /// Two lines for an error message: the URL contacted and where it came from, and the token's source.
    public var explanation: String {
        "  url: \(endpoint) (from \(urlSource))\n  token: \(token == nil ? tokenSource.description : "from \(tokenSource)")"
    }
}

extension NodeLocation.URLSource {
    /// The name to put before a complaint about the URL.
    fileprivate var sourceName: String {
        switch self {
        case .flag: "--url"
        case .environment: "SAFEGUARDS_URL"
        case .addressFile(let path): path
        case .defaultURL: "the default URL"
        }
    }
}

/// The URL given or found for the node is unusable. The message names where it came from.
public struct NodeLocationError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
