// SPDX-License-Identifier: GPL-3.0-or-later
import Foundation
import XCTest

/// `archsim optimize`: the cheapest configuration that meets every objective, and the front.
final class OptimizeTests: XCTestCase {
    /// M/M/c under processor sharing: one service with ample workers on a host of `cores` cores,
    /// each core priced. Its number in system is M/M/c's birth–death process, so the mean
    /// response is Erlang C's.
    static func mmcOnAHost(rate: String = "3500/s") -> String {
        """
        name: mmc-cost
        duration: 60s
        warmup: 5s
        replications: 3
        workload:
          arrivals: {kind: open, rate: \(rate)}
          requests:
            req: {weight: 1}
        architecture:
          routes: {req: app.op}
          hosts:
            box: {cores: 4, cost_per_core: 0.05}
          services:
            app:
              workers: 1000
              host: box
              operations:
                op: {cpu: exponential(mean=1ms)}
        """
    }

    func testCheapestMMcMatchesErlangC() throws {
        let dir = try CLI.temporaryDirectory()
        let file = dir.appendingPathComponent("mmc.yaml").path
        try Self.mmcOnAHost().write(toFile: file, atomically: true, encoding: .utf8)
        let bound = 1.15
        let analytic = (4...20).first { SensitivityTests.meanResponse(c: $0, lambda: 3500, mu: 1000) < bound }!
        XCTAssertEqual(analytic, 6)       // c = 5 gives 1.252 ms, c = 6 1.071 ms
        let out = dir.appendingPathComponent("out")
        let r = try CLI.run(["optimize", file, "--slo", "mean<\(bound)ms", "--vary", "architecture.hosts.box.cores=4..12",
                             "--out", out.path])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("cheapest that holds: box.cores=\(analytic) at 0.3/h"), r.stdout)
        let rows = try CLI.readCSV(out.appendingPathComponent("optimize.csv"))
        XCTAssertEqual(rows.map { $0["architecture.hosts.box.cores"]! }, (4...12).map(String.init), "every integer, cheapest first")
        XCTAssertEqual(rows.filter { $0["cheapest"] == "1" }.map { $0["architecture.hosts.box.cores"] }, [String(analytic)])
        for row in rows {
            let c = Int(row["architecture.hosts.box.cores"]!)!
            XCTAssertEqual(Double(row["cost_per_h"]!)!, 0.05 * Double(c), accuracy: 1e-9)
            XCTAssertEqual(row["verdict"], c >= analytic ? "holds" : "fails", "c = \(c)")
            let theory = SensitivityTests.meanResponse(c: c, lambda: 3500, mu: 1000)
            XCTAssertEqual(Double(row["mean<\(bound)ms"]!)!, theory, accuracy: 0.1 * theory, "c = \(c)")
        }
        // The front, recomputed from the rows: a configuration is on it when none as cheap or
        // cheaper has a p99 as low.
        for (i, row) in rows.enumerated() {
            let cost = Double(row["cost_per_h"]!)!, p99 = Double(row["p99_ms"]!)!
            let beaten = rows.indices.contains { j in
                let c = Double(rows[j]["cost_per_h"]!)!, p = Double(rows[j]["p99_ms"]!)!
                return (c < cost && p <= p99) || (c == cost && (p < p99 || (p == p99 && j < i)))
            }
            XCTAssertEqual(row["pareto"], beaten ? "0" : "1", "c = \(row["architecture.hosts.box.cores"]!)")
        }

