import Foundation
import SafeguardsNode
import FuzzDriver

/// libFuzzer entry point for the YAML config loader.
///
/// Invariants: any text either parses or is refused with a ``ConfigError`` (never a trap); parsing
/// is a function of the text (the same text gives an equal config, or an error for the same key:
/// the message may differ, as Yams lists duplicate keys in no fixed order).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzConfig(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let text = String(decoding: fuzzInput(data, size), as: UTF8.self)
    let first = Result { () throws(ConfigError) in try NodeConfig.parse(yaml: text) }
    let second = Result { () throws(ConfigError) in try NodeConfig.parse(yaml: text) }
    switch (first, second) {
    case (.success(let a), .success(let b)) where a == b: break
    case (.failure(let a), .failure(let b)) where a.key == b.key: break
    default: fatalError("the same text parsed differently twice: \(first) vs \(second)")
    }
    return 0
}

@main
enum Main {
    static func main() { runFuzzer(fuzzConfig) }
}
