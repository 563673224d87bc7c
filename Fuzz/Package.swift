// swift-tools-version:6.0
// Coverage-guided fuzz targets for the parsers that read outside input (see README.md here).
// A package of its own, so the root package's builds and tests never see the fuzzer sanitizer.
import Foundation
import PackageDescription

/// The root package's identity is the name of the folder it was cloned into.
let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().lastPathComponent

func fuzzTarget(_ name: String, _ products: [String]) -> Target {
    .executableTarget(
        name: name,
        dependencies: ["FuzzDriver"] + products.map { .product(name: $0, package: root) }
    )
}

let package = Package(
    name: "safeguards-fuzz",
    platforms: [.macOS(.v15)],
    dependencies: [.package(path: "..")],
    targets: [
        .target(name: "FuzzDriver"),
        fuzzTarget("FuzzAmount", ["SafeguardsCore"]),
        fuzzTarget("FuzzJSON", ["SafeguardsCore"]),
        fuzzTarget("FuzzFrame", ["SafeguardsFederation"]),
        fuzzTarget("FuzzEnvelope", ["SafeguardsCore", "SafeguardsFederation"]),
        fuzzTarget("FuzzConfig", ["SafeguardsNode"]),
    ]
)
