import Hummingbird
import SafeguardsAPI
import SafeguardsCore
import SafeguardsStore

/// `GET /v1/transfers?agent_id=&pool_id=&since=&until=&kind=&limit=&after=`: the journal's history,
/// newest first, read from SQLite through an index (see ``LedgerStore/transferPage(_:before:limit:)``).
///
/// The cursor is the sequence number of the page's last transfer, and the next page holds the
/// older ones: a walk sees every transfer that existed when it started exactly once, and none
/// written during it (they are newer than its first page). An id that is well formed but names no
/// agent or pool gives an empty list, as `GET /v1/alerts` and `GET /v1/decisions` do.
extension APIRoutes {
    func addTransferHistory(_ v1: RouterGroup<BasicRequestContext>) {
        v1.get("transfers") { request, _ in
            let filter = try Self.transferFilter(request)
            let page = try PageRequest(request, list: "transfers")
            let rows: [(sequence: Int64, item: Transfer)]
            do {
                rows = try operations.store.transferPage(filter, before: try page.afterSequence(), limit: page.limit + 1)
            } catch let error as SafeguardsError {
                throw error
            } catch {
                throw SafeguardsError(.unavailable, "cannot read the transfer history")
            }
            let (transfers, next) = page.page(rows: rows)
            return JSONBody.response(TransferListBody(transfers: transfers.map(TransferBody.init), next: next))
        }
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
