import SafeguardsCore
import Testing

/// Ids a caller chooses have 1-128 characters; a transfer id, which the node builds from an
/// idempotency key with a prefix and a suffix, may have up to 256.
@Suite("Identifier lengths")
struct IdentifierTests {
    @Test func callerChosenIdsHaveAtMost128Characters() throws {
        _ = try IdempotencyKey(String(repeating: "k", count: 128))
        _ = try AgentID(String(repeating: "a", count: 128))
        let refused = #expect(throws: IdentifierError.self) { try IdempotencyKey(String(repeating: "k", count: 129)) }
        #expect(refused?.description.contains("use 1-128 characters") == true)
        #expect(throws: IdentifierError.self) { try AgentID("") }
    }

    @Test func aTransferIDMadeFromTheLongestKeyIsValid() throws {
        let key = String(repeating: "k", count: 128)
        for id in ["spd:\(key)", "fed:tx:\(key)", "rsv:\(key):\(String(repeating: "r", count: 64))"] {
            _ = try TransferID(id)
        }
        _ = try TransferID(String(repeating: "t", count: 256))
        let refused = #expect(throws: IdentifierError.self) { try TransferID(String(repeating: "t", count: 257)) }
        #expect(refused?.description.contains("use 1-256 characters") == true)
        #expect(throws: IdentifierError.self) { try TransferID("spd:has space") }
    }
}
