import Foundation
import SafeguardsCore
import FuzzDriver

/// libFuzzer entry point for ``StrictJSON``.
///
/// Invariants: validation never traps; text it accepts is JSON to Foundation too; whatever
/// Foundation reads, written back by Foundation (valid JSON without a duplicate key, since it
/// comes from dictionaries) is accepted unless it nests deeper than the limit. The raw input is
/// not compared the other way: Foundation also takes text that is not JSON (`{"a":1,}`).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSON(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = fuzzInput(data, size)
    let verdict = Result { () throws(StrictJSONError) in try StrictJSON.validate(bytes) }
    let foundation = try? JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])
    // Foundation refuses numbers beyond a Double's range (`1e400`), which are JSON: with every
    // number written as 0 it must agree.
    if case .success = verdict, foundation == nil,
        (try? JSONSerialization.jsonObject(with: Data(numbersZeroed(bytes)), options: [.fragmentsAllowed])) == nil
    {
        fatalError("accepted text that Foundation refuses: \(bytes.prefix(200))")
    }
    if let foundation, let written = try? JSONSerialization.data(withJSONObject: foundation, options: [.fragmentsAllowed]) {
        switch Result(catching: { () throws(StrictJSONError) in try StrictJSON.validate(written) }) {
        case .success, .failure(.tooDeep): break
        case .failure(let error):
            fatalError("refused Foundation's own JSON (\(error)): \(Array(written.prefix(200)))")
        }
    }
    return 0
}

/// `bytes` with every number outside strings replaced by `0`.
private func numbersZeroed(_ bytes: [UInt8]) -> [UInt8] {
    var result: [UInt8] = []
    var inString = false
    var escaped = false
    var inNumber = false
    for byte in bytes {
        if inString {
            result.append(byte)
            if escaped {
                escaped = false
            } else if byte == UInt8(ascii: "\\") {
                escaped = true
            } else if byte == UInt8(ascii: "\"") {
                inString = false
            }
            continue
        }
        // A number starts with a digit or '-'; only then do '.', 'e', 'E' and '+' continue it.
        let isDigit = (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
        if isDigit || byte == UInt8(ascii: "-") || (inNumber && Array(".eE+".utf8).contains(byte)) {
            if !inNumber { result.append(UInt8(ascii: "0")) }
            inNumber = true
            continue
        }
        inNumber = false
        if byte == UInt8(ascii: "\"") { inString = true }
        result.append(byte)
    }
    return result
}

@main
enum Main {
    static func main() { runFuzzer(fuzzJSON) }
}
