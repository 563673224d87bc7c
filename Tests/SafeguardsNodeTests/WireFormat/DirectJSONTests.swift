import Foundation
import NIOCore
import SafeguardsAPI
import SafeguardsCore
import Testing

@testable import SafeguardsNode

/// The bodies written by ``JSONBodyWriter`` are the encoder's bytes, and the request bodies read
/// from ``JSONMembers`` read as `Codable` reads them, refusals included.
@Suite("Direct JSON: the busiest bodies without Codable, the same bytes and errors")
struct DirectJSONTests {
    static func direct(_ body: some JSONWritable) -> String {
        String(buffer: body.jsonBuffer())
    }

    static func encoded(_ body: some Encodable) throws -> String {
        String(decoding: try APICoding.encode(body), as: UTF8.self)
    }

    struct SameBytesWhenDirect: BodyCheck {
        let checked: Counter

        func callAsFunction<T: Codable & Equatable & Sendable>(_ value: T) throws {
            guard let writable = value as? any JSONWritable else { return }
            #expect(DirectJSONTests.direct(writable) == (try DirectJSONTests.encoded(value)), "\(T.self)")
            checked.add()
        }
    }

    final class Counter: @unchecked Sendable {
        // Used from one test's thread only.
        private(set) var count = 0
        func add() { count += 1 }
    }

    @Test func everyDirectBodyWritesTheEncodersBytes() throws {
        let counter = Counter()
        try WireFormatFixtures.forEachBody(SameBytesWhenDirect(checked: counter))
        // Health, agent budget, agent, two reservations, two transfers, two problems.
        #expect(counter.count == 9)
    }

    /// Every ASCII character, and non-ASCII ones, alone and inside text: escaped as the encoder
    /// escapes them, in values and in map keys.
    @Test func stringsAreEscapedAsTheEncoderEscapesThem() throws {
        var texts = (0..<0x80).map { String(UnicodeScalar(UInt8($0))) }
        texts += ["", "é", "e\u{301}", "😀", "\u{2028}", "\u{FEFF}", "a\"b\\c/d\ne\u{1}f", String(repeating: "\u{0}", count: 3)]
        for text in texts {
            let body = HealthBody(status: text, systemID: "x" + text + "y")
            #expect(Self.direct(body) == (try Self.encoded(body)), "\(text.unicodeScalars.map(\.value))")
            let map = Dictionary([(text, text), ("k" + text, "v"), (text + "k", "")], uniquingKeysWith: { first, _ in first })
            var writer = JSONBodyWriter()
            writer.stringMap(map)
            #expect(String(decoding: writer.bytes, as: UTF8.self) == (try Self.encoded(map)), "\(text.unicodeScalars.map(\.value))")
        }
    }

    @Test func amountsAreWrittenAsTheirDescription() throws {
        var random = SeededRandom(seed: 12)
        var micros: [Int64] = [0, 1, -1, 999_999, 1_000_000, -1_000_000, 1_000_001, .max, .min, .min + 1]
        micros += (0..<2000).map { _ in Int64(bitPattern: random.next()) >> Int64(random.next(below: 63)) }
        for value in micros {
            var writer = JSONBodyWriter()
            writer.amount(Amount(micros: value))
            #expect(String(decoding: writer.bytes, as: UTF8.self) == "\"\(Amount(micros: value).description)\"", "\(value)")
        }
    }

    /// Seeded random bodies with awkward text, any amounts and metadata of any size.
    @Test func randomBodiesWriteTheEncodersBytes() throws {
        var random = SeededRandom(seed: 2026)
        let alphabet = Array("aZ_-/:.\"\\\n\t\u{0}\u{1F}\u{7F} é😀\u{2028}e\u{301}0")
        func text() -> String {
            String((0..<random.next(below: 12)).map { _ in alphabet[Int(random.next(below: UInt64(alphabet.count)))] })
        }
        func amount() -> Amount { Amount(micros: Int64(bitPattern: random.next()) >> Int64(random.next(below: 63))) }
        func optional() -> String? { random.next(below: 2) == 0 ? nil : text() }
        for _ in 0..<300 {
            let metadata = Dictionary((0..<random.next(below: 6)).map { _ in (text(), text()) }, uniquingKeysWith: { a, _ in a })
            let transfer = TransferBody(
                id: text(), debitAccount: text(), creditAccount: text(), amount: amount(), postedAmount: amount(),
                twoPhase: random.next(below: 2) == 0, state: text(), reason: text(), metadata: metadata,
                createdAt: text(), expiresAt: optional(), resolvedAt: optional())
            #expect(Self.direct(transfer) == (try Self.encoded(transfer)))
            let reservation = ReservationBody(
                reservationID: text(), agentID: text(), amount: amount(), state: text(), settledAmount: amount(),
                expiresAt: optional(), createdAt: text(), resolvedAt: optional())
            #expect(Self.direct(reservation) == (try Self.encoded(reservation)))
            let withPeriod = random.next(below: 2) == 0
            let agent = AgentBody(
                agentID: text(), poolID: text(), priority: text(),
                budget: AgentBudgetBody(
                    initial: amount(), total: amount(), available: amount(), reserved: amount(), spent: amount(),
                    spentThisPeriod: withPeriod ? amount() : nil),
                alertLevel: text(), createdAt: text(),
                period: withPeriod
                    ? PeriodFields(
                        budgetPeriod: text(), periodTimezone: text(), periodStartedAt: text(), periodResetsAt: text())
                    : nil)
            #expect(Self.direct(agent) == (try Self.encoded(agent)))
            let problem = ProblemBody(
                title: text(), status: Int(random.next(below: 600)), detail: text(), code: text(),
                retryAfterSeconds: random.next(below: 2) == 0 ? nil : Int(Int64(bitPattern: random.next())))
            #expect(Self.direct(problem) == (try Self.encoded(problem)))
        }
    }

