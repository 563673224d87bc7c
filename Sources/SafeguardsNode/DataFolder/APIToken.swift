import Foundation
import Logging

/// Where the API token comes from: the config or `SAFEGUARDS_API_TOKEN`, else a token the node
/// generates once in its data folder for the CLI to read.
///
/// The generated file is private from its first byte: it is written through ``PrivateFile``
/// (created 0600 by `open(2)`, synced, renamed into place), never created wider and narrowed later.
public enum APIToken {
    static func resolve(config: NodeConfig, logger: Logger) throws(NodeStartupError) -> String {
        if let token = config.api.token { return token }
        if let existing = read(dataDirectory: config.dataDirectory) { return existing }
        let token = BudgetOperations.randomHex()
        try PrivateFile.write(token + "\n", to: config.tokenPath)
        logger.info("generated an API token", metadata: ["path": "\(config.tokenPath)"])
        return token
    }

    /// The token stored in a data folder, if any.
    public static func read(dataDirectory: String) -> String? {
        let path = (dataDirectory as NSString).appendingPathComponent("api-token")
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        let token = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return token.isEmpty ? nil : token
    }
}
