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
        var headers: HTTPFields = [.contentType: "application/problem+json"]
        if error.code == .unauthorized { headers[.wwwAuthenticate] = "Bearer" }
        if let seconds = error.retryAfterSeconds { headers[.retryAfter] = String(seconds) }
        return JSONBody.response(body, status: status, headers: headers)
    }
}
