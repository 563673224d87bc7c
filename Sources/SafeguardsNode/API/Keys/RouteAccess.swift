import Hummingbird
import SafeguardsCore

/// What a route asks of the caller's key, declared once per route in ``RouteAccess/agentRoutes``.
///
/// The configured token and `admin` keys may call every route. An `agent` key may call only the
/// routes listed there, and only for its own agents; the entry says where the request names the
/// agent. Every route not listed (also every route added later) is admin-only.
enum RouteAccess: Sendable, Equatable {
    /// Only the configured token or an `admin` key.
    case admin
    /// The path's `{id}` is the agent.
    case agentInPath
    /// The path's `{id}` is a transfer (a reservation, any transfer): its `agent_id` is the agent.
    /// An id that names nothing passes, to be answered 404.
    case transferInPath
    /// `?agent_id=` names the agent, and must be given.
    case agentInQuery
    /// The JSON body's `agent_id` names the agent.
    case agentInBody

    /// The routes an agent key may call, by `METHOD /path` as the router writes them.
    static let agentRoutes: [String: RouteAccess] = [
        "GET /v1/agents/{id}": .agentInPath,
        "POST /v1/agents/{id}/reservations": .agentInPath,
        "POST /v1/agents/{id}/spend": .agentInPath,
        "GET /v1/agents/{id}/resources": .agentInPath,
        "GET /v1/agents/{id}/patterns": .agentInPath,
        "GET /v1/agents/{id}/prediction": .agentInPath,
        "GET /v1/agents/{id}/rate-limit": .agentInPath,
        "GET /v1/agents/{id}/rate-limit/check": .agentInPath,
        "GET /v1/reservations/{id}": .transferInPath,
        "POST /v1/reservations/{id}/settle": .transferInPath,
        "POST /v1/reservations/{id}/release": .transferInPath,
        "GET /v1/transfers/{id}": .transferInPath,
        "GET /v1/transfers": .agentInQuery,
        "GET /v1/alerts": .agentInQuery,
        "POST /v1/federation/requests": .agentInBody,
    ]

    /// The access a route needs: its entry, or `admin`.
    static func of(method: HTTPRequest.Method, endpoint: String?) -> RouteAccess {
        guard let endpoint else { return .admin }
        return agentRoutes["\(method.rawValue) \(endpoint)"] ?? .admin
    }
}
