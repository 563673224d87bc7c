import ArgumentParser
import Foundation
import SafeguardsAPI

/// The connection options every API subcommand shares: where the node is, how to authenticate
/// (the token, and for https the CA and a client certificate), and whether to print tables or JSON.
struct APIOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "The node's API URL, http:// or https:// (default: $SAFEGUARDS_URL, else the api-address file in"
                + " --data-dir, else \(APIEndpoint.defaultURL)).",
            valueName: "url"))
    var url: String?

    @Option(
        help: ArgumentHelp(
            "PEM file of the CA that signed the node's API certificate, for https (default: $SAFEGUARDS_CA;"
                + " else the system's trust roots).",
            valueName: "file"))
    var ca: String?

    @Option(
        help: ArgumentHelp(
            "PEM client certificate, for a node whose api.tls.client_ca requires one (default: $SAFEGUARDS_CERT).",
            valueName: "file"))
    var cert: String?

    @Option(
        help: ArgumentHelp("PEM private key of --cert (default: $SAFEGUARDS_KEY).", valueName: "file"))
    var key: String?

    @Option(
        help: ArgumentHelp(
            "The API bearer token (default: $SAFEGUARDS_API_TOKEN, else the api-token file in --data-dir).",
            valueName: "token"))
    var token: String?

    @Option(
        help: ArgumentHelp(
            "The node's data folder, where it writes its api-address and api-token files.", valueName: "path"))
    var dataDir: String = "./.safeguards"

    @Flag(help: "Print the API's JSON body (pretty) instead of a table.")
    var json = false

    /// The node's URL and token, and where each came from (see ``NodeLocation``).
    ///
    /// - Throws: ``CLIError`` when the URL given or found is unusable.
    func location(environment: [String: String] = ProcessInfo.processInfo.environment) throws(CLIError) -> NodeLocation
    {
        do {
            return try NodeLocation.resolve(url: url, token: token, dataDirectory: dataDir, environment: environment)
        } catch {
            throw CLIError(error.message)
        }
    }

    /// The TLS files for an https node: each flag, else its environment variable.
    func tls(environment: [String: String] = ProcessInfo.processInfo.environment) -> APIClientTLS {
        func given(_ flag: String?, _ variable: String) -> String? {
            if let flag, !flag.isEmpty { return flag }
            return environment[variable].flatMap { $0.isEmpty ? nil : $0 }
        }
        return APIClientTLS(
            caPath: given(ca, "SAFEGUARDS_CA"), certificatePath: given(cert, "SAFEGUARDS_CERT"),
            privateKeyPath: given(key, "SAFEGUARDS_KEY"))
    }

    /// Runs `body` with a client for the node. The node's errors are printed as
    /// `error: <code>: <detail>` on stderr, with the URL contacted and the token's source when the
    /// node could not be reached or refused the token, and end the command with exit code 1.
    ///
    /// - Throws: ``CLIError`` for an unusable URL, or when the node refused the request or could not
    ///   be reached; whatever `body` throws otherwise.
    func withClient<Value>(_ body: (SafeguardsClient) async throws -> Value) async throws -> Value {
        let location = try location()
        let client: SafeguardsClient
        do {
            client = try SafeguardsClient(
                endpoint: location.endpoint, token: location.token, tls: tls(), maximumConnections: 4)
        } catch {
            throw CLIError(Self.message(for: error, location: location))
        }
        let outcome: Result<Value, any Error>
        do {
            outcome = .success(try await body(client))
        } catch {
            outcome = .failure(error)
        }
        await client.shutdown()
        switch outcome {
        case .success(let value):
            return value
        case .failure(let error as APIClientError):
            throw CLIError(Self.message(for: error, location: location))
        case .failure(let error):
            throw error
        }
    }

    /// Prints `body` as pretty JSON when `--json` was given, else the table that `render` makes.
    func output<Body: Encodable>(_ body: Body, _ render: () -> String) throws {
        if json { try Console.printJSON(body) } else { print(render()) }
    }

    /// The message for an API error (without the leading `error: `). A connection failure or a
    /// refused token names the URL contacted and where the token came from.
    static func message(for error: APIClientError, location: NodeLocation) -> String {
        switch error {
        case .problem(let problem):
            var line = "\(problem.code): \(problem.detail)"
            if let seconds = problem.retryAfterSeconds { line += " (retry after \(seconds)s)" }
            if problem.code == "unauthorized" {
                line += "\n" + location.explanation
                if location.token == nil {
                    line += "\n  pass --token, set SAFEGUARDS_API_TOKEN, or point --data-dir at the node's data folder"
                } else {
                    line += "\n  the node does not accept this token; is this the node it belongs to?"
                }
            }
            return line
        case .transport(let detail) where detail.contains("TLS"):
            return "the TLS handshake with the node at \(location.endpoint) failed\n" + location.explanation
                + "\n  cause: \(detail)"
        case .transport(let detail):
            return "the node is not reachable at \(location.endpoint); is `safeguards node run` running?\n"
                + location.explanation + "\n  cause: \(detail)"
        case .unexpectedResponse(let status, let detail):
            return "unexpected response from the node at \(location.endpoint) (HTTP \(status)): \(detail)"
        case .configuration(let detail):
            return "cannot use the TLS files for \(location.endpoint) (--ca, --cert, --key): \(detail)"
        }
    }
}