        // Stopping at the cheapest judges nothing dearer.
        let stop = dir.appendingPathComponent("stop")
        XCTAssertEqual(try CLI.run(["optimize", file, "--slo", "mean<\(bound)ms", "--vary", "architecture.hosts.box.cores=4..12",
                                    "--stop-at-cheapest", "--quiet", "--out", stop.path]).status, 0)
        let stopped = try CLI.readCSV(stop.appendingPathComponent("optimize.csv"))
        XCTAssertEqual(stopped.filter { $0["verdict"] != "not_judged" }.count, analytic - 4 + 1)
        XCTAssertEqual(stopped.first { $0["cheapest"] == "1" }?["architecture.hosts.box.cores"], String(analytic))
    }

    func testCostIsAComparisonMetric() throws {
        let dir = try CLI.temporaryDirectory()
        let file = dir.appendingPathComponent("mmc.yaml").path
        try Self.mmcOnAHost(rate: "1000/s").write(toFile: file, atomically: true, encoding: .utf8)
        let out = dir.appendingPathComponent("out")
        XCTAssertEqual(try CLI.run(["compare", file, "--duration", "5s", "--quiet", "--out", out.path]).status, 0)
        let rows = try CLI.readCSV(out.appendingPathComponent("comparison.csv"))
        XCTAssertEqual(rows.first { $0["metric"] == "cost_per_h" }?["value"], "0.2")
    }

    func testRefusesWhatCannotBeOptimized() throws {
        let dir = try CLI.temporaryDirectory()
        let file = dir.appendingPathComponent("mmc.yaml").path
        try Self.mmcOnAHost().write(toFile: file, atomically: true, encoding: .utf8)
        let free = dir.appendingPathComponent("free.yaml").path
        try Self.mmcOnAHost().replacingOccurrences(of: ", cost_per_core: 0.05", with: "").write(toFile: free, atomically: true, encoding: .utf8)
        let autoscaled = dir.appendingPathComponent("autoscaled.yaml").path
        try Self.mmcOnAHost().replacingOccurrences(of: "      host: box\n", with: "      host: box\n      autoscale: {min: 1, max: 3}\n")
            .write(toFile: autoscaled, atomically: true, encoding: .utf8)
        let out = dir.appendingPathComponent("out")
        for (args, message) in [([free, "--slo", "p99<10ms", "--vary", "architecture.hosts.box.cores=4..12"], "nothing has a cost"),
                                ([file, "--slo", "p99<10ms", "--vary", "architecture.hosts.box.cores=4..12",
                                  "--vary", "architecture.services.app.workers=500..1000", "--max-configurations", "40"],
                                 "the grid has 45 configurations (architecture.hosts.box.cores: 9 × architecture.services.app.workers: 5), more than --max-configurations 40"),
                                ([file, "--slo", "p99<10ms", "--vary", "architecture.hosts.box.cors=4..12"], "cors"),
                                ([file, "--slo", "p99<10ms", "--vary", "architecture.hosts.box.cores=0..3"], "--vary at"),
                                ([file, "--slo", "p99<<10ms", "--vary", "architecture.hosts.box.cores=4..12"], "--slo"),
                                ([file, "--vary", "architecture.hosts.box.cores=4..12"], "give at least one --slo"),
                                ([file, "--slo", "db_redas_rps<5000", "--vary", "architecture.hosts.box.cores=4..5"],
                                 "have no metric 'db_redas_rps'"),
                                ([autoscaled, "--slo", "p99<10ms", "--vary", "architecture.hosts.box.cores=4..5"],
                                 "service app autoscales")] {
            let r = try CLI.run(["optimize"] + args + ["--out", out.path])
            XCTAssertEqual(r.status, 2, "\(args): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains(message), "\(args): \(r.stderr)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: out.appendingPathComponent("optimize.csv").path), "\(args)")
        }
    }
}

/// `--breakdown` from the command line: run writes breakdown.csv, compare says where the tail went.
final class BreakdownCommandTests: XCTestCase {
    func testRunAndCompareWithBreakdown() throws {
        let dir = try CLI.temporaryDirectory()
        let slow = dir.appendingPathComponent("slow.yaml").path, fast = dir.appendingPathComponent("fast.yaml").path
        try SensitivityTests.mmc(name: "slow", rate: "800/s", workers: 1, duration: "20s", warmup: "2s", replications: 2)
            .write(toFile: slow, atomically: true, encoding: .utf8)
        try SensitivityTests.mmc(name: "fast", rate: "800/s", workers: 2, duration: "20s", warmup: "2s", replications: 2)
            .write(toFile: fast, atomically: true, encoding: .utf8)
        let out = dir.appendingPathComponent("run")
        let r = try CLI.run(["run", slow, "--breakdown", "--out", out.path])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("breakdown.csv"), r.stdout)
        let rows = try CLI.readCSV(out.appendingPathComponent("breakdown.csv"))
        XCTAssertEqual(rows.map { "\($0["request_type"]!) \($0["split"]!)" }, ["req mean", "req tail", "all mean", "all tail"])
        let summary = try CLI.readCSV(out.appendingPathComponent("summary.csv")).last!
        XCTAssertEqual(Double(rows[2]["response_ms"]!)!, Double(summary["mean_ms"]!)!, accuracy: 1e-5)
        // M/M/1 at ρ = 0.8 with 1 ms service: 4 ms of queue, 1 ms of CPU.
        XCTAssertEqual(Double(rows[2]["worker_queue_ms"]!)!, 4, accuracy: 0.8)
        XCTAssertEqual(Double(rows[2]["cpu_ms"]!)!, 1, accuracy: 0.05)
        // Without --breakdown, no breakdown.csv is left behind.
        XCTAssertEqual(try CLI.run(["run", slow, "--quiet", "--out", out.path]).status, 0)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.appendingPathComponent("breakdown.csv").path))

        let c = try CLI.run(["compare", slow, fast, "--breakdown", "--out", dir.appendingPathComponent("cmp").path])
        XCTAssertEqual(c.status, 0, c.stderr)
        XCTAssertTrue(c.stdout.contains("tail (slowest 1%) of fast vs slow:"), c.stdout)
        XCTAssertTrue(c.stdout.contains("worker_queue -"), c.stdout)
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir.appendingPathComponent("cmp/fast/breakdown.csv").path))
    }
}
