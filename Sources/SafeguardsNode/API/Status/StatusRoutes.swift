import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import SafeguardsCore
import SafeguardsStore

/// The operator's status page: `GET /` (the page, or the sign-in form), `POST /login`,
/// `POST /logout` and `GET /status.json` (the page's data, which its script refreshes from).
///
/// Signing in takes the API token or an admin key (checked as the access middleware checks a
/// bearer value) and sets a session cookie: `HttpOnly; SameSite=Strict; Path=/`, and `Secure`
/// when the API serves TLS. Without a session `/` shows only the node's id, its health and the
/// form. The form posts are guarded against cross-site requests twice: the cookie is never sent
/// with them (SameSite=Strict), and a post whose `Origin` is not this node's is refused.
struct StatusRoutes: Sendable {
    let report: StatusReport
    let sessions: StatusSessions
    let keys: APIKeyRing
    /// Whether the API serves TLS: the cookie is then `Secure` and origins are `https://`.
    let secure: Bool
    /// Origins the forms may also come from (`api.public_origins`): the node's address as
    /// operators reach it through a proxy that rewrites the Host header.
    var publicOrigins: [String] = []

    /// The most bytes a sign-in form may have.
    static let maxFormBytes = 4096

    /// `safeguards_<system id>`: nodes on one host (the demo's three on loopback) differ in port
    /// only, and browsers keep cookies per host, so each node's cookie has a name of its own.
    var cookieName: String {
        "safeguards_" + String(report.systemID.map { $0 == ":" ? "_" : $0 })
    }

    func add(to router: Router<NodeRequestContext>, access: AccessMiddleware<NodeRequestContext>) {
        router.get("/") { request, _ in
            guard session(request) != nil else {
                return page(.ok) { StatusPage.signIn(systemID: report.systemID, message: nil, nonce: $0) }
            }
            let view = await report.gather()
            return page(.ok) { StatusPage.render(view, nonce: $0) }
        }
        router.get("/status.json") { request, _ in
            guard session(request) != nil || access.isAdmin(request.headers[.authorization]) else {
                throw SafeguardsError(
                    .unauthorized, "sign in at / for a session cookie, or send Authorization: Bearer <token>")
            }
            var headers = JSONBody.jsonHeaders
            headers[.cacheControl] = "no-store"
            return JSONBody.response(await report.gather(), headers: headers)
        }
        router.post("/login") { request, context in
            if let refusal = crossOrigin(request) { return refusal }
            if let wait = sessions.signInAllowed(from: context.clientAddress) {
                let seconds = max(1, Int(wait.components.seconds) + 1)
                var response = signInPage(
                    .tooManyRequests, "Too many failed sign-ins; try again in \(seconds) seconds.")
                response.headers[.retryAfter] = String(seconds)
                return response
            }
            let token = try await Self.token(from: request)
            switch access.credential("Bearer " + token) {
            case .admin(let actor):
                let id = sessions.start(actor: actor)
                return Response(
                    status: .seeOther,
                    headers: [.location: "/", .setCookie: cookie(id, maxAge: Int(StatusSessions.lifetime.components.seconds)), .cacheControl: "no-store"])
            case .agentKey(let id):
                return signInPage(
                    .forbidden, "API key \(id) is an agent key; the status page needs the API token or an admin key.")
            case .invalid:
                sessions.recordFailure(from: context.clientAddress)
                return signInPage(.unauthorized, "That is not the API token or a valid admin key.")
            }
        }
        router.post("/logout") { request, _ in
            if let refusal = crossOrigin(request) { return refusal }
            if let id = request.cookies[cookieName]?.value { sessions.end(id) }
            return Response(
                status: .seeOther, headers: [.location: "/", .setCookie: cookie("", maxAge: 0), .cacheControl: "no-store"])
        }
    }

    /// The live session the request's cookie names. A session made with an admin key ends when
    /// the key is revoked or expires.
    func session(_ request: Request) -> StatusSessions.Session? {
        guard let id = request.cookies[cookieName]?.value, let session = sessions.session(id) else { return nil }
        if session.actor != APIKeyRing.adminTokenActor {
            guard let key = try? keys.key(session.actor), key.role == .admin,
                key.expiresAt.map({ $0 > Timestamp.now() }) ?? true
            else {
                sessions.end(id)
                return nil
            }
        }
        return session
    }

    /// 403 when the request carries an `Origin` other than this node's own (the host it was
    /// addressed to, with this API's scheme, or one of ``publicOrigins``); nil when it may go on.
    func crossOrigin(_ request: Request) -> Response? {
        guard let origin = request.headers[.origin] else { return nil }
        let own = (secure ? "https://" : "http://") + (request.head.authority ?? "")
        guard origin != own, !publicOrigins.contains(origin) else { return nil }
        return signInPage(.forbidden, "Refused: the form was sent from another site (\(origin.prefix(80))).")
    }

    /// `token` from a form body (`application/x-www-form-urlencoded`); empty when absent.
    static func token(from request: Request) async throws -> String {
        var request = request
        let body = try await request.collectBody(upTo: maxFormBytes)
        struct Form: Decodable { var token: String? }
        let form = try? URLEncodedFormDecoder().decode(Form.self, from: String(buffer: body))
        return (form?.token ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
    }

    private func signInPage(_ status: HTTPResponse.Status, _ message: String) -> Response {
        page(status) { StatusPage.signIn(systemID: report.systemID, message: message, nonce: $0) }
    }

    private func cookie(_ value: String, maxAge: Int) -> String {
        "\(cookieName)=\(value); Path=/; Max-Age=\(maxAge); HttpOnly; SameSite=Strict" + (secure ? "; Secure" : "")
    }

    /// An HTML response whose inline style and script may run only with a fresh nonce, which
    /// loads nothing from elsewhere, cannot be framed, and is never cached. The referrer policy
    /// is `same-origin`, not `no-referrer`: under `no-referrer` browsers send `Origin: null`
    /// with the page's own form posts, which the origin check would refuse.
    private func page(_ status: HTTPResponse.Status, _ html: (String) -> String) -> Response {
        let nonce = APIKeyRing.randomHex(bytes: 16)
        let headers: HTTPFields = [
            .contentType: "text/html; charset=utf-8", .cacheControl: "no-store",
            .contentSecurityPolicy: "default-src 'none'; script-src 'nonce-\(nonce)'; style-src 'nonce-\(nonce)'; "
                + "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
            .xContentTypeOptions: "nosniff", .referrerPolicy: "same-origin",
        ]
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: html(nonce))))
    }
}

extension HTTPField.Name {
    static let referrerPolicy = HTTPField.Name("Referrer-Policy")!  // a valid token: cannot fail
}
