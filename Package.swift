// swift-tools-version:6.0
import PackageDescription

// Hot modules run without dynamic exclusivity checks: the keyspace is only
// touched under its lock, and the checks cost ~10% on the pipelined benchmark.
let hotPathFlags: [SwiftSetting] = [
    .unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release)),
]

let package = Package(
    name: "SwiftKeyDB",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "swiftkeydb-server", targets: ["swiftkeydb-server"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.6.0"),
    ],
    targets: [
        // RESP2 + inline request decoding and reply encoding.
        .target(
            name: "KeyDBRESP",
            dependencies: [.product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: hotPathFlags
        ),
        // The C allocator's statistics, for INFO memory and maxmemory.
        .target(name: "CMemoryStats"),
        // The process's malloc/free, counting the heap as it changes (used_memory) and,
        // for the allocation test, each thread's allocations.
        .target(name: "CMemoryAccounting"),
        // Debian's Lua 5.1 (liblua5.1-0-dev) with lua-cjson and lua-bitop, set up as
        // Redis's sandbox; cmsgpack and struct are the project's own (CLuaLibraries).
        .target(
            name: "CLuaBridge",
            dependencies: ["CLuaLibraries"],
            linkerSettings: [.linkedLibrary("lua5.1"), .linkedLibrary("lua5.1-cjson"), .linkedLibrary("lua5.1-bitop")]
        ),
        .target(name: "CLuaLibraries", linkerSettings: [.linkedLibrary("lua5.1")]),
        // Keyspace, values, expiry, command table and commands. No sockets, no files.
        .target(
            name: "KeyDBEngine",
            dependencies: [
                "KeyDBRESP", "KeyDBStorage", "CMemoryStats", "CLuaBridge",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "OrderedCollections", package: "swift-collections"),
            ],
            swiftSettings: hotPathFlags
        ),
        // Redis's on-disk formats: RDB (reader, writer, listpack, ziplist, intset,
        // LZF, CRC64). Pure byte work: no engine, no files (KeyDBRESP for string2ll).
        .target(name: "KeyDBStorage", dependencies: ["KeyDBRESP"], swiftSettings: hotPathFlags),
        // Snapshots and the append-only log for an engine: loading, the log file
        // and its fsync policy, SAVE/BGSAVE/BGREWRITEAOF, the multi-part AOF.
        .target(
            name: "KeyDBPersistence",
            dependencies: [
                "KeyDBEngine", "KeyDBRESP", "KeyDBStorage",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "DequeModule", package: "swift-collections"),
            ],
            swiftSettings: hotPathFlags
        ),
        // Configuration, SwiftNIO bootstrap, connection handler, shutdown.
        .target(
            name: "KeyDBServer",
            dependencies: [
                "KeyDBRESP", "KeyDBEngine", "KeyDBPersistence",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: hotPathFlags
        ),
        .executableTarget(
            name: "swiftkeydb-server",
            dependencies: ["KeyDBServer", "KeyDBEngine", "CMemoryAccounting"]
        ),

        .testTarget(
            name: "KeyDBRESPTests",
            dependencies: ["KeyDBRESP", "KeyDBTestSupport", .product(name: "NIOCore", package: "swift-nio")]
        ),
        .testTarget(
            name: "KeyDBStorageTests",
            dependencies: ["KeyDBStorage"],
            exclude: ["Fixtures"]
        ),
        .testTarget(
            name: "KeyDBPersistenceTests",
            dependencies: ["KeyDBPersistence", "KeyDBEngine", "KeyDBRESP", "KeyDBStorage",
                           .product(name: "NIOCore", package: "swift-nio")]
        ),
        .testTarget(
            name: "KeyDBEngineTests",
            dependencies: ["KeyDBEngine", "KeyDBRESP", "KeyDBTestSupport", .product(name: "NIOCore", package: "swift-nio")]
        ),
        // Counts heap allocations per thread in the test executable (wraps malloc),
        // so the hot path's allocations per command are checked without timing anything.
        .testTarget(
            name: "KeyDBAllocationTests",
            dependencies: ["CMemoryAccounting", "KeyDBEngine", "KeyDBRESP", "KeyDBPersistence", "KeyDBServer",
                           .product(name: "NIOCore", package: "swift-nio"),
                           .product(name: "NIOEmbedded", package: "swift-nio"),
                           .product(name: "NIOConcurrencyHelpers", package: "swift-nio")]
        ),
        // Shared helpers for the integration tests: starts the server binary
        // (ServerProcess) and speaks raw RESP over a socket (RawClient).
        // Foundation + Glibc only.
        .target(
            name: "KeyDBTestSupport",
            path: "Tests/KeyDBTestSupport"
        ),
        // Starts the real server binary on a free port and talks to it over TCP.
        .testTarget(
            name: "KeyDBServerTests",
            dependencies: ["KeyDBServer", "swiftkeydb-server", "KeyDBTestSupport",
                           .product(name: "NIOPosix", package: "swift-nio"),
                           .product(name: "NIOEmbedded", package: "swift-nio")]
        ),

        // Wire compatibility through hiredis (Debian's libhiredis-dev); test-only.
        // scripts/test checks it with `pkg-config --exists hiredis`; the module map
        // needs no flags from it (its -D_FILE_OFFSET_BITS is refused by SwiftPM with
        // a warning on every build, so it is not wired in as `pkgConfig:`).
        .systemLibrary(
            name: "CHiredis",
            path: "Interop/CHiredis"
        ),
        .testTarget(
            name: "HiredisInteropTests",
            dependencies: ["CHiredis", "swiftkeydb-server", "KeyDBTestSupport"],
            path: "Interop/HiredisInteropTests"
        ),
    ]
)
