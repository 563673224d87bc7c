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
    if case .success = verdict, foundation == nil {
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

@main
enum Main {
    static func main() { runFuzzer(fuzzJSON) }
}
