import Foundation
import NIOHTTP1
import SafeguardsAPI
import SafeguardsCore
import SafeguardsNode
import SafeguardsTestKit
import Testing

/// The caller's metadata on reservations and spends: bounded, never a key the node writes, kept
/// with the transfer in SQLite and shown by the history.
@Suite("Metadata on reservations and spends", .timeLimit(.minutes(5)))
struct SpendMetadataTests {
    static let notes = ["model": "gpt-5", "input_tokens": "1200", "output_tokens": "300", "operation": "summarize"]

    @Test func metadataIsKeptThroughARestartAndPagesWithTheHistory() async throws {
        let directory = try makeTemporaryDirectory()
        let (spendID, reservationID) = try await TestNode.with(dataDirectory: directory) { (client, _) async throws in
            _ = try await APIKeyTests.Fixture.make(client)
            let spend = try await client.spend(agent: "coder", SpendRequest(amount: 3, metadata: Self.notes))
            let reservation = try await client.reserve(
                agent: "coder", ReserveRequest(amount: 5, idempotencyKey: "r1", metadata: ["model": "small"]))
            _ = try await client.settle(reservation: reservation.reservationID, amount: 2)
            #expect(spend.metadata["model"] == "gpt-5" && spend.metadata["kind"] == "spend")
            return (spend.id, reservation.reservationID)
        }
        try await TestNode.with(dataDirectory: directory) { (client, _) async throws in
            let spend = try await client.transfer(spendID)
            var expected = Self.notes
            expected["kind"] = "spend"
            expected["agent_id"] = "coder"
            expected["api_key_id"] = "admin-token"
            #expect(spend.metadata == expected)
            let reservation = try await client.transfer(reservationID)
            #expect(reservation.metadata["model"] == "small" && reservation.state == "posted")
            // A retry after the restart with the same key and metadata is a replay; other metadata conflicts.
            let replay = try await client.raw(
                .POST, "/v1/agents/coder/reservations",
                body: Array(#"{"amount": "5", "idempotency_key": "r1", "metadata": {"model": "small"}}"#.utf8))
            #expect(replay.status == 201 && replay.header("Idempotent-Replayed") == "true")
            await #expect {
                try await client.reserve(
                    agent: "coder", ReserveRequest(amount: 5, idempotencyKey: "r1", metadata: ["model": "big"]))
            } throws: { ($0 as? APIClientError)?.code == "conflict" }

            let first = try await client.transfers(TransferQuery(agentID: "coder"), page: PageQuery(limit: 1))
            #expect(first.transfers.map(\.id) == [reservationID])
            let second = try await client.transfers(
                TransferQuery(agentID: "coder"), page: PageQuery(limit: 1, after: try #require(first.next)))
            #expect(second.transfers.map(\.id) == [spendID])
            #expect(second.transfers.first?.metadata["input_tokens"] == "1200")
        }
    }

    @Test func badMetadataIsRefusedNamingTheLimitAndStoresNothing() async throws {
        try await TestNode.with { (client, _) async throws in
            _ = try await APIKeyTests.Fixture.make(client)
            let cases: [([String: String], String)] = [
                (Dictionary(uniqueKeysWithValues: (0..<33).map { ("k\($0)", "v") }), "at most 32"),
                (["bad key": "v"], "A-Z a-z 0-9"),
                ([String(repeating: "k", count: 65): "v"], "1 to 64 bytes"),
                (["": "v"], "1 to 64 bytes"),
                (["kind": "reservation"], "set by the node"),
                (["api_key_id": "key_forged"], "set by the node"),
                (["agent_id": "stranger"], "set by the node"),
                (["model": String(repeating: "x", count: 1025)], "at most 1024"),
                (Dictionary(uniqueKeysWithValues: (0..<5).map { ("k\($0)", String(repeating: "x", count: 1000)) }),
                    "federation.max_metadata_bytes"),
            ]
            for (metadata, words) in cases {
                for reserve in [false, true] {
                    let key = "bad-\(reserve)-\(metadata.count)-\(metadata.keys.sorted().first ?? "")"
                    await #expect("\(metadata.keys.sorted().prefix(2)) \(reserve)") {
                        if reserve {
                            _ = try await client.reserve(
                                agent: "coder", ReserveRequest(amount: 1, idempotencyKey: key, metadata: metadata))
                        } else {
                            _ = try await client.spend(
                                agent: "coder", SpendRequest(amount: 1, idempotencyKey: key, metadata: metadata))
                        }
                    } throws: { error in
                        guard case .problem(let problem) = error as? APIClientError else { return false }
                        return problem.status == 400 && problem.code == "invalid_request"
                            && problem.detail.contains(words)
                    }
                }
            }
            let budget = try await client.agent("coder").budget
            #expect(budget.spent == 0 && budget.reserved == 0, "nothing was reserved or spent")
            let spends = try await client.transfers(TransferQuery(agentID: "coder", kind: "spend"))
            #expect(spends.transfers.isEmpty)
            #expect(try await client.ledgerCheck().balanced)
        }
    }
}
