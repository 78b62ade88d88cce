// SPDX-License-Identifier: GPL-3.0-or-later
import Foundation
import XCTest

/// `archsim sensitivity`: one-at-a-time variation and break-even by noise-aware bisection.
final class SensitivityTests: XCTestCase {
    /// An M/M/c scenario: Poisson arrivals, `workers` servers, exponential 1 ms service.
    static func mmc(name: String = "mmc", rate: String = "3500/s", workers: Int = 4, duration: String = "60s",
                    warmup: String = "5s", replications: Int = 3) -> String {
        """
        name: \(name)
        duration: \(duration)
        warmup: \(warmup)
        replications: \(replications)
        workload:
          arrivals: {kind: open, rate: \(rate)}
          requests:
            req: {weight: 1}
        architecture:
          routes: {req: app.op}
          services:
            app:
              workers: \(workers)
              operations:
                op: {cpu: exponential(mean=1ms)}
        """
    }
    static let mmc = mmc()

    /// The mean response of M/M/c: 1/μ + Erlang C wait (ms).
    static func meanResponse(c: Int, lambda: Double, mu: Double) -> Double {
        let a = lambda / mu
        var term = 1.0, sum = 0.0
        for k in 0..<c { if k > 0 { term *= a / Double(k) }; sum += term }
        let last = term * a / Double(c) / (1 - a / Double(c))
        return ((last / (sum + last)) / (Double(c) * mu - lambda) + 1 / mu) * 1000
    }

    /// On M/M/c at 3,500/s with 1 ms exponential service, the break-even number of workers for
    /// a mean-response objective is the smallest c that Erlang C says meets it (±1).
    func testBreakEvenWorkersMatchErlangC() throws {
        let dir = try CLI.temporaryDirectory()
        let file = dir.appendingPathComponent("mmc.yaml").path
        try Self.mmc.write(toFile: file, atomically: true, encoding: .utf8)
        let bound = 1.15
        let analytic = (4...20).first { Self.meanResponse(c: $0, lambda: 3500, mu: 1000) < bound }!
        XCTAssertEqual(analytic, 6)       // c = 5 gives 1.252 ms, c = 6 1.071 ms
        let out = dir.appendingPathComponent("out")
        let r = try CLI.run(["sensitivity", file, "--vary", "architecture.services.app.workers=4..16", "--points", "4",
                             "--verdict", "mean<\(bound)ms", "--out", out.path, "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let row = try CLI.readCSV(out.appendingPathComponent("breakeven.csv"))[0]
        XCTAssertEqual(row["at_low"], "fails")
        XCTAssertEqual(row["at_high"], "holds")
        let holdsAt = Int(row["holds_at"]!)!, failsAt = Int(row["fails_at"]!)!
        XCTAssertLessThanOrEqual(abs(holdsAt - analytic), 1, "break-even \(holdsAt) vs Erlang C \(analytic)")
        XCTAssertEqual(holdsAt - failsAt, 1)
        // Every point run is a row; the grid's means follow Erlang C.
        let points = try CLI.readCSV(out.appendingPathComponent("sensitivity.csv"))
        XCTAssertEqual(points.first?["role"], "base")
        for p in points where p["role"] != "base" {
            let c = Int(p["value"]!)!
            XCTAssertEqual(Double(p["mean_ms"]!)!, Self.meanResponse(c: c, lambda: 3500, mu: 1000), accuracy: 0.1, "c = \(c)")
            XCTAssertEqual(p["verdict"], c >= holdsAt ? "holds" : "fails")
        }
        XCTAssertEqual(Set(points.filter { $0["role"] == "grid" || $0["role"] == "low" || $0["role"] == "high" }.map { $0["value"]! }),
                       ["4", "8", "12", "16"])
    }

    /// A knob on a distribution's numbers interpolates them; outputs without a verdict report ranges.
    func testDistributionKnobAndOutputs() throws {
        let dir = try CLI.temporaryDirectory()
        let file = dir.appendingPathComponent("mmc.yaml").path
        try Self.mmc.write(toFile: file, atomically: true, encoding: .utf8)
        let out = dir.appendingPathComponent("out")
        let r = try CLI.run(["sensitivity", file, "--vary", "architecture.services.app.operations.op.cpu=exponential(mean=0.5ms)..exponential(mean=1.1ms)",
                             "--output", "app:utilization", "--duration", "10s", "--out", out.path])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssert(r.stdout.contains("app:utilization"), r.stdout)
        let points = try CLI.readCSV(out.appendingPathComponent("sensitivity.csv"))
        XCTAssertEqual(points.map { $0["value"]! }, ["", "exponential(mean=0.5ms)", "exponential(mean=0.8ms)", "exponential(mean=1.1ms)"])
        // Utilisation = λ·S / c: 3,500 × 0.8 ms / 4 workers = 0.7.
        XCTAssertEqual(Double(points[2]["app:utilization"]!)!, 0.7, accuracy: 0.02)
        XCTAssertEqual(try CLI.readCSV(out.appendingPathComponent("breakeven.csv"))[0]["breakeven"], "")
    }

    func testBadKnobsAreRefusedBeforeRunning() throws {
        let dir = try CLI.temporaryDirectory()
        let file = dir.appendingPathComponent("mmc.yaml").path
        try Self.mmc.write(toFile: file, atomically: true, encoding: .utf8)
        let out = dir.appendingPathComponent("out")
        for (knob, message) in [("architecture.services.app.workers=4", "LOW..HIGH"),
                                ("architecture.services.app.operations.op.cpu=exponential(mean=1ms)..constant(2ms)", "differ only in their numbers"),
                                ("architecture.services.nope.workers=1..2", "no such key"),
                                ("architecture.services.app.workers=0..4", "workers")] {
            let r = try CLI.run(["sensitivity", file, "--vary", knob, "--out", out.path])
            XCTAssertEqual(r.status, 2, knob)
            XCTAssert(r.stderr.contains(message), "\(knob): \(r.stderr)")
        }
        let r = try CLI.run(["sensitivity", file, "--vary", "architecture.services.app.workers=4..8", "--verdict", "nonsense<1", "--out", out.path])
        XCTAssertEqual(r.status, 2)
        XCTAssert(r.stderr.contains("unknown metric"), r.stderr)
        // A misspelt comparison.csv metric is named, not read as "no data" at every point.
        let typo = try CLI.run(["sensitivity", file, "--vary", "architecture.services.app.workers=4..8", "--verdict", "db_read_rps<5",
                                "--duration", "1s", "--out", out.path])
        XCTAssertEqual(typo.status, 2)
        XCTAssert(typo.stderr.contains("no metric 'db_read_rps'") && typo.stderr.contains("throughput_rps"), typo.stderr)
        let twice = try CLI.run(["sensitivity", file, "--vary", "architecture.services.app.workers=4..8",
                                 "--vary", "architecture.services.app.workers=2..3", "--out", out.path])
        XCTAssertEqual(twice.status, 2)
        XCTAssert(twice.stderr.contains("varied twice"), twice.stderr)
        // capacity searches latency and error bounds only.
        for slo in ["throughput_rps>100", "app:utilization<0.5", "p99>1ms"] {
            let c = try CLI.run(["capacity", file, "--slo", slo, "--out", out.path])
            XCTAssertEqual(c.status, 2, slo)
            XCTAssert(c.stderr.contains("capacity search takes latency or error objectives"), c.stderr)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.path))
    }
}
