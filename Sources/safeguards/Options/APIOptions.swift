import ArgumentParser
import Foundation
import SafeguardsAPI
import SafeguardsNode

/// The connection options every API subcommand shares: where the node is, how to authenticate,
/// and whether to print tables or JSON.
struct APIOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "The node's API URL, http only (default: $SAFEGUARDS_URL, else \(APIEndpoint.defaultURL)).",
            valueName: "url"))
    var url: String?

    @Option(
        help: ArgumentHelp(
            "The API bearer token (default: $SAFEGUARDS_API_TOKEN, else the api-token file in --data-dir).",
            valueName: "token"))
    var token: String?

    @Option(help: ArgumentHelp("The node's data folder, where it keeps its api-token file.", valueName: "path"))
    var dataDir: String = "./.safeguards"

    @Flag(help: "Print the API's JSON body (pretty) instead of a table.")
    var json = false

    mutating func validate() throws {
        _ = try endpoint()
    }

    /// The node's address from `--url`, else `SAFEGUARDS_URL`, else the default.
    func endpoint(environment: [String: String] = ProcessInfo.processInfo.environment) throws(ValidationError)
        -> APIEndpoint
    {
        let text = url ?? environment["SAFEGUARDS_URL"].flatMap { $0.isEmpty ? nil : $0 } ?? APIEndpoint.defaultURL
        return try APIEndpoint(parsing: text)
    }

    /// The token from `--token`, else `SAFEGUARDS_API_TOKEN`, else the node's `api-token` file; nil when none.
    func resolvedToken(environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        if let token, !token.isEmpty { return token }
        if let token = environment["SAFEGUARDS_API_TOKEN"], !token.isEmpty { return token }
        return APIToken.read(dataDirectory: dataDir)
    }

    /// Runs `body` with a client for the node. The node's errors are printed as
    /// `error: <code>: <detail>` on stderr and end the command with exit code 1.
    ///
    /// - Throws: `ValidationError` for a bad `--url`, `ExitCode(1)` when the node refused the request
    ///   or could not be reached, and whatever `body` throws otherwise.
    func withClient<Value>(_ body: (SafeguardsClient) async throws -> Value) async throws -> Value {
        let endpoint = try endpoint()
        let token = resolvedToken()
        let client = SafeguardsClient(host: endpoint.host, port: endpoint.port, token: token, maximumConnections: 4)
        let outcome: Result<Value, any Error>
        do {
            outcome = .success(try await body(client))
        } catch {
            outcome = .failure(error)
        }
        await client.pool.shutdown()
        switch outcome {
        case .success(let value):
            return value
        case .failure(let error as APIClientError):
            Console.error(Self.message(for: error, endpoint: endpoint, hasToken: token != nil))
            throw ExitCode(1)
        case .failure(let error):
            throw error
        }
    }

    /// Prints `body` as pretty JSON when `--json` was given, else the table that `render` makes.
    func output<Body: Encodable>(_ body: Body, _ render: () -> String) throws {
        if json { try Console.printJSON(body) } else { print(render()) }
    }

    /// The one-line message for an API error, with a hint where one helps.
    static func message(for error: APIClientError, endpoint: APIEndpoint, hasToken: Bool) -> String {
        switch error {
        case .problem(let problem):
            var line = "error: \(problem.code): \(problem.detail)"
            if problem.code == "unauthorized", !hasToken {
                line +=
                    " (no API token found: pass --token, set SAFEGUARDS_API_TOKEN, or point --data-dir at"
                    + " the node's data folder)"
            }
            if let seconds = problem.retryAfterSeconds { line += " (retry after \(seconds)s)" }
            return line
        case .transport(let detail):
            return
                "error: the node is not reachable at \(endpoint); is `safeguards node run` running?\n  cause: \(detail)"
        case .unexpectedResponse(let status, let detail):
            return "error: unexpected response from the node at \(endpoint) (HTTP \(status)): \(detail)"
        }
    }
}
