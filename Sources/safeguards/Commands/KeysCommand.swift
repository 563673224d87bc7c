import ArgumentParser
import SafeguardsAPI

/// `safeguards keys create|list|show|revoke`: scoped API keys.
struct KeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys", abstract: "Create, list and revoke scoped API keys (admin only).",
        subcommands: [Create.self, List.self, Show.self, Revoke.self])

    /// `safeguards keys create --name N --role agent --agent coder --pool research [--expires-at T]`
    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a key and print it: the node keeps only its hash, so it is shown this once.")
        @OptionGroup var api: APIOptions
        @Option(help: "A name for people.") var name: String
        @Option(help: "admin (everything) or agent (reserve, settle, spend and read for its agents).")
        var role: String
        @Option(name: .customLong("agent"), help: "An agent the key acts for (repeatable).")
        var agents: [String] = []
        @Option(name: .customLong("pool"), help: "A pool (id or name) whose agents the key acts for (repeatable).")
        var pools: [String] = []
        @Option(help: "When the key stops working, RFC 3339 (e.g. 2027-01-01T00:00:00Z).") var expiresAt: String?
        @Option(help: "Makes a retry safe: a second create with it is refused, not a second key.")
        var idempotencyKey: String?

        func validate() throws {
            guard role == "admin" || role == "agent" else { throw ValidationError("--role: admin or agent") }
            if role == "agent", agents.isEmpty, pools.isEmpty {
                throw ValidationError("an agent key needs --agent or --pool")
            }
        }

        func run() async throws {
            let key = try await api.withClient { client in
                var poolIDs: [String] = []
                for pool in pools { poolIDs.append(try await PoolLookup.id(for: pool, client: client)) }
                return try await client.createAPIKey(
                    CreateAPIKeyRequest(
                        name: name, role: role, agentIDs: agents.isEmpty ? nil : agents,
                        poolIDs: poolIDs.isEmpty ? nil : poolIDs, expiresAt: expiresAt, idempotencyKey: idempotencyKey))
            }
            try api.output(key) {
                KeyTables.key(key).render()
                    + "\nkeep the key now: the node stores only its hash and cannot show it again"
            }
        }
    }

    /// `safeguards keys list`
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the keys (never their text).")
        @OptionGroup var api: APIOptions

        func run() async throws {
            let list = try await api.withClient { client in try await client.apiKeys() }
            try api.output(list) { list.apiKeys.isEmpty ? "no api keys" : KeyTables.keys(list.apiKeys).render() }
        }
    }

    /// `safeguards keys show ID`
    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one key's scope.")
        @OptionGroup var api: APIOptions
        @Argument(help: "The key's id (key_...).") var id: String

        func run() async throws {
            let key = try await api.withClient { client in try await client.apiKey(id) }
            try api.output(key) { KeyTables.key(key).render() }
        }
    }

    /// `safeguards keys revoke ID`
    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a key: refused from now on.")
        @OptionGroup var api: APIOptions
        @Argument(help: "The key's id (key_...).") var id: String

        func run() async throws {
            let key = try await api.withClient { client in try await client.revokeAPIKey(id) }
            try api.output(key) { "revoked api key \(key.id) (\(key.name))" }
        }
    }
}

/// Tables of API keys.
enum KeyTables {
    static func key(_ key: APIKeyBody) -> TextTable {
        var pairs: [(String, String)] = [("api key", key.id)]
        if let text = key.key { pairs.append(("key", text)) }
        pairs += [("name", key.name), ("role", key.role)]
        if !key.agentIDs.isEmpty { pairs.append(("agents", key.agentIDs.joined(separator: ", "))) }
        if !key.poolIDs.isEmpty { pairs.append(("pools", key.poolIDs.joined(separator: ", "))) }
        pairs.append(("expires", key.expiresAt ?? "never"))
        pairs.append(("created", key.createdAt))
        return .details(pairs)
    }

    static func keys(_ keys: [APIKeyBody]) -> TextTable {
        var table = TextTable([
            .left("ID"), .left("NAME"), .left("ROLE"), .left("AGENTS"), .left("POOLS"), .left("EXPIRES"),
            .left("CREATED"),
        ])
        for key in keys {
            table.append([
                key.id, key.name, key.role, key.agentIDs.isEmpty ? "-" : key.agentIDs.joined(separator: ","),
                key.poolIDs.isEmpty ? "-" : key.poolIDs.joined(separator: ","), key.expiresAt ?? "never", key.createdAt,
            ])
        }
        return table
    }
}
