import Hummingbird

/// The API's outermost middleware: every error becomes its problem response (``Problems``), and
/// every response, problems included, is counted and timed (``RequestMetrics``).
///
/// One middleware rather than one for each: every layer is a generic async call per request,
/// whose cost showed in the profile of the cheapest routes.
struct ResponseMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: RequestMetrics

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let start = ContinuousClock.now
        let response: Response
        do {
            response = try await next(request, context)
        } catch {
            response = Problems.response(for: error, logger: context.logger)
        }
        metrics.record(method: request.method, status: response.status.code, duration: ContinuousClock.now - start)
        return response
    }
}
