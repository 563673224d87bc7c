import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import SafeguardsAPI
import SafeguardsCore

/// Encoding and decoding of API bodies.
///
/// Bodies that write themselves (``JSONWritable``) go straight into the response buffer, and
/// request bodies that read themselves (``JSONMemberDecodable``) are read from the members the
/// strict check collects; every other body goes through `Codable` with the same conventions
/// (``APICoding``), and so does any request body the direct reader does not take, so a refusal
/// reads the same whichever path ran.
enum JSONBody {
    static let jsonHeaders: HTTPFields = [.contentType: "application/json"]

    /// A response with a body that writes itself.
    static func response(
        _ value: some JSONWritable, status: HTTPResponse.Status = .ok, headers: HTTPFields = jsonHeaders
    ) -> Response {
        Response(status: status, headers: headers, body: ResponseBody(byteBuffer: value.jsonBuffer()))
    }

    /// A response with a body encoded by `Codable`.
    static func response<T: Encodable>(
        _ value: T, status: HTTPResponse.Status = .ok, headers: HTTPFields = jsonHeaders
    ) -> Response {
        let data = (try? APICoding.encode(value)) ?? Data("{}".utf8)
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// Reads and decodes a JSON body of at most `limit` bytes, from the members the strict check
    /// collected when they are in the plain form, else through `Codable`.
    ///
    /// - Throws: ``SafeguardsError`` as ``decode(_:from:limit:)`` does.
    static func decode<T: JSONMemberDecodable>(_ type: T.Type, from request: Request, limit: Int) async throws -> T {
        try decode(T.self, from: try await body(of: request, limit: limit))
    }

    /// Reads and decodes a JSON body of at most `limit` bytes. Malformed JSON, missing fields and
    /// bad amounts become ``SafeguardsError`` with `invalid_request` or `invalid_amount`.
    static func decode<T: Decodable>(_ type: T.Type, from request: Request, limit: Int) async throws -> T {
        try decodeCodable(T.self, from: try await body(of: request, limit: limit))
    }

    /// A request body read by ``JSONMemberDecodable`` when it takes it, else by `Codable`.
    ///
    /// - Throws: ``SafeguardsError`` as ``decodeCodable(_:from:)`` does for the same bytes.
    static func decode<T: JSONMemberDecodable>(_ type: T.Type, from buffer: ByteBuffer) throws -> T {
        if let members = try checkStrict(members: buffer.readableBytesView), let body = T(members: members) {
            return body
        }
        return try decodeChecked(T.self, from: buffer)
    }

    /// A request body read by `Codable`, after the strict check.
    ///
    /// - Throws: ``SafeguardsError`` with `invalid_request` or `invalid_amount`.
    static func decodeCodable<T: Decodable>(_ type: T.Type, from buffer: ByteBuffer) throws -> T {
        try checkStrict(buffer.readableBytesView)
        return try decodeChecked(T.self, from: buffer)
    }

    /// The request's body, at most `limit` bytes and not empty.
    private static func body(of request: Request, limit: Int) async throws -> ByteBuffer {
        var request = request
        let buffer = try await request.collectBody(upTo: limit)
        guard buffer.readableBytes > 0 else { throw SafeguardsError.invalidRequest("the request needs a JSON body") }
        return buffer
    }

    /// Decodes text that passed the strict check with `Codable`.
    private static func decodeChecked<T: Decodable>(_ type: T.Type, from buffer: ByteBuffer) throws -> T {
        do {
            return try APICoding.decodeChecked(T.self, from: Data(buffer.readableBytesView))
        } catch let error as DecodingError {
            throw describe(error)
        } catch {
            throw SafeguardsError.invalidRequest("the body is not valid JSON")
        }
    }

    /// Refuses a body that is not strict JSON (see ``StrictJSON``) with `invalid_request`: a
    /// duplicate key is named, so a client learns which field it sent twice.
    static func checkStrict(_ bytes: some Collection<UInt8>) throws(SafeguardsError) {
        do { try StrictJSON.validate(bytes) } catch { throw refusal(error) }
    }

    /// ``checkStrict(_:)``, keeping the members of a top-level object.
    static func checkStrict(members bytes: some Collection<UInt8>) throws(SafeguardsError) -> JSONMembers? {
        do { return try StrictJSON.members(of: bytes) } catch { throw refusal(error) }
    }

    private static func refusal(_ error: StrictJSONError) -> SafeguardsError {
        switch error {
        case .duplicateKey: .invalidRequest("the body has a \(error.description)")
        case .tooDeep, .invalid: .invalidRequest("the body is not valid JSON: \(error.description)")
        }
    }

    /// The refusal of a body `Codable` could not read, naming the field by its path: keys as on the
    /// wire (each body's `CodingKeys`, map keys as written) unless `keyName` says otherwise, array
    /// indexes as numbers.
    static func describe(_ error: DecodingError, keyName: (String) -> String = { $0 }) -> SafeguardsError {
        func field(_ path: [any CodingKey]) -> String {
            path.map { $0.intValue.map(String.init) ?? keyName($0.stringValue) }.joined(separator: ".")
        }
        switch error {
        case .keyNotFound(let key, let context):
            return .invalidRequest("missing field '\(field(context.codingPath + [key]))'")
        case .valueNotFound(_, let context):
            return .invalidRequest("field '\(field(context.codingPath))' must not be null")
        case .typeMismatch(let type, let context):
            if type == Amount.self { return .invalidAmount("'\(field(context.codingPath))': \(context.debugDescription)") }
            return .invalidRequest("field '\(field(context.codingPath))' has the wrong type (\(context.debugDescription))")
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty { return .invalidRequest("the body is not valid JSON") }
            let message = "'\(field(context.codingPath))': \(context.debugDescription)"
            return context.debugDescription.hasPrefix(Amount.decodingErrorPrefix)
                ? .invalidAmount(message) : .invalidRequest(message)
        @unknown default:
            return .invalidRequest("the body could not be read")
        }
    }
}
