import Foundation
import Hummingbird
import SafeguardsCore
import SafeguardsTestKit
import Testing
import Yams

@testable import SafeguardsNode

/// The router and `docs/openapi.yaml` describe the same operations: every route the node serves
/// is documented, and every documented operation is served.
@Suite("OpenAPI file against the router")
struct OpenAPIRoutesTests {
    /// `METHOD /path` with every path parameter written `{}`, so `:id` and `{pool_id}` compare equal.
    static func operation(_ method: String, _ path: String) -> String {
        let segments = path.split(separator: "/", omittingEmptySubsequences: true).map { segment in
            segment.hasPrefix(":") || (segment.hasPrefix("{") && segment.hasSuffix("}")) ? "{}" : String(segment)
        }
        return "\(method.uppercased()) /\(segments.joined(separator: "/"))"
    }

    /// `docs/openapi.yaml`, parsed.
    static func document() throws -> [String: Any] {
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("docs/openapi.yaml")
        let text = try String(contentsOf: file, encoding: .utf8)
        return try #require(try Yams.load(yaml: text) as? [String: Any])
    }

    /// The operations `docs/openapi.yaml` documents.
    static func documentedOperations() throws -> Set<String> {
        let document = try document()
        let paths = try #require(document["paths"] as? [String: Any])
        let methods: Set<String> = ["get", "put", "post", "delete", "patch", "head", "options"]
        var operations: Set<String> = []
        for (path, item) in paths {
            let item = try #require(item as? [String: Any], "\(path) is not a path item")
            for key in item.keys where methods.contains(key) { operations.insert(operation(key, path)) }
        }
        return operations
    }

    /// The operations the node's router serves.
    static func routedOperations() async throws -> Set<String> {
        try await TestNode.with { _, node in
            Set(node.apiRoutes.makeRouter().routes.map { operation($0.method.rawValue, $0.path.description) })
        }
    }

    @Test func everyRouteIsDocumentedAndEveryDocumentedOperationIsRouted() async throws {
        let documented = try Self.documentedOperations()
        let routed = try await Self.routedOperations()
        #expect(routed.count > 40, "the router lists its routes")
        let undocumented = routed.subtracting(documented).sorted()
        let unrouted = documented.subtracting(routed).sorted()
        #expect(undocumented.isEmpty, "served but not in docs/openapi.yaml: \(undocumented)")
        #expect(unrouted.isEmpty, "in docs/openapi.yaml but not served: \(unrouted)")
    }

    /// The transfer kinds the file lists (for `metadata.kind` and the `kind` filter) are the ones
    /// the node writes.
    @Test func transferKindsAreTheNodesKinds() throws {
        let components = try #require(try Self.document()["components"] as? [String: Any])
        let schemas = try #require(components["schemas"] as? [String: Any])
        let kind = try #require(schemas["TransferKind"] as? [String: Any])
        let documented = try #require(kind["enum"] as? [String])
        #expect(Set(documented) == Set(TransferKind.allCases.map(\.rawValue)))
        #expect(documented.count == TransferKind.allCases.count)
    }

    @Test func parametersCompareByPosition() {
        #expect(Self.operation("get", "/v1/pools/{pool_id}") == Self.operation("GET", "/v1/pools/:id"))
        #expect(
            Self.operation("post", "/v1/pools/{pool_id}/policies/apply")
                != Self.operation("POST", "/v1/pools/:id/policies/:kind"))
    }
}
