import Foundation
import NIOHTTP1
import SafeguardsAPI
import SafeguardsCore
import SafeguardsTestKit
import Testing

/// The policy parameter files in `docs/examples/` (`policy set --params @docs/examples/<kind>.json`)
/// are accepted by a node as they ship, and every one the README names exists.
@Suite("Shipped policy examples", .timeLimit(.minutes(5)))
struct ShippedExamplesTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let examples = root.appendingPathComponent("docs/examples")

    /// Each `docs/examples/<kind>.json`, by kind.
    static func shipped() throws -> [(kind: String, json: Data)] {
        try FileManager.default.contentsOfDirectory(atPath: examples.path).filter { $0.hasSuffix(".json") }.sorted()
            .map { name in
                (String(name.dropLast(".json".count)), try Data(contentsOf: examples.appendingPathComponent(name)))
            }
    }

    @Test func everyShippedExampleIsAcceptedByANode() async throws {
        let shipped = try Self.shipped()
        #expect(shipped.map(\.kind).contains("adaptive_sizing") && shipped.map(\.kind).contains("reinforcement_learning"))
        try await TestNode.with { client, _ in
            for (index, example) in shipped.enumerated() {
                // A pool each: usage_prediction and reinforcement_learning may not share one.
                let pool = try await client.createPool(
                    CreatePoolRequest(name: "example-\(index)", initialBudget: 1000, priority: 5))
                let answer = try await client.raw(
                    .PUT, "/v1/pools/\(pool.id)/policies/\(example.kind)", body: Array(example.json))
                let text = String(decoding: answer.body, as: UTF8.self)
                #expect(answer.status == 200, "docs/examples/\(example.kind).json: \(text)")
                let policies = try JSONSerialization.jsonObject(with: Data(answer.body)) as? [String: Any]
                #expect(policies?[example.kind] is [String: Any], "docs/examples/\(example.kind).json: \(text)")
            }
        }
    }

    @Test func everyExampleTheReadmeNamesShips() throws {
        let readme = try String(contentsOf: Self.root.appendingPathComponent("README.md"), encoding: .utf8)
        let named = readme.matches(of: /@(docs\/examples\/[A-Za-z0-9_.-]+\.json)/).map { String($0.output.1) }
        #expect(!named.isEmpty, "the README shows `policy set --params @docs/examples/...`")
        for path in named {
            #expect(FileManager.default.fileExists(atPath: Self.root.appendingPathComponent(path).path), "\(path) does not ship")
        }
    }
}
