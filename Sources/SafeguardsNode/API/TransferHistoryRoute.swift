import Hummingbird
import SafeguardsAPI
import SafeguardsCore
import SafeguardsStore

/// `GET /v1/transfers?agent_id=&pool_id=&since=&until=&kind=&limit=&after=`: the journal's history,
/// newest first, read from SQLite through an index (see ``LedgerStore/transferPage(_:before:limit:)``).
///
/// Newest first by creation time, then by the order written. The cursor is the key of the page's
/// last transfer (``TransferCursor``), and the next page holds the ones before it: a walk sees
/// every transfer that existed when it started exactly once, and none written during it (they are
/// newer than its first page, unless the node's clock stepped back). An id that is well formed but
/// names no agent or pool gives an empty list, as `GET /v1/alerts` and `GET /v1/decisions` do.
extension APIRoutes {
    func addTransferHistory(_ v1: RouterGroup<NodeRequestContext>) {
        v1.get("transfers") { request, _ in
            let filter = try Self.transferFilter(request)
            let page = try PageRequest(request, list: "transfers")
            let rows: [(cursor: TransferCursor, item: Transfer)]
            do {
                rows = try operations.store.transferPage(filter, before: try Self.transferCursor(page), limit: page.limit + 1)
            } catch let error as SafeguardsError {
                throw error
            } catch {
                throw SafeguardsError(.unavailable, "cannot read the transfer history")
            }
            let (shown, next) = page.page(rows: rows) { "\($0.cursor.createdAt).\($0.cursor.sequence)" }
            return JSONBody.response(TransferListBody(transfers: shown.map { TransferBody($0.item) }, next: next))
        }
    }

    /// The key in `page`'s cursor: `<created_at>.<seq>`.
    ///
    /// - Throws: `invalid_request` for a cursor that does not hold one.
    static func transferCursor(_ page: PageRequest) throws(SafeguardsError) -> TransferCursor? {
        guard let after = page.after else { return nil }
        let parts = after.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, let createdAt = Int64(parts[0]), let sequence = Int64(parts[1]), sequence > 0 else {
            throw PageRequest.malformed
        }
        return TransferCursor(createdAt: createdAt, sequence: sequence)
    }

    /// The filters in the query of `request`.
    ///
    /// - Throws: `invalid_request` for a malformed id, a kind that is not a ``TransferKind``, a time
    ///   that is not RFC 3339, or `until` not after `since`.
    static func transferFilter(_ request: Request) throws(SafeguardsError) -> TransferFilter {
        let query = request.uri.queryParameters
        var filter = TransferFilter()
        if let text = query["agent_id"] {
            filter.agent = try BudgetOperations.identifier(AgentID.self, String(text), field: "agent_id")
        }
        if let text = query["pool_id"] {
            filter.pool = try BudgetOperations.identifier(PoolID.self, String(text), field: "pool_id")
        }
        if let text = query["kind"] {
            guard let kind = TransferKind(rawValue: String(text)) else {
                let kinds = TransferKind.allCases.map(\.rawValue).joined(separator: ", ")
                throw .invalidRequest("kind '\(text.prefix(64))' is not a transfer kind: use one of \(kinds)")
            }
            filter.kind = kind
        }
        filter.since = try time(query["since"], "since")
        filter.until = try time(query["until"], "until")
        if let since = filter.since, let until = filter.until, until <= since {
            throw .invalidRequest("until (\(until)) must be after since (\(since)): since is inclusive, until exclusive")
        }
        return filter
    }

    private static func time(_ text: Substring?, _ name: String) throws(SafeguardsError) -> Timestamp? {
        guard let text else { return nil }
        guard let time = ISO8601.parse(String(text)) else {
            throw .invalidRequest(
                "\(name) '\(text.prefix(64))' is not an RFC 3339 time such as 2026-12-02T18:30:00Z or 2026-12-02T19:30:00+01:00")
        }
        return time
    }
}
