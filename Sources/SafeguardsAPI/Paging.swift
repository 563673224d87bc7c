/// Which page of a list route to fetch: at most `limit` items (1...1000; the node's default is
/// 100) after `after`, a cursor from the previous page's `next`.
public struct PageQuery: Sendable, Equatable {
    /// Items per page; `nil` for the node's default.
    public var limit: Int?
    /// The previous page's `next`; `nil` for the first page.
    public var after: String?

    /// A page query.
    public init(limit: Int? = nil, after: String? = nil) {
        self.limit = limit
        self.after = after
    }

    /// The first page with the node's default size.
    public static let first = PageQuery()

    /// The query parameters of this page.
    var parameters: [(String, String?)] { [("limit", limit.map(String.init)), ("after", after)] }
}

/// A list body that pages: its items under the list's own key, and `next` (`null` on the last page).
public protocol PagedList: Codable, Sendable {
    associatedtype Item: Codable & Sendable
    /// The items of this page.
    var items: [Item] { get set }
    /// The cursor of the next page, `nil` on the last.
    var next: String? { get set }
}

/// How a list body is written: `{<key>: [...], "next": cursor|null}`, with `next` always present.
enum PageCoding {
    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ string: String) { stringValue = string }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    static func encode<Item: Encodable>(_ items: [Item], as key: String, next: String?, to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(items, forKey: Key(key))
        try container.encode(next, forKey: Key("next"))
    }
}

extension SafeguardsClient {
    /// Every item of a list, page after page following `next` (each page of `limit` items), as
    /// one body whose `next` is `nil`.
    ///
    /// - Throws: the first page's error; stops after 100,000 pages (a node that never ends its list).
    public func allPages<List: PagedList>(
        limit: Int? = nil, _ fetch: (PageQuery) async throws(APIClientError) -> List
    ) async throws(APIClientError) -> List {
        var list = try await fetch(PageQuery(limit: limit))
        var pages = 1
        while let after = list.next, pages < 100_000 {
            let page = try await fetch(PageQuery(limit: limit, after: after))
            list.items += page.items
            list.next = page.next
            pages += 1
        }
        return list
    }
}
