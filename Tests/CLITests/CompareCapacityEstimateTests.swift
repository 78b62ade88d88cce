// SPDX-License-Identifier: GPL-3.0-or-later
import Foundation
import XCTest

final class CompareCapacityEstimateTests: XCTestCase {
    static let workload = """
    arrivals: {kind: open, rate: 900/s}
    keys:
      p: {count: 10000, popularity: zipf(s=0.99)}
    requests:
      view: {weight: 9, key: p}
      buy: {weight: 1, key: p}

    """

    static func architecture(name: String, cache: Bool, ownRate: String = "50/s") -> String {
        """
        name: \(name)
        seed: 11
        duration: 30s
        warmup: 5s
        replications: 3
        workload:
          arrivals: {kind: open, rate: \(ownRate)}
          requests:
            view: {weight: 1}
            buy: {weight: 1}
        architecture:
          routes: {view: app.view, buy: app.buy}
          services:
            app:
              workers: 64
              operations:
                view:
                  steps:
        \(cache ? """
                    - cache_get: c
                      on_miss:
                        - db_read: db
                        - cache_set: c
        """ : """
                    - db_read: db
        """)
                buy:
                  steps:
                    - db_write: db
                    \(cache ? "- cache_delete: c" : "")
          \(cache ? "caches:\n    c: {capacity: 1000, latency: constant(200us)}" : "")
          databases:
            db:
              primary: {connections: 16, read: exponential(mean=2ms), write: exponential(mean=5ms)}

        """
    }

    /// compare --workload: identical arrival counts per request type across scenarios in every
    /// replication (common random numbers), and the cache's effect with a paired CI.
    func testCompareWithWorkloadUsesCommonRandomNumbers() throws {
        let dir = try CLI.temporaryDirectory()
        let w = dir.appendingPathComponent("w.yaml").path
        try Self.workload.write(toFile: w, atomically: true, encoding: .utf8)
        let a = dir.appendingPathComponent("a.yaml").path, b = dir.appendingPathComponent("b.yaml").path
        try Self.architecture(name: "nocache", cache: false).write(toFile: a, atomically: true, encoding: .utf8)
        try Self.architecture(name: "cache", cache: true, ownRate: "10/s").write(toFile: b, atomically: true, encoding: .utf8)
        let out = dir.appendingPathComponent("out")
        let r = try CLI.run(["compare", a, b, "--workload", w, "--out", out.path])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssert(r.stdout.contains("nocache") && r.stdout.contains("cache"))
        // Per replication and request type, the arrivals are identical.
        for type in ["view", "buy"] {
            func offered(_ name: String) throws -> [String] {
                let series = try CLI.readCSV(out.appendingPathComponent("\(name)/replications.csv"))
                XCTAssertEqual(series.count, 3)
                return series.map { $0["offered"]! }
            }
            XCTAssertEqual(try offered("nocache"), try offered("cache"), type)
        }
        for name in ["nocache", "cache"] {
            let summary = try CLI.readCSV(out.appendingPathComponent("\(name)/summary.csv"))
            XCTAssertEqual(summary.map { $0["request_type"]! }, ["view", "buy", "all"])
        }
        let rows = try CLI.readCSV(out.appendingPathComponent("comparison.csv"))
        let header = try String(contentsOf: out.appendingPathComponent("comparison.csv"), encoding: .utf8).prefix(40)
        XCTAssert(header.hasPrefix("scenario,request_type,metric,value,ci95"))
        // The workload's rate (900/s) is used, not the files' own.
        let offered = rows.first { $0["scenario"] == "cache" && $0["request_type"] == "all" && $0["metric"] == "throughput_rps" }!
        XCTAssertEqual(Double(offered["value"]!)!, 900, accuracy: 20)
        for type in ["view", "buy", "all"] {
            let diff = rows.first { $0["scenario"] == "cache" && $0["request_type"] == type && $0["metric"] == "offered" }!
            XCTAssertEqual(diff["diff_vs_first"], "0", "\(type) offered identical")
        }
        // The cache cuts database reads: a negative difference whose CI excludes zero.
        let reads = rows.first { $0["scenario"] == "cache" && $0["metric"] == "db_reads_rps" }!
        let d = Double(reads["diff_vs_first"]!)!, ci = Double(reads["diff_ci95"]!)!
        XCTAssertLessThan(d + ci, 0)
    }

    /// capacity on an M/M/4 scenario with a mean-response SLO finds the analytic rate within 3%.
    func testCapacityMatchesErlangC() throws {
        let dir = try CLI.temporaryDirectory()
        let file = dir.appendingPathComponent("mmc.yaml").path
        try SensitivityTests.mmc(name: "mm4", rate: "1000/s", workers: 4, duration: "200s", warmup: "20s", replications: 4)
            .write(toFile: file, atomically: true, encoding: .utf8)
        let r = try CLI.run(["capacity", file, "--slo", "mean<2ms", "--out", dir.path, "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let row = try CLI.readCSV(dir.appendingPathComponent("capacity.csv"))[0]
        let found = Double(row["capacity_rps"]!)!
        // Analytic: the λ at which the M/M/4 mean response 1 ms + Erlang C wait = 2 ms.
        func response(_ lambda: Double) -> Double { SensitivityTests.meanResponse(c: 4, lambda: lambda, mu: 1000) }
        var lo = 1.0, hi = 3999.0
        for _ in 0..<100 { let mid = (lo + hi) / 2; if response(mid) < 2 { lo = mid } else { hi = mid } }
        XCTAssertEqual(found, lo, accuracy: lo * 0.03, "capacity \(found) vs analytic \(lo)")
    }

    func testEstimateReproducesTheArticle() throws {
        let dir = try CLI.temporaryDirectory()
        let profile = dir.appendingPathComponent("day.yaml").path
        let r = try CLI.run(["estimate", "--users", "10M", "--active", "20%", "--actions", "30", "--busy-share", "80%",
                             "--busy-hours", "5", "--peak-factor", "3", "--write-profile", profile])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssert(r.stdout.contains("60000000"), r.stdout)
        XCTAssert(r.stdout.contains("2666.7 requests/s"), r.stdout)
        XCTAssert(r.stdout.contains("8000.0 requests/s"), r.stdout)
        // The profile is a workload a scenario accepts.
        let scenario = dir.appendingPathComponent("s.yaml").path
        try """
        duration: 10s
        workload: day.yaml
        architecture:
          routes: {request: app.op}
          services:
            app:
              workers: 100
              operations:
                op: {cpu: constant(1ms)}
        """.write(toFile: scenario, atomically: true, encoding: .utf8)
        let check = try CLI.run(["check", scenario])
        XCTAssertEqual(check.status, 0, check.stderr)
        let bad = try CLI.run(["estimate", "--active", "120%"])
        XCTAssertEqual(bad.status, 2)
        XCTAssert(bad.stderr.contains("--active"))
    }
}
