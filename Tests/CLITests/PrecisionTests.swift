// SPDX-License-Identifier: GPL-3.0-or-later
import Foundation
import XCTest

/// `--precision`: replications added in order until the chosen metrics are precise, or capped;
/// and the MSER-5 warm-up warning.
final class PrecisionTests: XCTestCase {
    /// M/M/1 at ρ = 0.8 (mean response 5 ms).
    static func mm1(rate: String = "800/s", duration: String = "20s", warmup: String = "5s") -> String {
        SensitivityTests.mmc(name: "mm1", rate: rate, workers: 1, duration: duration, warmup: warmup, replications: 3)
    }

    func testAddsReplicationsUntilPreciseWhateverTheJobs() throws {
        let dir = try CLI.temporaryDirectory()
        let file = dir.appendingPathComponent("mm1.yaml").path
        try Self.mm1().write(toFile: file, atomically: true, encoding: .utf8)
        var outputs: [String: String] = [:]
        for jobs in ["1", "2"] {
            let out = dir.appendingPathComponent("out\(jobs)")
            let r = try CLI.run(["run", file, "--precision", "3%", "--precision-metric", "mean", "--precision-metric", "p99",
                                 "--jobs", jobs, "--out", out.path])
            XCTAssertEqual(r.status, 0, r.stderr)
            XCTAssertTrue(r.stdout.contains("precision 3% reached after"), r.stdout)
            for f in ["precision.csv", "replications.csv", "summary.csv"] {
                outputs[jobs + f] = try String(contentsOf: out.appendingPathComponent(f), encoding: .utf8)
            }
            let rows = try CLI.readCSV(out.appendingPathComponent("precision.csv"))
            XCTAssertEqual(rows.map { $0["metric"] }, ["mean", "p99"])
            let n = Int(rows[0]["replications"]!)!
            XCTAssertGreaterThan(n, 3, "3 replications of 20 s are not 3% precise at ρ = 0.8")
            for row in rows {
                XCTAssertEqual(row["reached"], "precision")
                XCTAssertLessThanOrEqual(Double(row["relative_ci95"]!)!, 0.03)
                XCTAssertEqual(Double(row["relative_ci95"]!)!, Double(row["ci95"]!)! / Double(row["mean"]!)!, accuracy: 1e-5)
            }
            // The mean agrees with M/M/1 (5 ms) within its own interval (plus rounding).
            XCTAssertEqual(Double(rows[0]["mean"]!)!, 5, accuracy: Double(rows[0]["ci95"]!)! * 1.5)
            XCTAssertEqual(try CLI.readCSV(out.appendingPathComponent("replications.csv")).count, n)
        }
        for f in ["precision.csv", "replications.csv", "summary.csv"] { XCTAssertEqual(outputs["1" + f], outputs["2" + f], f) }

        // Replications are added in index order: the first three are those of a plain 3-replication run.
        let plain = dir.appendingPathComponent("plain")
        XCTAssertEqual(try CLI.run(["run", file, "--quiet", "--out", plain.path]).status, 0)
        let first = try String(contentsOf: plain.appendingPathComponent("replications.csv"), encoding: .utf8).split(separator: "\n")
        let grown = outputs["1replications.csv"]!.split(separator: "\n")
        XCTAssertEqual(Array(grown.prefix(first.count)), first)
    }

    func testSaysWhenTheCapStoppedIt() throws {
        let dir = try CLI.temporaryDirectory()
        let file = dir.appendingPathComponent("mm1.yaml").path
        try Self.mm1().write(toFile: file, atomically: true, encoding: .utf8)
        let out = dir.appendingPathComponent("out")
        let r = try CLI.run(["run", file, "--precision", "0.1%", "--max-replications", "4", "--out", out.path])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("precision 0.1% NOT reached: stopped at the cap of 4 replications"), r.stdout)
        let rows = try CLI.readCSV(out.appendingPathComponent("precision.csv"))
        XCTAssertEqual(rows.first?["replications"], "4")
        XCTAssertEqual(rows.first?["reached"], "max_replications")
        XCTAssertGreaterThan(Double(rows[0]["relative_ci95"]!)!, 0.001)

