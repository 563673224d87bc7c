/// What the status page shows, as `GET /status.json` sends it and as the page renders it: a few
/// headline facts and titled tables of text cells. The node decides every text and tone; the page
/// (server-side once, then its script at every refresh) only lays them out, so the page and its
/// refreshes cannot drift apart and the script never builds markup from data.
struct StatusView: Encodable, Sendable {
    var systemID: String
    /// When the view was gathered (RFC 3339, UTC, milliseconds).
    var generatedAt: String
    /// Seconds between the page's refreshes.
    var refreshSeconds: Int
    /// Headline facts (`ledger balanced`, `2 peers alive`...), in order.
    var summary: [Cell]
    var sections: [Section]

    enum CodingKeys: String, CodingKey {
        case systemID = "system_id", generatedAt = "generated_at", refreshSeconds = "refresh_seconds", summary, sections
    }

    /// A titled table. `rows` may be empty: then `empty` says why.
    struct Section: Encodable, Sendable {
        /// The HTML id of the section (`sync`, `peers`, `agents`...), stable across refreshes.
        var id: String
        var title: String
        var columns: [String]
        var rows: [[Cell]]
        /// Shown when there are no rows.
        var empty: String
        /// Under the table: what was left out, where to find the rest.
        var note: String?
    }

    /// One piece of text, and how it should stand out.
    struct Cell: Encodable, Sendable, Equatable {
        var text: String
        var tone: Tone?
        /// Right-aligned (amounts, counts, percentages).
        var numeric: Bool

        init(_ text: String, tone: Tone? = nil, numeric: Bool = false) {
            self.text = text
            self.tone = tone
            self.numeric = numeric
        }

        /// An amount, with the decimals the API writes.
        static func amount(_ amount: some CustomStringConvertible) -> Cell { Cell(amount.description, numeric: true) }

        static func number(_ value: Int) -> Cell { Cell(String(value), numeric: true) }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(text, forKey: .text)
            try container.encodeIfPresent(tone, forKey: .tone)
            if numeric { try container.encode(true, forKey: .numeric) }
        }

        enum CodingKeys: String, CodingKey { case text, tone, numeric }
    }

    /// How a cell stands out: `good` (alive, balanced), `warn` (suspect, warning, pending),
    /// `bad` (dead, critical, rejected, not balanced), `muted` (nothing to say).
    enum Tone: String, Encodable, Sendable {
        case good, warn, bad, muted
    }
}
