import Foundation
import Hummingbird
import SafeguardsCore

/// One page of a list route: `?limit=` (1...1000, default 100) and `?after=<cursor>`.
///
/// Every list answers `{<its list key>: [...], next: cursor|null}`. A cursor is opaque to clients
/// (base64url of the list's name and the sort key of the last item sent); the next page holds the
/// items after that key in the list's fixed order, so paging while items are written never skips
/// or repeats one that existed when the walk started. Lists kept in SQLite page with a keyset on
/// an index (`seq < ?`, newest first), lists kept in memory over their sorted order.
struct PageRequest: Sendable, Equatable {
    static let defaultLimit = 100
    static let maximumLimit = 1000

    /// Items per page.
    var limit: Int
    /// The sort key of the last item of the previous page, from the cursor; `nil` for the first page.
    var after: String?
    /// The list the cursor belongs to (a cursor of another list is refused).
    var list: String

    /// The page `request` asks for, of `list`.
    ///
    /// - Throws: `invalid_request` for a limit that is not an integer in 1...1000, or a cursor that
    ///   is not one this list gave out.
    init(_ request: Request, list: String) throws(SafeguardsError) {
        let query = request.uri.queryParameters
        self.list = list
        if let text = query["limit"] {
            guard let limit = Int(String(text)), (1...Self.maximumLimit).contains(limit) else {
                throw .invalidRequest("limit must be an integer from 1 to \(Self.maximumLimit), not '\(text.prefix(32))'")
            }
            self.limit = limit
        } else {
            self.limit = Self.defaultLimit
        }
        self.after = try query["after"].map { text throws(SafeguardsError) in try Self.decode(String(text), list: list) }
    }

    /// A page of `list` (for tests and internal callers).
    init(list: String, limit: Int = defaultLimit, after: String? = nil) {
        self.list = list
        self.limit = limit
        self.after = after
    }

    /// The cursor that continues after an item whose sort key is `key`.
    func cursor(after key: String) -> String {
        Self.encode(list: list, key: key)
    }

    /// The next page of `items`, which are sorted ascending by `key` (unique per item).
    func page<Item>(ascending items: [Item], key: (Item) -> String) -> (items: [Item], next: String?) {
        var start = items.startIndex
        if let after {
            // Binary search for the first key after the cursor.
            var low = items.startIndex
            var high = items.endIndex
            while low < high {
                let middle = (low + high) / 2
                if key(items[middle]) <= after { low = middle + 1 } else { high = middle }
            }
            start = low
        }
        let end = items.endIndex - start > limit ? start + limit : items.endIndex
        let page = Array(items[start..<end])
        let next = end < items.endIndex ? page.last.map { cursor(after: key($0)) } : nil
        return (page, next)
    }

    /// The `after` key as a row sequence number (lists read from SQLite, newest first).
    ///
    /// - Throws: `invalid_request` when the cursor does not hold a positive integer.
    func afterSequence() throws(SafeguardsError) -> Int64? {
        guard let after else { return nil }
        guard let sequence = Int64(after), sequence > 0 else { throw Self.malformed }
        return sequence
    }

    /// Rows fetched `limit + 1` at a time (newest first): the page, and the cursor when more follow.
    func page<Item>(rows: [(sequence: Int64, item: Item)]) -> (items: [Item], next: String?) {
        let (page, next) = self.page(rows: rows) { String($0.sequence) }
        return (page.map(\.item), next)
    }

    /// Rows fetched `limit + 1` at a time in the list's order: the page, and the cursor after the
    /// page's last row (its `key`) when more follow.
    func page<Row>(rows: [Row], key: (Row) -> String) -> (rows: ArraySlice<Row>, next: String?) {
        let page = rows.prefix(limit)
        return (page, rows.count > limit ? page.last.map { cursor(after: key($0)) } : nil)
    }

    static let malformed = SafeguardsError.invalidRequest("after is not a cursor this list gave out")

    static func encode(list: String, key: String) -> String {
        Data("\(list)\u{0}\(key)".utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func decode(_ cursor: String, list: String) throws(SafeguardsError) -> String {
        guard cursor.utf8.count <= 2048 else { throw malformed }
        var base64 = cursor.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.utf8.count % 4) % 4)
        guard let data = Data(base64Encoded: base64), let text = String(data: data, encoding: .utf8) else {
            throw malformed
        }
        let prefix = "\(list)\u{0}"
        guard text.hasPrefix(prefix), text.utf8.count > prefix.utf8.count else { throw malformed }
        return String(text.dropFirst(prefix.count))
    }
}