        // The cap never cuts the file's own replications.
        let more = try CLI.run(["run", file, "--replications", "6", "--precision", "0.1%", "--max-replications", "4", "--out", out.path])
        XCTAssertEqual(more.status, 0, more.stderr)
        XCTAssertEqual(try CLI.readCSV(out.appendingPathComponent("precision.csv")).first?["replications"], "6")
        // A later run without --precision leaves no stale precision.csv beside its files.
        XCTAssertEqual(try CLI.run(["run", file, "--quiet", "--out", out.path]).status, 0)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.appendingPathComponent("precision.csv").path))
        XCTAssertEqual(try CLI.readCSV(out.appendingPathComponent("replications.csv")).count, 3)
    }

    func testCompareKeepsOneCountForAllScenarios() throws {
        let dir = try CLI.temporaryDirectory()
        let a = dir.appendingPathComponent("a.yaml").path, b = dir.appendingPathComponent("b.yaml").path
        try Self.mm1().write(toFile: a, atomically: true, encoding: .utf8)
        try SensitivityTests.mmc(name: "mm2", rate: "800/s", workers: 2, duration: "20s", warmup: "5s", replications: 3)
            .write(toFile: b, atomically: true, encoding: .utf8)
        let out = dir.appendingPathComponent("out")
        let r = try CLI.run(["compare", a, b, "--precision", "3%", "--out", out.path, "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let rows = try CLI.readCSV(out.appendingPathComponent("precision.csv"))
        XCTAssertEqual(rows.map { $0["scenario"] }, ["mm1", "mm2"])
        XCTAssertEqual(rows[0]["replications"], rows[1]["replications"])
        for name in ["mm1", "mm2"] {
            let n = try CLI.readCSV(out.appendingPathComponent(name).appendingPathComponent("replications.csv")).count
            XCTAssertEqual(String(n), rows[0]["replications"])
        }
        XCTAssertTrue(rows.allSatisfy { Double($0["relative_ci95"]!)! <= 0.03 })
    }

    func testRefusesBadPrecisionOptions() throws {
        let dir = try CLI.temporaryDirectory()
        let file = dir.appendingPathComponent("mm1.yaml").path
        try Self.mm1().write(toFile: file, atomically: true, encoding: .utf8)
        let out = dir.appendingPathComponent("out")
        for (args, message) in [(["--precision", "0%"], "expected a share like 2%"),
                                (["--precision", "two"], "expected a share like 2%"),
                                (["--precision-metric", "p99"], "--precision-metric goes with --precision"),
                                (["--max-replications", "9"], "--max-replications goes with --precision"),
                                (["--precision", "2%", "--max-replications", "1"], "--max-replications must be from 2"),
                                (["--precision", "2%", "--precision-metric", "p99[nope]"], "has no request type 'nope'"),
                                (["--precision", "2%", "--precision-metric", "db_nothing_rps"], "have no metric 'db_nothing_rps'"),
                                (["--precision", "2%", "--precision-metric", "loudness"], "expected mean, p50")] {
            let r = try CLI.run(["run", file, "--out", out.path] + args)
            XCTAssertEqual(r.status, 2, "\(args): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains(message), "\(args): \(r.stderr)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: out.appendingPathComponent("summary.csv").path), "\(args)")
        }
    }

    /// Overloaded (ρ = 1.2), the queue grows all run: MSER-5 says it never settles. At ρ = 0.5
    /// with a warm-up, nothing is said, for any of 5 seeds.
    func testWarnsWhenTheWarmupIsTooShort() throws {
        let dir = try CLI.temporaryDirectory()
        func run(_ text: String, _ extra: [String] = []) throws -> String {
            let file = dir.appendingPathComponent("s.yaml").path
            try text.write(toFile: file, atomically: true, encoding: .utf8)
            let r = try CLI.run(["run", file, "--out", dir.appendingPathComponent("out").path] + extra)
            XCTAssertEqual(r.status, 0, r.stderr)
            return r.stderr
        }
        let overloaded = try run(Self.mm1(rate: "1200/s", duration: "60s", warmup: "5s"))
        XCTAssertTrue(overloaded.contains("requests in flight does not settle within the run"), overloaded)
        for seed in 1...5 {
            let fine = try run(Self.mm1(rate: "500/s", duration: "60s", warmup: "10s"), ["--seed", String(seed)])
            XCTAssertFalse(fine.contains("warning"), fine)
        }
        XCTAssertFalse(try run(Self.mm1(rate: "1200/s", duration: "60s", warmup: "5s"), ["--quiet"]).contains("warning"))
        // Past a warm-up as long as the measured run (MSER's limit falls inside the warm-up), the
        // growth of the measured half still shows.
        let long = try run(Self.mm1(rate: "1200/s", duration: "60s", warmup: "60s"))
        XCTAssertTrue(long.contains("requests in flight does not settle within the run"), long)

        // A cold cache of 20,000 keys at 500 requests/s fills as 1 − e^(−t/40 s): misses (10 ms)
        // hold requests in flight for about two minutes. From a 0 s warm-up the check says so and
        // suggests one; after a 4-minute warm-up it is quiet.
        let cold = try run(Self.coldCache)
        XCTAssertTrue(cold.contains("the warm-up (0s) looks too short: requests in flight settles after"), cold)
        let suggested = try XCTUnwrap(cold.components(separatedBy: "try --warmup ").last?.trimmingCharacters(in: .whitespacesAndNewlines))
        XCTAssertTrue(["1m", "2m", "3m"].contains(suggested), suggested)
        XCTAssertFalse(try run(Self.coldCache, ["--warmup", "4m", "--duration", "2m"]).contains("warning"))
    }

    static let coldCache = """
        name: cold-cache
        duration: 3m
        warmup: 0s
        replications: 2
        workload:
          arrivals: {kind: open, rate: 500/s}
          keys:
            products: {count: 20000}
          requests:
            view: {key: products}
        architecture:
          routes: {view: app.view}
          services:
            app:
              workers: 1000
              io: async
              operations:
                view:
                  steps:
                    - cache_get: c
                      on_miss:
                        - db_read: db
                        - cache_set: c
          caches:
            c: {nodes: 1, capacity: 20000, eviction: lru, latency: constant(100us)}
          databases:
            db:
              primary: {connections: 1000, read: constant(10ms), write: constant(1ms)}
        """
}
