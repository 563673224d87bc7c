import ArgumentParser
import Foundation
import SafeguardsAPI

/// `safeguards peers add|list|show|remove|ping`: the federation peer registry.
struct PeersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "peers", abstract: "Register federation peers and check they are reachable.",
        subcommands: [Add.self, List.self, Show.self, Remove.self, Ping.self])

    /// `safeguards peers add --system-id X --address host:port --trust 0.8 --public-key BASE64|@file`
    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Register a peer, or update one.")
        @OptionGroup var api: APIOptions
        @Option(help: "The peer's system id (its certificate must name it).") var systemID: String
        @Option(help: "host:port of the peer's federation listener.") var address: String
        @Option(help: "Configured trust, 0..1.") var trust: String
        @Option(help: "The peer's Ed25519 public key in base64, or @PATH of its .signing.pub file.")
        var publicKey: String

        func run() async throws {
            var key = publicKey
            if key.hasPrefix("@") {
                let path = String(key.dropFirst())
                guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                    throw CLIError("--public-key: cannot read the public key file \(path)")
                }
                key = text.trimmingCharacters(in: .whitespacesAndNewlines)
            }
            let request = PeerRequest(systemID: systemID, address: address, trustLevel: trust, publicKey: key)
            let peer = try await api.withClient { client in try await client.addPeer(request) }
            try api.output(peer) { PeerTables.peer(peer).render() }
        }
    }

    /// `safeguards peers list`
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the registered peers.")
        @OptionGroup var api: APIOptions

        func run() async throws {
            let list = try await api.withClient { client in try await client.peers() }
            try api.output(list) { list.peers.isEmpty ? "no peers" : PeerTables.peers(list.peers).render() }
        }
    }

    /// `safeguards peers show ID`
    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one peer, its trust and history.")
        @OptionGroup var api: APIOptions
        @Argument(help: "The peer's system id.") var systemID: String

        func run() async throws {
            let peer = try await api.withClient { client in try await client.peer(systemID) }
            try api.output(peer) { PeerTables.peer(peer).render() }
        }
    }

    /// `safeguards peers remove ID`
    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Forget a peer.")
        @OptionGroup var api: APIOptions
        @Argument(help: "The peer's system id.") var systemID: String

        func run() async throws {
            try await api.withClient { client in try await client.removePeer(systemID) }
            print("removed peer \(systemID)")
        }
    }

    /// `safeguards peers ping ID`
    struct Ping: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Send the peer a signed ping over mutual TLS and verify its signed pong.")
        @OptionGroup var api: APIOptions
        @Argument(help: "The peer's system id.") var systemID: String

        func run() async throws {
            let result = try await api.withClient { client in try await client.ping(peer: systemID) }
            try api.output(result) {
                "\(result.systemID) answered in \(result.roundTripMs) ms (effective trust \(result.effectiveTrust))"
            }
        }
    }
}

/// Peer tables for the CLI.
enum PeerTables {
    static func peers(_ peers: [PeerBody]) -> TextTable {
        var table = TextTable([
            .left("PEER"), .left("ADDRESS"), .right("TRUST"), .right("EFFECTIVE"), .right("GOOD"), .right("BAD"),
            .left("LAST CONTACT"), .left("SOURCE"),
        ])
        for peer in peers {
            table.append([
                peer.systemID, peer.address, peer.trustLevel, peer.effectiveTrust, String(peer.goodMessages),
                String(peer.badMessages), peer.lastContact ?? "never", peer.source,
            ])
        }
        return table
    }

    static func peer(_ peer: PeerBody) -> TextTable {
        .details([
            ("peer", peer.systemID), ("address", peer.address), ("public key", peer.publicKey),
            ("trust level", peer.trustLevel), ("effective trust", peer.effectiveTrust),
            ("good messages", String(peer.goodMessages)), ("bad messages", String(peer.badMessages)),
            ("last contact", peer.lastContact ?? "never"), ("last offense", peer.lastOffenseAt ?? "never"),
            ("source", peer.source), ("created", peer.createdAt),
        ])
    }
}