    /// What each path makes of `text`: a body or a refusal.
    static func bothPaths<T: JSONMemberDecodable & Equatable>(_ type: T.Type, _ text: String) -> (Result<T, SafeguardsError>, Result<T, SafeguardsError>) {
        func run(_ decode: () throws -> T) -> Result<T, SafeguardsError> {
            do { return .success(try decode()) } catch { return .failure(error as? SafeguardsError ?? .invalidRequest("\(error)")) }
        }
        let buffer = ByteBuffer(string: text)
        return (run { try JSONBody.decode(T.self, from: buffer) }, run { try JSONBody.decodeCodable(T.self, from: buffer) })
    }

    static let amountTexts = BadInputTests.malformedAmounts + [
        #""1""#, #""0.000001""#, #""-1""#, #""12.5""#, #""\u0031""#, #""1\u0030""#, #""١""#, #""9223372036854.775807""#,
        #""-9223372036854.775807""#, #""9223372036854.775808""#, #""+1""#, #""0""#,
    ]
    static let keyTexts = [
        #""k""#, #""""#, #""a/b\n\"é😀""#, "null", "1", "true", "[]", "{}", #"{"k":"v"}"#, #""\u0000""#,
    ]
    static let timeoutTexts = [
        "0", "-0", "1", "-1", "30", "9223372036854775807", "9223372036854775808", "-9223372036854775808",
        "-9223372036854775809", "99999999999999999999", "1.0", "1.5", "1e2", "1E2", "1e-2", "-0.0", "null", #""5""#,
        "true", "[]", "{}",
    ]
    static let shapes = [
        "", "{", "[]", "[1,2]", #""text""#, "1", "null", "true", " {} ", "{}", #"{"amt":"1"}"#, #"{"Amount":"1"}"#,
        #"{"amount":"1","amount":"2"}"#, #"{"amount":"1","am\u006fount":"2"}"#, #"{"am\u006fount":"1"}"#,
        #"{"amount":"1","extra":{"nested":[1,{"a":null}]},"more":[],"n":-1.5e3,"b":false}"#,
        #" { "amount" : "1" , "idempotency_key" : "k" } "#, "{\"amount\":\"1\",\"\u{E9}\":1,\"e\u{301}\":2}",
    ]

    /// Good and bad bodies of the spend, reserve and settle routes: read the same by both paths,
    /// refused with the same error.
    @Test func requestBodiesReadAsCodableReadsThem() throws {
        var texts = Self.shapes
        for amount in Self.amountTexts {
            texts.append(#"{"amount":\#(amount)}"#)
            texts.append(#"{"idempotency_key":"k","amount":\#(amount),"timeout_seconds":5}"#)
        }
        for key in Self.keyTexts {
            texts.append(#"{"amount":"1","idempotency_key":\#(key)}"#)
        }
        for timeout in Self.timeoutTexts {
            texts.append(#"{"amount":"2","timeout_seconds":\#(timeout)}"#)
        }
        for text in texts {
            let spend = Self.bothPaths(SpendRequest.self, text)
            #expect(spend.0 == spend.1, "spend \(text)")
            let reserve = Self.bothPaths(ReserveRequest.self, text)
            #expect(reserve.0 == reserve.1, "reserve \(text)")
            let settle = Self.bothPaths(SettleRequest.self, text)
            #expect(settle.0 == settle.1, "settle \(text)")
        }
    }

    /// The plain bodies are read from the members, without `Codable`.
    @Test func plainBodiesAreReadFromTheMembers() throws {
        func members(_ text: String) throws -> JSONMembers {
            try #require(try StrictJSON.members(of: Array(text.utf8)))
        }
        #expect(SpendRequest(members: try members(#"{"amount":"12.5"}"#)) == SpendRequest(amount: Amount(micros: 12_500_000)))
        #expect(
            SpendRequest(members: try members(#"{"idempotency_key":"k\/1","amount":"1","note":[1]}"#))
                == SpendRequest(amount: 1, idempotencyKey: "k/1"))
        #expect(
            ReserveRequest(members: try members(#"{"amount":"3","idempotency_key":null,"timeout_seconds":30}"#))
                == ReserveRequest(amount: 3, timeoutSeconds: 30))
        #expect(SettleRequest(members: try members(#"{"amount":"0.000001"}"#)) == SettleRequest(amount: Amount(micros: 1)))
        // Anything else is left to Codable.
        #expect(SpendRequest(members: try members(#"{"amount":1}"#)) == nil)
        #expect(SpendRequest(members: try members(#"{"amount":"1","idempotency_key":1}"#)) == nil)
        #expect(ReserveRequest(members: try members(#"{"amount":"1","timeout_seconds":1e2}"#)) == nil)
        #expect(SettleRequest(members: try members(#"{}"#)) == nil)
    }
}
