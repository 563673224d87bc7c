import Foundation
import NIOCore
import SafeguardsAPI
import SafeguardsCore
import Testing

@testable import SafeguardsNode

/// The API's JSON with each body's own `CodingKeys` and plain coders is the JSON the legacy
/// key-converting coders wrote and read (``LegacyAPICoding``), byte for byte, for every body.
@Suite("Wire format: explicit keys write and read what the key strategies did")
struct WireFormatTests {
    struct SameBytes: BodyCheck {
        func callAsFunction<T: Codable & Equatable & Sendable>(_ value: T) throws {
            let legacy = try LegacyAPICoding.encoder().encode(value)
            let current = try APICoding.encode(value)
            #expect(String(decoding: current, as: UTF8.self) == String(decoding: legacy, as: UTF8.self), "\(T.self)")
            // The CLI's `--json` output: the same, pretty-printed.
            let legacyPretty = LegacyAPICoding.encoder()
            legacyPretty.outputFormatting.insert(.prettyPrinted)
            let pretty = APICoding.encoder()
            pretty.outputFormatting.insert(.prettyPrinted)
            #expect(try pretty.encode(value) == legacyPretty.encode(value), "\(T.self)")
        }
    }

    /// Every stored property of a body, nested ones too, is under the key the legacy encoder gave
    /// it (its Swift name in snake_case), a key the legacy decoder mapped back to that property;
    /// map entries keep their keys. Found by reflection, apart from the bodies' `CodingKeys`, so a
    /// misspelt key fails here even where the legacy encoder, which leaves snake_case alone,
    /// would write it unchanged.
    struct KeysFromPropertyNames: BodyCheck {
        func callAsFunction<T: Codable & Equatable & Sendable>(_ value: T) throws {
            let json = try JSONSerialization.jsonObject(with: try APICoding.encode(value), options: .fragmentsAllowed)
            Self.compare(value, json, path: "\(T.self)")
        }

        static func compare(_ value: Any, _ json: Any, path: String) {
            let mirror = Mirror(reflecting: value)
            switch mirror.displayStyle {
            case .struct:
                // Amounts and ratios are structs written as strings: leaves.
                guard let object = json as? [String: Any] else { return }
                var keys: Set<String> = []
                for child in mirror.children {
                    guard let label = child.label else { continue }
                    let key = LegacyAPICoding.snakeCase(label)
                    #expect(LegacyAPICoding.camelCase(key) == label, "\(path).\(label)")
                    let property = Mirror(reflecting: child.value)
                    if property.displayStyle == .optional, property.children.isEmpty {
                        // Left out, or `null` for a page's `next`.
                        #expect(object[key] == nil || object[key] is NSNull, "\(path).\(key)")
                        continue
                    }
                    keys.insert(key)
                    guard let nested = object[key] else {
                        Issue.record("\(path): no key '\(key)' for property '\(label)' in \(object.keys.sorted())")
                        continue
                    }
                    compare(child.value, nested, path: "\(path).\(key)")
                }
                #expect(Set(object.keys).subtracting(keys).allSatisfy { object[$0] is NSNull }, "\(path): \(object.keys.sorted())")
            case .optional:
                if let wrapped = mirror.children.first { compare(wrapped.value, json, path: path) }
            case .collection:
                guard let array = json as? [Any] else {
                    Issue.record("\(path) is not an array")
                    return
                }
                for (element, item) in zip(mirror.children, array) { compare(element.value, item, path: path + ".0") }
            case .dictionary:
                guard let object = json as? [String: Any] else {
                    Issue.record("\(path) is not an object")
                    return
                }
                for entry in mirror.children {
                    let pair = Array(Mirror(reflecting: entry.value).children)
                    guard pair.count == 2, let key = pair[0].value as? String, let item = object[key] else {
                        Issue.record("\(path): a map entry is missing")
                        continue
                    }
                    compare(pair[1].value, item, path: path + ".<key>")
                }
            default:
                return
            }
        }
    }

    @Test func everyBodyEncodesToTheLegacyBytes() throws {
        try WireFormatFixtures.forEachBody(SameBytes())
    }

    @Test func everyWireKeyIsThePropertyNameInSnakeCase() throws {
        try WireFormatFixtures.forEachBody(KeysFromPropertyNames())
    }

