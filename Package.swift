// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "switchboard",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "switchboard", targets: ["switchboard"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
    ],
    targets: [
        .systemLibrary(name: "CRdKafka", pkgConfig: "rdkafka", providers: [.apt(["librdkafka-dev"])]),
        .systemLibrary(name: "CHiredis", pkgConfig: "hiredis", providers: [.apt(["libhiredis-dev"])]),
        .target(name: "Redis", dependencies: [
            "CHiredis",
            .product(name: "Logging", package: "swift-log"),
        ]),
        .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .target(name: "Embeddings", dependencies: [
            "COpenBLAS",
            .product(name: "Logging", package: "swift-log"),
        ]),
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .target(name: "HTTPClient", dependencies: [
            "CCurl",
            .product(name: "Logging", package: "swift-log"),
        ]),
        // Byte-level JSON: the scanner and decoder, and the streaming encoder, shared by the
        // events and the provider simulator.
        .target(name: "JSONCoding"),
        .target(name: "ProviderSimulator", dependencies: [
            "JSONCoding",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
        // hnswlib (header-only C++, Debian's libhnswlib-dev) behind a small C API for the embedded store.
        .target(name: "CHnswlib"),
        .systemLibrary(name: "CLibpq", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        // Vector stores behind one protocol: the embedded index and PostgreSQL + pgvector.
        .target(name: "VectorStores", dependencies: [
            "CHnswlib",
            "CLibpq",
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "Kafka", dependencies: [
            "CRdKafka",
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "Switchboard", dependencies: [
            "JSONCoding",
            "Kafka",
            "Redis",
            "HTTPClient",
            "ProviderSimulator",
            "Embeddings",
            "VectorStores",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Yams", package: "Yams"),
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        .executableTarget(name: "switchboard", dependencies: [
            "Switchboard",
            "Embeddings",
            "VectorStores",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], linkerSettings: [
            // jemalloc replaces glibc's malloc for the whole process: the pipeline allocates many
            // small objects across threads, and it measured 25% more requests/s per core.
            .linkedLibrary("jemalloc", .when(platforms: [.linux])),
        ]),
        .testTarget(name: "KafkaTests", dependencies: ["Kafka"]),
        .testTarget(name: "RedisTests", dependencies: ["Redis"]),
        .testTarget(name: "EmbeddingsTests", dependencies: ["Embeddings"]),
        .testTarget(name: "VectorStoresTests", dependencies: ["VectorStores"]),
        // The HTTP client and the provider simulator are tested against each other, over loopback.
        .testTarget(name: "HTTPClientTests", dependencies: ["HTTPClient", "ProviderSimulator"]),
        .testTarget(name: "SwitchboardTests", dependencies: ["Switchboard", "JSONCoding", "Kafka", "Redis", "ProviderSimulator", "HTTPClient", "Embeddings", "VectorStores"]),
    ],
    cxxLanguageStandard: .cxx17
)
