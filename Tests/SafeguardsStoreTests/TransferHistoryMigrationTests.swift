import Foundation
import GRDB
import SafeguardsCore
import SafeguardsTestKit
import Testing

@testable import SafeguardsStore

/// `v10_transfer_history` fills `agent_id`, `pool_id` and `kind` for the rows written before it,
/// by the rules new rows are written with.
@Suite("Transfer history columns")
struct TransferHistoryMigrationTests {
    typealias Columns = (agent: String?, pool: String?, kind: String?)

    static func columns(at path: String) throws -> [String: Columns] {
        let queue = try DatabaseQueue(path: path)
        defer { try? queue.close() }
        return try queue.read { db in
            var columns: [String: Columns] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT id, agent_id, pool_id, kind FROM transfers") {
                columns[row["id"]] = (row["agent_id"], row["pool_id"], row["kind"])
            }
            return columns
        }
    }

    @Test func aDatabaseWrittenAtV8IsBackFilled() throws {
        let path = (try makeTemporaryDirectory() as NSString).appendingPathComponent("v8.sqlite")
        let queue = try DatabaseQueue(path: path)
        try StoreSchema.migrator.migrate(queue, upTo: "v8_peer_trust_recovery")
        try queue.write { db in
            let accounts = [
                "funding", "pool:p1", "agent:team:a1", "spent:team:a1", "res:team:a1:gpu", "resused:team:a1:gpu",
                "credit:system_b", "given:system_b", "receivable:system_b", "agent:a2", "resfund:gpu",
            ]
            for account in accounts { try db.execute(sql: "INSERT INTO accounts(id, flags) VALUES (?, 0)", arguments: [account]) }
            try db.execute(
                sql: "INSERT INTO pools(id, name, priority, metadata, created_at) VALUES ('p1', 'one', 5, '{}', 1)")
            try db.execute(
                sql: """
                    INSERT INTO agents(id, pool_id, priority, initial_budget, created_at) VALUES
                        ('team:a1', 'p1', 'HIGH', 10, 1), ('a2', 'p1', 'LOW', 0, 1)
                    """)
            let rows: [(String, String, String, String)] = [
                ("fund:p1", "funding", "pool:p1", #"{"kind":"pool_funding","pool_id":"p1"}"#),
                ("alloc:team:a1", "pool:p1", "agent:team:a1", #"{"agent_id":"team:a1","kind":"agent_allocation","pool_id":"p1"}"#),
                ("spd_1", "agent:team:a1", "spent:team:a1", #"{"agent_id":"team:a1","kind":"spend"}"#),
                ("rres:1:gpu", "res:team:a1:gpu", "resused:team:a1:gpu", #"{"agent_id":"team:a1","kind":"resource_reservation","resource":"gpu"}"#),
                ("resb:1:gpu", "resfund:gpu", "res:team:a1:gpu", #"{"kind":"resource_budget"}"#),
                // A giver's movement names the peer's agent in its metadata: no agent of this node.
                ("in:00ff", "credit:system_b", "given:system_b", #"{"agent_id":"a2","kind":"remote_transfer","peer":"system_b"}"#),
                ("fed:tx1", "receivable:system_b", "agent:a2", #"{"agent_id":"a2","kind":"remote_transfer"}"#),
                ("custom", "funding", "credit:system_b", #"{"kind":"made_up"}"#),
            ]
            for (index, (id, debit, credit, metadata)) in rows.enumerated() {
                try db.execute(
                    sql: """
                        INSERT INTO transfers(id, debit_account, credit_account, amount, is_pending, reason, metadata,
                            created_at, state, posted_amount)
                        VALUES (?, ?, ?, 1, 0, '', ?, ?, 'posted', 1)
                        """,
                    arguments: [id, debit, credit, metadata, 1000 + index])
            }
        }
        try queue.close()

        let store = try LedgerStore(path: path)
        #expect(try store.appliedMigrations().contains("v10_transfer_history"))
        let columns = try Self.columns(at: path)
        let expected: [String: Columns] = [
            "fund:p1": (nil, "p1", "pool_funding"),
            "alloc:team:a1": ("team:a1", "p1", "agent_allocation"),
            "spd_1": ("team:a1", "p1", "spend"),
            "rres:1:gpu": ("team:a1", "p1", "resource_reservation"),
            "resb:1:gpu": ("team:a1", "p1", "resource_budget"),
            "in:00ff": (nil, nil, "remote_transfer"),
            "fed:tx1": ("a2", "p1", "remote_transfer"),
            "custom": (nil, nil, nil),
        ]
        #expect(columns.count == expected.count)
        for (id, want) in expected {
            let got = try #require(columns[id], "\(id)")
            #expect(got.agent == want.agent && got.pool == want.pool && got.kind == want.kind, "\(id): \(got)")
        }
        // The back-filled rows page like new ones.
        let page = try store.transferPage(TransferFilter(agent: AgentID(unchecked: "team:a1")), before: nil, limit: 10)
        #expect(page.map(\.item.id.rawValue) == ["resb:1:gpu", "rres:1:gpu", "spd_1", "alloc:team:a1"])
    }

    @Test func newRowsGetTheSameColumnsAtInsert() async throws {
        let fixture = try StoreFixture()
        try await fixture.seed(agents: [("a1", 100)])
        _ = try await fixture.writer.submit(.spend(AgentID(unchecked: "a1"), amount: 5, transferID: TransferID(unchecked: "spd_x")))
        let columns = try Self.columns(at: fixture.path)
        let spend = try #require(columns["spd_x"])
        #expect(spend.agent == "a1" && spend.pool == StoreFixture.pool.rawValue && spend.kind == "spend")
        let allocation = try #require(columns["alloc:a1"])
        #expect(allocation.agent == "a1" && allocation.pool == StoreFixture.pool.rawValue)
        #expect(allocation.kind == "agent_allocation")
    }
}