    /// The legacy bytes read back as the value they came from (the legacy decoder read each of
    /// those keys into the property they name, as the test above checks).
    @Test func everyBodyReadsBackFromTheLegacyBytes() throws {
        struct ReadsBack: BodyCheck {
            func callAsFunction<T: Codable & Equatable & Sendable>(_ value: T) throws {
                #expect(try APICoding.decode(T.self, from: LegacyAPICoding.encoder().encode(value)) == value, "\(T.self)")
            }
        }
        try WireFormatFixtures.forEachBody(ReadsBack())
    }

    /// Refusals of request bodies name the same field, with the same words, as before.
    @Test func refusalsNameTheSameFields() throws {
        func compare<T: Decodable>(_ type: T.Type, _ text: String, sourceLocation: SourceLocation = #_sourceLocation) {
            let legacy = LegacyAPICoding.refusal(T.self, text)
            var current: SafeguardsError?
            do { _ = try JSONBody.decodeCodable(T.self, from: ByteBuffer(string: text)) } catch {
                current = error as? SafeguardsError
            }
            #expect(legacy != nil, "\(text) was accepted", sourceLocation: sourceLocation)
            #expect(current == legacy, "\(T.self) \(text)", sourceLocation: sourceLocation)
        }
        compare(SpendRequest.self, "{}")
        compare(SpendRequest.self, "[]")
        compare(SpendRequest.self, #"{"amount":5}"#)
        compare(SpendRequest.self, #"{"amount":"1","idempotency_key":7}"#)
        compare(RegisterAgentRequest.self, #"{"agent_id":"a"}"#)
        compare(RegisterAgentRequest.self, #"{"agent_id":1,"pool_id":"p","priority":"LOW","initial_budget":"1"}"#)
        compare(RegisterAgentRequest.self, #"{"agent_id":"a","pool_id":"p","priority":"LOW","initial_budget":"1e3"}"#)
        compare(UpdateBudgetRequest.self, #"{"budget":"1","reason":null}"#)
        compare(ReserveRequest.self, #"{"amount":"1","timeout_seconds":1.5}"#)
        compare(ReserveRequest.self, #"{"amount":"1","timeout_seconds":99999999999999999999}"#)
        compare(CreatePoolRequest.self, #"{"name":"p","initial_budget":"1","priority":1,"metadata":{"k":1}}"#)
        compare(TimeProfilesBody.self, #"{"time_zone":"UTC","profiles":{"night":{"budget":"1","start_time":"22:00","days":[0]}}}"#)
        compare(
            TimeProfilesBody.self,
            #"{"time_zone":"UTC","profiles":{"night":{"budget":"1","start_time":"a","end_time":"b","days":["x"]}}}"#)
        compare(
            CreateFederatedPoolRequest.self,
            #"{"name":"p","local_budget":"1","priority":1,"remote_allocations":{"system_b":5}}"#)
        compare(ResourceSettleRequest.self, #"{"used":{"gpu":"x"}}"#)
        compare(AdaptiveSizingBody.self, #"{"min_pool_budget":"1"}"#)
        compare(PeerRequest.self, #"{"system_id":"b","address":"x","public_key":"k","trust_level":true}"#)
        compare(ReinforcementLearningBody.self, #"{"learning_rate":"0.1","reward":{"utilization":"1"}}"#)
    }

    /// Map keys are data: an error names one as it was written (the key strategy made `Team` `team`).
    @Test func errorsNameMapKeysAsWritten() throws {
        let text = #"{"name":"p","initial_budget":"1","priority":1,"metadata":{"Team":1}}"#
        #expect(LegacyAPICoding.refusal(CreatePoolRequest.self, text)?.message.contains("'metadata.team'") == true)
        #expect(throws: SafeguardsError.invalidRequest(
            "field 'metadata.Team' has the wrong type (Expected to decode String but found number instead.)"))
        {
            try JSONBody.decodeCodable(CreatePoolRequest.self, from: ByteBuffer(string: text))
        }
    }

    /// Only the documented snake_case keys are read; the key strategy also took camelCase spellings.
    @Test func onlyTheDocumentedKeysAreRead() throws {
        let text = #"{"amount":"1","idempotencyKey":"k"}"#
        #expect(try LegacyAPICoding.decoder().decode(SpendRequest.self, from: Data(text.utf8)).idempotencyKey == "k")
        #expect(try APICoding.decode(SpendRequest.self, from: Data(text.utf8)) == SpendRequest(amount: 1))
        #expect(throws: SafeguardsError.invalidRequest("missing field 'agent_id'")) {
            try JSONBody.decodeCodable(
                RegisterAgentRequest.self,
                from: ByteBuffer(string: #"{"agentID":"a","pool_id":"p","priority":"LOW","initial_budget":"1"}"#))
        }
    }
}
