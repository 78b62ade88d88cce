// SPDX-License-Identifier: GPL-3.0-or-later
import Foundation
import XCTest

/// `archsim run` end to end: the spec's complete scenario, the CSV files, determinism.
final class RunCommandTests: XCTestCase {
    let spec = CLI.repository.appendingPathComponent("Tests/CLITests/Fixtures/spec-complete.yaml").path

    /// The spec's complete scenario runs unchanged and gives its analytic 10 ms mean (M/M/1 at
    /// ρ = 0.9) within its confidence interval (and within 3%).
    func testSpecCompleteScenario() throws {
        let dir = try CLI.temporaryDirectory()
        let out = try CLI.run(["run", spec, "--out", dir.path])
        XCTAssertEqual(out.status, 0, out.stderr)
        let summary = try CLI.readCSV(dir.appendingPathComponent("summary.csv"))
        XCTAssertEqual(summary.map { $0["request_type"] }, ["req", "all"])
        let all = summary[1]
        XCTAssertEqual(all["scenario"], "mm1")
        XCTAssertEqual(all["replications"], "5")
        let mean = Double(all["mean_ms"]!)!, ci = Double(all["mean_ci95_ms"]!)!
        XCTAssertEqual(mean, 10, accuracy: 0.3)
        XCTAssertLessThan(abs(mean - 10), 3 * ci, "10 ms within 3 half-widths of the 95% CI")
        XCTAssertEqual(Double(all["throughput_rps"]!)!, 900, accuracy: 9)
        // Header order is the contract's.
        let header = try String(contentsOf: dir.appendingPathComponent("summary.csv"), encoding: .utf8).split(separator: "\n")[0]
        XCTAssert(header.hasPrefix("scenario,request_type,replications,offered,completed,errors,timeouts,rejected,throughput_rps,mean_ms,mean_ci95_ms,p50_ms,p90_ms,p95_ms,p99_ms,p999_ms,max_ms"))
        for (file, prefix) in [("components.csv", "scenario,component,kind,instances,throughput_rps,utilization,mean_wait_ms,p99_wait_ms,mean_queue_len,rejected,hit_ratio,stale_reads,replication_lag_p99_ms"),
                               ("replications.csv", "scenario,replication,seed,completed,errors,throughput_rps,mean_ms,p50_ms,p99_ms"),
                               ("timeseries.csv", "scenario,replication,t_s,arrivals,completed,errors,in_flight,p50_ms,p99_ms")] {
            let text = try String(contentsOf: dir.appendingPathComponent(file), encoding: .utf8)
            XCTAssert(text.hasPrefix(prefix), "\(file) header: \(text.prefix(200))")
        }
        // 5 replications × 21 one-second windows... × 60.
        let series = try CLI.readCSV(dir.appendingPathComponent("timeseries.csv"))
        XCTAssertEqual(series.count, 5 * 21 * 60)
        XCTAssert(out.stdout.contains("mm1"))
    }

    /// Same scenario and seed → byte-identical files, whatever --jobs.
    func testDeterministicAcrossRunsAndJobs() throws {
        let a = try CLI.temporaryDirectory(), b = try CLI.temporaryDirectory(), c = try CLI.temporaryDirectory()
        let args = ["run", spec, "--duration", "2m", "--replications", "3", "--quiet"]
        XCTAssertEqual(try CLI.run(args + ["--out", a.path, "--jobs", "1"]).status, 0)
        XCTAssertEqual(try CLI.run(args + ["--out", b.path, "--jobs", "2"]).status, 0)
        XCTAssertEqual(try CLI.run(args + ["--out", c.path, "--jobs", "2"]).status, 0)
        for file in ["summary.csv", "components.csv", "replications.csv", "timeseries.csv"] {
            let x = try Data(contentsOf: a.appendingPathComponent(file))
            XCTAssertEqual(x, try Data(contentsOf: b.appendingPathComponent(file)), "\(file): --jobs 1 vs 2")
            XCTAssertEqual(x, try Data(contentsOf: c.appendingPathComponent(file)), "\(file): run twice")
        }
        // A different seed gives different numbers.
        let d = try CLI.temporaryDirectory()
        XCTAssertEqual(try CLI.run(args + ["--out", d.path, "--seed", "8"]).status, 0)
        XCTAssertNotEqual(try Data(contentsOf: a.appendingPathComponent("replications.csv")),
                          try Data(contentsOf: d.appendingPathComponent("replications.csv")))
    }

