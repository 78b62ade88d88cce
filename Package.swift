// swift-tools-version: 6.0
// ArchSim — a deterministic discrete-event simulator of high-concurrency e-commerce backends.
// SPDX-License-Identifier: GPL-3.0-or-later
import PackageDescription

let package = Package(
    name: "ArchSim",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "archsim", targets: ["archsim"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.1.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.0.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.81.0"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.0.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.0.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.21.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.5.0"),
    ],
    targets: [
        // GSL (GNU Scientific Library) through a small shim header: random number generators
        // and distributions. Debian: libgsl-dev.
        .systemLibrary(name: "CGSL", pkgConfig: "gsl", providers: [.apt(["libgsl-dev"])]),
        // Clock and event list (time, sequence order), random streams and distributions. No domain
        // words; the run loop is the model's (Simulation.run).
        .target(name: "ArchSimKernel", dependencies: ["CGSL"], swiftSettings: hot),
        // Latency histograms, time-weighted gauges, confidence intervals.
        .target(name: "ArchSimStats", dependencies: ["CGSL"], swiftSettings: hot),
        // The article's components — traffic, load balancer, services, network — and the
        // simulation that runs them.
        .target(name: "ArchSimModel", dependencies: [
            "ArchSimKernel", "ArchSimStats",
            .product(name: "DequeModule", package: "swift-collections"),
        ], swiftSettings: hot),
        // Scenario format v1: YAML -> checked description, with file:line:column errors.
        .target(name: "ArchSimScenario", dependencies: [
            "ArchSimModel", .product(name: "Yams", package: "Yams"),
        ]),
        // CSV writers, terminal tables, progress.
        .target(name: "ArchSimReport", dependencies: ["ArchSimModel", "ArchSimStats"]),
        // Sweeps: planning, sharding, resume, the fingerprint of a sweep, and merging shards.
        .target(name: "ArchSimSweep", dependencies: ["ArchSimKernel", "ArchSimScenario", "ArchSimReport", "ArchSimStats"]),
        // The real e-commerce backend the simulator is calibrated against: HTTP (Hummingbird),
        // storage in embedded SQLite (GRDB; a primary and log-shipped replicas) or in PostgreSQL
        // and its streaming replicas (PostgresNIO), an in-process or Redis cache (a RESP client
        // over SwiftNIO), a seeded catalogue.
        .target(name: "ArchSimBackend", dependencies: [
            "ArchSimModel",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "PostgresNIO", package: "postgres-nio"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
        // Open-loop load generator, distribution fitting, validation of the simulation against
        // the backend.
        .target(name: "CLinuxThreads"),
        .target(name: "ArchSimCalibration", dependencies: [
            "ArchSimBackend", "CLinuxThreads", "ArchSimModel", "ArchSimScenario", "ArchSimReport", "ArchSimStats",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
        ]),
        // The real lab: PostgreSQL, Redis and nginx (Debian's packages) and backend processes
        // started and stopped on loopback as the article's evolution steps, and the mechanism
        // checks that hold their measured behaviour against queueing and cache theory.
        .target(name: "ArchSimLab", dependencies: [
            "ArchSimBackend", "ArchSimCalibration", "ArchSimKernel", "ArchSimModel", "ArchSimScenario", "ArchSimReport", "CLinuxThreads",
            .product(name: "PostgresNIO", package: "postgres-nio"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOPosix", package: "swift-nio"),
        ]),
        // The command line.
        .executableTarget(name: "archsim", dependencies: [
            "ArchSimScenario", "ArchSimReport", "ArchSimModel", "ArchSimStats", "ArchSimBackend", "ArchSimCalibration", "ArchSimSweep", "ArchSimLab",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .testTarget(name: "ArchSimKernelTests", dependencies: ["ArchSimKernel"]),
        .testTarget(name: "ArchSimStatsTests", dependencies: ["ArchSimStats"]),
        .testTarget(name: "ArchSimModelTests", dependencies: ["ArchSimModel", "ArchSimScenario"]),
        .testTarget(name: "ArchSimScenarioTests", dependencies: ["ArchSimScenario"]),
        .testTarget(name: "ValidationTests", dependencies: ["ArchSimModel", "ArchSimScenario", "ArchSimReport"]),
        .testTarget(name: "CLITests", dependencies: ["ArchSimScenario"]),
        .testTarget(name: "ArchSimSweepTests", dependencies: ["ArchSimSweep", "ArchSimScenario", "ArchSimReport"]),
        // Over real HTTP on loopback (URLSession), ephemeral ports, temporary directories.
        .testTarget(name: "ArchSimBackendTests", dependencies: [
            "ArchSimBackend", .product(name: "GRDB", package: "GRDB.swift"),
        ]),
        .testTarget(name: "ArchSimCalibrationTests", dependencies: ["ArchSimCalibration", "ArchSimScenario"]),
        // Starts real PostgreSQL servers (as the `postgres` user when run as root).
        .testTarget(name: "ArchSimLabTests", dependencies: ["ArchSimLab", "ArchSimBackend", "ArchSimModel"]),
    ],
    swiftLanguageModes: [.v6]
)

/// The event loop's targets: optimised hard in release; exclusivity is checked statically.
var hot: [SwiftSetting] { [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))] }
