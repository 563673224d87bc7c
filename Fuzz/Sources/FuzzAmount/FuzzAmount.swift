import SafeguardsCore
import FuzzDriver

/// libFuzzer entry point for the ``Amount`` parser.
///
/// Invariants: parsing never traps; a parsed amount prints as text that parses back to the same
/// amount and prints the same again; the first eight bytes read as micro-units and clamped into the
/// range print as text that parses back to them (every amount in range has a form the parser takes).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzAmount(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = fuzzInput(data, size)
    let text = String(decoding: bytes, as: UTF8.self)
    if let amount = try? Amount(parsing: text) {
        let printed = amount.description
        guard let again = try? Amount(parsing: printed), again == amount, again.description == printed else {
            fatalError("'\(text)' parsed to \(amount.micros) micros, printed as '\(printed)', which does not round-trip")
        }
    }
    if bytes.count >= 8 {
        // Every micro-unit count in the documented range, ±Amount.max; 128-bit totals clamp into it.
        let micros = bytes.prefix(8).reduce(Int64(0)) { ($0 << 8) | Int64($1) }
        let amount = Amount(clamping: Int128(micros))
        guard let parsed = try? Amount(parsing: amount.description), parsed == amount else {
            fatalError("\(micros) micros print as '\(amount.description)', which does not parse back")
        }
    }
    return 0
}

@main
enum Main {
    static func main() { runFuzzer(fuzzAmount) }
}
