import Hummingbird
import SafeguardsCore

/// Requires `Authorization: Bearer <token>` on every request it guards.
struct BearerAuthMiddleware<Context: RequestContext>: RouterMiddleware {
    /// The whole header value a request must carry, `Bearer <token>`, as bytes: compared as it
    /// arrives, with no copy of the header or the token per request.
    private let expected: [UInt8]

    init(token: String) {
        expected = Array("Bearer \(token)".utf8)
    }

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        guard let header = request.headers[.authorization], Self.constantTimeEquals(header, expected) else {
            throw SafeguardsError(.unauthorized, "a valid bearer token is required (Authorization: Bearer <token>)")
        }
        return try await next(request, context)
    }

    /// Whether `header`'s UTF-8 bytes are `expected`, compared without an early exit, so timing
    /// does not reveal how much of a guess was right.
    static func constantTimeEquals(_ header: String, _ expected: [UInt8]) -> Bool {
        var header = header
        return header.withUTF8 { given in
            expected.withUnsafeBufferPointer { expected in
                var difference = UInt(bitPattern: given.count ^ expected.count)
                for index in 0..<max(given.count, expected.count) {
                    let left = index < given.count ? given[index] : 0
                    let right = index < expected.count ? expected[index] : 0
                    difference |= UInt(left ^ right)
                }
                return difference == 0
            }
        }
    }
}