    /// Overrides change what they say; --quiet prints nothing.
    func testOverridesAndQuiet() throws {
        let dir = try CLI.temporaryDirectory()
        let out = try CLI.run(["run", spec, "--out", dir.path, "--duration", "30s", "--warmup", "0s", "--replications", "2", "--quiet"])
        XCTAssertEqual(out.status, 0, out.stderr)
        XCTAssertEqual(out.stdout, "")
        XCTAssertEqual(out.stderr, "")
        let reps = try CLI.readCSV(dir.appendingPathComponent("replications.csv"))
        XCTAssertEqual(reps.count, 2)
        let series = try CLI.readCSV(dir.appendingPathComponent("timeseries.csv"))
        XCTAssertEqual(series.count, 2 * 30)
    }

    func testHelpListsCommandsAndOptions() throws {
        let top = try CLI.run(["--help"])
        XCTAssertEqual(top.status, 0)
        for word in ["run", "check", "bench"] { XCTAssert(top.stdout.contains(word), "help mentions \(word)") }
        let run = try CLI.run(["run", "--help"])
        for option in ["--out", "--seed", "--replications", "--duration", "--warmup", "--jobs", "--quiet"] {
            XCTAssert(run.stdout.contains(option), "run --help mentions \(option)")
        }
    }
}

/// `archsim bench --scale`: one model grown to Taobao's counts, each size the same requests.
final class BenchScaleTests: XCTestCase {
    func testScaleRunsEverySizeWithTheSameRequests() throws {
        let r = try CLI.run(["bench", "--scale"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let rows = r.stdout.split(separator: "\n").dropFirst(2).map { $0.split(separator: " ", omittingEmptySubsequences: true) }
        XCTAssertEqual(rows.map { $0.prefix(3).joined(separator: " ") }, ["8 3 3", "64 16 16", "512 128 64", "4000 1000 512"], r.stdout)
        for row in rows {
            // 2 M requests at 1,000/s per instance, about 3.7 events each.
            XCTAssertEqual(Double(row[5])!, 2_000_000, accuracy: 5_000, r.stdout)
            XCTAssertEqual(Double(row[6])! / Double(row[5])!, 3.7, accuracy: 0.3, r.stdout)
        }
    }

    /// `--write-scenarios` writes each size as a scenario file instead of running it; the largest
    /// reads back with its counts, and runs alone under `archsim run` with the bench's events per
    /// request.
    func testWriteScenariosWritesEachSizeAsAFileThatRuns() throws {
        let dir = try CLI.temporaryDirectory()
        let r = try CLI.run(["bench", "--scale", "--write-scenarios", dir.path])
        XCTAssertEqual(r.status, 0, r.stderr)
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
        XCTAssertEqual(files, ["bench-scale-4000.yaml", "bench-scale-512.yaml", "bench-scale-64.yaml", "bench-scale-8.yaml"])
        let largest = try String(contentsOf: dir.appendingPathComponent("bench-scale-4000.yaml"), encoding: .utf8)
        for fragment in ["instances: 4000", "nodes: 1000", "count: 512", "rate: 4000000/s", "policy: power_of_two"] {
            XCTAssert(largest.contains(fragment), fragment)
        }
        let out = dir.appendingPathComponent("out")
        let run = try CLI.run(["run", dir.appendingPathComponent("bench-scale-4000.yaml").path, "--duration", "100ms",
                               "--jobs", "1", "--quiet", "--out", out.path])
        XCTAssertEqual(run.status, 0, run.stderr)
        let rep = try CLI.readCSV(out.appendingPathComponent("replications.csv"))[0]
        XCTAssertEqual(Double(rep["events"]!)! / Double(rep["offered"]!)!, 3.8, accuracy: 0.3, "\(rep)")
        let plain = try CLI.run(["bench", "--sizes", "1x1", "--write-scenarios", dir.appendingPathComponent("plain").path])
        XCTAssertEqual(plain.status, 0, plain.stderr)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("plain").path).sorted(),
                       ["bench-chain-1x1-60s.yaml", "bench-realism-1x1-60s.yaml", "bench-storage-1x1-60s.yaml"])
    }
}
