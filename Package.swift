// swift-tools-version:6.0
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let nodeOnly = Context.environment["SAFEGUARDS_NODE_ONLY"] != nil

let package = Package(
    name: "safeguards",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "safeguards", targets: ["safeguards"]),
        .library(name: "SafeguardsCore", targets: ["SafeguardsCore"]),
        .library(name: "SafeguardsStore", targets: ["SafeguardsStore"]),
        .library(name: "SafeguardsAPI", targets: ["SafeguardsAPI"]),
        .library(name: "SafeguardsFederation", targets: ["SafeguardsFederation"]),
        .library(name: "SafeguardsTransport", targets: ["SafeguardsTransport"]),
        .library(name: "SafeguardsNode", targets: ["SafeguardsNode"]),
        .library(name: "SafeguardsTestKit", targets: ["SafeguardsTestKit"]),
        .library(name: "SafeguardsPolicies", targets: ["SafeguardsPolicies"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.4"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
    ],
    targets: [
        // Pure domain: Amount, ids, pools, agents, the ledger state machine. No I/O.
        .target(name: "SafeguardsCore", swiftSettings: swiftSettings),
        // Pure federation protocol: signed envelopes, frames, replay guard, peer records and trust,
        // and the identities (certificates, signing keys) nodes prove themselves with. No sockets.
        .target(
            name: "SafeguardsFederation",
            dependencies: [
                "SafeguardsCore",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ],
            swiftSettings: swiftSettings
        ),
        // SwiftNIO + NIOSSL: mutually authenticated TLS listener and dialer carrying frames.
        .target(
            name: "SafeguardsTransport",
            dependencies: [
                "SafeguardsFederation",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // SQLite through GRDB: migrations, journal, group-commit writer.
        .target(
            name: "SafeguardsStore",
            dependencies: [
                "SafeguardsCore",
                "SafeguardsFederation",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // The HTTP/JSON contract (request and response bodies) and its client, on AsyncHTTPClient.
        .target(
            name: "SafeguardsAPI",
            dependencies: [
                "SafeguardsCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: swiftSettings
        ),
        // Composition: config, services, HTTP API, metrics.
        .target(
            name: "SafeguardsNode",
            dependencies: [
                "SafeguardsPolicies",
                "SafeguardsCore",
                "SafeguardsStore",
                "SafeguardsAPI",
                "SafeguardsFederation",
                "SafeguardsTransport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "safeguards",
            dependencies: [
                "SafeguardsCore",
                "SafeguardsTestKit",
                "SafeguardsFederation",
                "SafeguardsNode",
                "SafeguardsAPI",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // Dynamic allocation policies: pure, with time and data passed in.
        .target(
            name: "SafeguardsPolicies",
            dependencies: ["SafeguardsCore"],
            swiftSettings: swiftSettings
        ),
        // Test helpers: manual clock, seeded randomness, node process harness.
        .target(
            name: "SafeguardsTestKit",
            dependencies: [
                "SafeguardsCore", "SafeguardsAPI", "SafeguardsFederation", "SafeguardsStore", "SafeguardsPolicies",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
    ] + (nodeOnly ? [] : developmentTargets)
)

/// The benchmarks and the test suites. Left out when `SAFEGUARDS_NODE_ONLY` is set, as the
/// Dockerfile's build stage sets it: the manifest then loads from `Package.swift` and `Sources/`
/// alone, so the image build copies nothing it does not compile.
var developmentTargets: [Target] {
    [
        .executableTarget(
            name: "safeguards-bench",
            dependencies: [
                "SafeguardsCore",
                "SafeguardsStore",
                "SafeguardsAPI",
                "SafeguardsNode",
                "SafeguardsFederation",
                "SafeguardsTransport",
                "SafeguardsTestKit",
                "SafeguardsPolicies",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Benchmarks/safeguards-bench",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SafeguardsPoliciesTests",
            dependencies: ["SafeguardsCore", "SafeguardsPolicies", "SafeguardsTestKit"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SafeguardsCoreTests",
            dependencies: ["SafeguardsCore", "SafeguardsTestKit"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SafeguardsFederationTests",
            dependencies: [
                "SafeguardsCore", "SafeguardsFederation", "SafeguardsTestKit",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SafeguardsTransportTests",
            dependencies: [
                "SafeguardsCore", "SafeguardsFederation", "SafeguardsTransport", "SafeguardsTestKit",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SafeguardsStoreTests",
            dependencies: [
                "SafeguardsCore", "SafeguardsStore", "SafeguardsTestKit", "SafeguardsFederation",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SafeguardsNodeTests",
            dependencies: [
                "SafeguardsCore", "SafeguardsStore", "SafeguardsAPI", "SafeguardsNode", "SafeguardsTestKit",
                "SafeguardsFederation", "SafeguardsTransport",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
}
