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
    /// A valid API key whose scope does not cover the route or the agent.
    public static let forbidden = Self(rawValue: "forbidden")
}

extension SafeguardsError.Code {
    /// The HTTP status for each code.
    var httpStatus: HTTPResponse.Status {
        switch self {
        case .invalidAmount, .invalidRequest: .badRequest
        case .unauthorized: .unauthorized
        case .forbidden: .forbidden
        case .insufficientBudget: HTTPResponse.Status(code: 402, reasonPhrase: "Payment Required")
        case .notFound: .notFound
        case .conflict, .closed, .reservationsPending: .conflict
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

/// Every error as `application/problem+json` with a stable `code`, so no handler has to write one.
enum Problems {
    /// The response to a request that failed with `error`; an error that is not the node's own
    /// (nor the body limit's, nor the router's) is logged and answered 500.
    static func response(for error: any Error, logger: Logger) -> Response {
        switch error {
        case let error as SafeguardsError:
            return problem(error)
        case is NIOTooManyBytesError:
            return problem(SafeguardsError(.payloadTooLarge, "the request body is larger than the node accepts"))
        case let error as HTTPError:
            let code: SafeguardsError.Code = error.status == .notFound ? .routeNotFound : .invalidRequest
            var response = problem(SafeguardsError(code, error.body ?? error.status.reasonPhrase), status: error.status)
            if error.status == .methodNotAllowed { response.status = .methodNotAllowed }
            return response
        default:
            logger.error("request failed", metadata: ["error": "\(error)"])
            return problem(SafeguardsError(.init(rawValue: "internal"), "internal error"), status: .internalServerError)
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
