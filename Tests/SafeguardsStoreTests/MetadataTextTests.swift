import Foundation
import Testing

@testable import SafeguardsStore

@Suite("Metadata as stored text")
struct MetadataTextTests {
    static let maps: [[String: String]] = [
        [:],
        ["kind": "spend", "agent": "a1"],
        ["quote": "say \"hi\"", "back\\slash": "C:\\path", "slash": "a/b"],
        ["lines": "one\ntwo\r\nthree\tfour", "control": "\u{01}\u{1F}\u{7F}", "empty": ""],
        ["unicode": "ünïcödé ✓ 𝄞", "日本": "語", "emoji": "👩‍💻"],
    ]

    @Test(arguments: maps)
    func textReadsBackAsTheSameMap(_ map: [String: String]) throws {
        let text = LedgerStore.encode(map)
        #expect(try LedgerStore.decode(text) == map)
        // Valid JSON for any reader, not only ours.
        let foundation = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: String]
        #expect(foundation == map)
    }

    @Test func theSameMapGivesTheSameTextWithKeysInOrder() {
        let map = ["b": "2", "a": "1", "ab": "3", "B": "4"]
        #expect(LedgerStore.encode(map) == #"{"B":"4","a":"1","ab":"3","b":"2"}"#)
        #expect(LedgerStore.encode(map) == LedgerStore.encode(Dictionary(uniqueKeysWithValues: map.reversed())))
    }
}
