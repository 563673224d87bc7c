import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import SafeguardsAPI
import SafeguardsCore

extension SafeguardsError.Code {
    /// Missing or wrong bearer token.
    public static let unauthorized = Self(rawValue: "unauthorized")
    /// The request body is larger than `api.max_body_bytes`.
    public static let payloadTooLarge = Self(rawValue: "payload_too_large")
    /// Too little history to answer (a usage prediction it declines to make).
    public static let insufficientData = Self(rawValue: "insufficient_data")
    /// The path or method does not exist.
    public static let routeNotFound = Self(rawValue: "not_found")
}

extension SafeguardsError.Code {
    /// The HTTP status for each code.
    var httpStatus: HTTPResponse.Status {
        switch self {
        case .invalidAmount, .invalidRequest: .badRequest
        case .unauthorized: .unauthorized
        case .insufficientBudget: HTTPResponse.Status(code: 402, reasonPhrase: "Payment Required")
        case .notFound: .notFound
        case .conflict: .conflict
        case .payloadTooLarge: .contentTooLarge
        case .unavailable: .serviceUnavailable
        case .unknownPeer: .notFound
        case .peerUnreachable, .peerRefused: .badGateway
        case .federationDisabled: .conflict
        case .rateLimited: .tooManyRequests
        case .insufficientData: .unprocessableContent
        default: .internalServerError
        }
    }
}

/// Turns every error into `application/problem+json` with a stable `code`, so no handler has to.
struct ProblemMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as SafeguardsError {
            return Self.problem(error)
        } catch is NIOTooManyBytesError {
            return Self.problem(SafeguardsError(.payloadTooLarge, "the request body is larger than the node accepts"))
        } catch let error as HTTPError {
            let code: SafeguardsError.Code = error.status == .notFound ? .routeNotFound : .invalidRequest
            var response = Self.problem(
                SafeguardsError(code, error.body ?? error.status.reasonPhrase), status: error.status)
            if error.status == .methodNotAllowed { response.status = .methodNotAllowed }
            return response
        } catch {
            context.logger.error("request failed", metadata: ["error": "\(error)"])
            return Self.problem(SafeguardsError(.init(rawValue: "internal"), "internal error"), status: .internalServerError)
        }
    }

    static func problem(_ error: SafeguardsError, status: HTTPResponse.Status? = nil) -> Response {
        let status = status ?? error.code.httpStatus
        let body = ProblemBody(
            title: status.reasonPhrase, status: status.code, detail: error.message, code: error.code.rawValue,
            retryAfterSeconds: error.retryAfterSeconds)
        var response = JSONBody.response(body, status: status)
        response.headers[.contentType] = "application/problem+json"
        if error.code == .unauthorized { response.headers[.wwwAuthenticate] = "Bearer" }
        if let seconds = error.retryAfterSeconds { response.headers[.retryAfter] = String(seconds) }
        return response
    }
}

/// Encoding and decoding of API bodies.
enum JSONBody {
    static func response<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) -> Response {
        let data = (try? APICoding.encoder().encode(value)) ?? Data("{}".utf8)
        return Response(
            status: status, headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// Reads and decodes a JSON body of at most `limit` bytes. Malformed JSON, missing fields and
    /// bad amounts become ``SafeguardsError`` with `invalid_request` or `invalid_amount`.
    static func decode<T: Decodable>(_ type: T.Type, from request: Request, limit: Int) async throws -> T {
        var request = request
        let buffer = try await request.collectBody(upTo: limit)
        guard buffer.readableBytes > 0 else { throw SafeguardsError.invalidRequest("the request needs a JSON body") }
        let data = Data(buffer.readableBytesView)
        try checkStrict(data)
        do {
            return try APICoding.decoder().decode(T.self, from: data)
        } catch let error as DecodingError {
            throw describe(error)
        } catch {
            throw SafeguardsError.invalidRequest("the body is not valid JSON")
        }
    }

    /// Refuses a body that is not strict JSON (see ``StrictJSON``) with `invalid_request`: a
    /// duplicate key is named, so a client learns which field it sent twice.
    static func checkStrict(_ data: Data) throws(SafeguardsError) {
        do { try StrictJSON.validate(data) } catch {
            switch error {
            case .duplicateKey: throw .invalidRequest("the body has a \(error.description)")
            case .tooDeep, .invalid: throw .invalidRequest("the body is not valid JSON: \(error.description)")
            }
        }
    }

    static func describe(_ error: DecodingError) -> SafeguardsError {
        func field(_ path: [any CodingKey]) -> String {
            path.map { $0.intValue.map(String.init) ?? APICoding.snakeCase($0.stringValue) }.joined(separator: ".")
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
