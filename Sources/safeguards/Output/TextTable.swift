/// Rows of text in aligned columns for the terminal: two spaces between columns, numbers
/// right-aligned, no trailing spaces.
///
/// ```
/// NAME      PRIORITY    TOTAL
/// research         7  1000.00
/// ```
struct TextTable: CustomStringConvertible {
    /// How a column's cells line up.
    enum Alignment: Sendable {
        case left, right
    }

    /// A column's title and alignment.
    struct Column: Sendable {
        let title: String
        let alignment: Alignment

        static func left(_ title: String) -> Column { Column(title: title, alignment: .left) }
        static func right(_ title: String) -> Column { Column(title: title, alignment: .right) }
    }

    let columns: [Column]
    /// Whether the column titles are printed as the first line.
    let showsHeader: Bool
    private(set) var rows: [[String]] = []

    init(_ columns: [Column], showsHeader: Bool = true) {
        self.columns = columns
        self.showsHeader = showsHeader
    }

    /// A two-column table of labels and values, without a header (for one record).
    static func details(_ pairs: [(String, String)]) -> TextTable {
        var table = TextTable([.left(""), .left("")], showsHeader: false)
        for (label, value) in pairs { table.append([label + ":", value]) }
        return table
    }

    var isEmpty: Bool { rows.isEmpty }

    /// Adds a row; missing cells are blank and extra cells are dropped.
    mutating func append(_ cells: [String]) {
        rows.append((0..<columns.count).map { $0 < cells.count ? cells[$0] : "" })
    }

    /// The table as lines of text, each prefixed with `indent` spaces.
    func render(indent: Int = 0) -> String {
        let lines = (showsHeader ? [columns.map(\.title)] : []) + rows
        let widths = columns.indices.map { column in lines.map { $0[column].count }.max() ?? 0 }
        let prefix = String(repeating: " ", count: indent)
        return lines.map { cells in
            let padded = columns.indices.map { column in
                let cell = cells[column]
                let padding = String(repeating: " ", count: widths[column] - cell.count)
                return columns[column].alignment == .left ? cell + padding : padding + cell
            }
            return prefix + String(padded.joined(separator: "  ").reversed().drop(while: { $0 == " " }).reversed())
        }.joined(separator: "\n")
    }

    var description: String { render() }
}
