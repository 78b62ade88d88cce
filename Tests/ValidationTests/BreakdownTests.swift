// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimModel
import ArchSimReport
import ArchSimScenario
import Foundation
import XCTest

/// `--breakdown`: each answered request's time split along its critical path by cause.
final class BreakdownTests: XCTestCase {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// A front service (one worker, `io: async`, exponential 1 ms CPU: M/M/1 at ρ = 0.5) calls a
    /// back service that waits 5 ms outside and reads a database with one connection (constant
    /// 1 ms: M/D/1 at ρ = 0.5; its arrivals are the front's Poisson departures shifted by
    /// constants), over 0.5 ms hops. Known split: worker queue ρ/(μ − λ) = 1 ms, CPU 1 ms, network
    /// 4 hops = 2 ms, external 5 ms, database queue ρ/(2μ(1 − ρ)) = 0.5 ms, query 1 ms.
    static let twoTier = """
        name: two-tier
        duration: 200s
        warmup: 10s
        replications: 3
        workload:
          arrivals: {kind: open, rate: 500/s}
          requests:
            req: {weight: 1}
        architecture:
          network: {hop: constant(0.5ms)}
          routes: {req: front.op}
          services:
            front:
              workers: 1
              io: async
              operations:
                op:
                  cpu: exponential(mean=1ms)
                  steps:
                    - call: back.op
            back:
              workers: 1000
              operations:
                op:
                  steps:
                    - delay: constant(5ms)
                    - db_read: main
          databases:
            main:
              primary: {connections: 1, read: constant(1ms), write: constant(1ms)}
        """

    func run(_ s: Scenario, breakdown: Bool = true) throws -> ScenarioResult {
        var s = s
        s.recordsBreakdown = breakdown
        return try Runner.run(s, jobs: 2)
    }

    func ms(_ row: BreakdownRow, _ c: Cause) -> Double { row.ms[c.rawValue] }

    func testTwoTierSplitIsTheTheory() throws {
        let r = try run(ScenarioText.load(Self.twoTier))
        let mean = try XCTUnwrap(r.breakdown.first { $0.requestType == "all" && $0.split == "mean" })
        let tail = try XCTUnwrap(r.breakdown.first { $0.requestType == "all" && $0.split == "tail" })
        // Constants are exact; queues within their noise (3 × 200 s at 500/s).
        XCTAssertEqual(ms(mean, .network), 2, accuracy: 1e-9)
        XCTAssertEqual(ms(mean, .external), 5, accuracy: 1e-9)
        XCTAssertEqual(ms(mean, .query), 1, accuracy: 1e-9)
        XCTAssertEqual(ms(mean, .cpu), 1, accuracy: 0.02)
        XCTAssertEqual(ms(mean, .workerQueue), 1, accuracy: 0.06)
        XCTAssertEqual(ms(mean, .dbQueue), 0.5, accuracy: 0.03)
        for c in [Cause.cpuContention, .cache, .poolWait, .lockWait, .disk, .commitFlush, .retries] {
            XCTAssertEqual(ms(mean, c), 0, "\(c)")
            XCTAssertEqual(ms(tail, c), 0, "\(c)")
        }
        // The causes sum to the response time the summary measured (a separate path).
        let summary = try XCTUnwrap(r.summary.last)
        XCTAssertEqual(mean.responseMs, summary.meanMs, accuracy: 1e-9 * summary.meanMs)
        // The tail: the slowest 1% (and the rest of the p99's bucket, an eighth of an octave):
        // constants as ever, the queues behind it.
        XCTAssertEqual(ms(tail, .network), 2, accuracy: 1e-9)
        XCTAssertEqual(ms(tail, .external), 5, accuracy: 1e-9)
        XCTAssertGreaterThan(ms(tail, .workerQueue), 4 * ms(mean, .workerQueue))
        XCTAssertGreaterThanOrEqual(tail.responseMs, summary.p99Ms * 0.9)
        XCTAssertEqual(tail.requests, (mean.requests * 0.01).rounded(.up), accuracy: 1)
    }

    /// A parallel step takes its slowest branch: a 2 ms wait beside a call (a 0.5 ms hop, 5 ms
    /// outside, a hop back) is 5 ms external and 1 ms network, nothing of the 2 ms. A buffer-pool
    /// miss with unbounded disks off a host is disk time, the execution after it query time; a
    /// slow host's stretched CPU work is CPU, not contention.
    func testParallelBranchesMissesAndSlowHosts() throws {
        let r = try run(ScenarioText.load("""
            name: branches
            duration: 20s
            warmup: 1s
            replications: 2
            workload:
              arrivals: {kind: open, rate: 100/s}
              keys:
                rows: {count: 1000000}
              requests:
                req: {weight: 1, key: rows}
            architecture:
              network: {hop: constant(0.5ms)}
              hosts:
                box: {cores: 64}
              routes: {req: front.op}
              services:
                front:
                  workers: 1000
                  host: box
                  operations:
                    op:
                      cpu: constant(1ms)
                      steps:
                        - parallel:
                            - delay: constant(2ms)
                            - call: back.op
                        - db_read: main
                back:
                  workers: 1000
                  operations:
                    op:
                      steps:
                        - delay: constant(5ms)
              databases:
                main:
                  primary:
                    connections: 1000
                    read: constant(1ms)
                    write: constant(1ms)
                    buffer_pool: {capacity: 10, miss: constant(3ms)}
            faults:
              - at: 0s
                target: box[0]
                kind: slow
                factor: 2
            """))
        let mean = try XCTUnwrap(r.breakdown.first { $0.requestType == "all" && $0.split == "mean" })
        XCTAssertEqual(ms(mean, .external), 5, accuracy: 1e-9)
        // Two hops of the call, two of the query.
        XCTAssertEqual(ms(mean, .network), 2, accuracy: 1e-9)
        // 1,000,000 keys, 10 rows in the pool: nearly every read misses (3 ms on disk, 1 ms query).
        XCTAssertEqual(ms(mean, .disk), 3, accuracy: 0.01)
        XCTAssertEqual(ms(mean, .query), 1, accuracy: 1e-6)
        // The slowed machine doubles the CPU work; with 64 cores at 100/s nothing waits for one.
        XCTAssertEqual(ms(mean, .cpu), 2, accuracy: 1e-3)
        XCTAssertEqual(ms(mean, .cpuContention), 0, accuracy: 1e-3)
        XCTAssertEqual(mean.responseMs, try XCTUnwrap(r.summary.last).meanMs, accuracy: 1e-9)
    }

    /// The tail is the slowest 1% even when latencies cluster in one bucket: with constant times
    /// and no queueing every request takes the same time, and the tail is the mean.
    func testTailIsOnePercentWhenLatenciesCluster() throws {
        let r = try run(ScenarioText.load("""
            name: constant
            duration: 20s
            warmup: 1s
            replications: 2
            workload:
              arrivals: {kind: open, rate: 100/s}
              requests:
                req: {weight: 1}
            architecture:
              routes: {req: app.op}
              services:
                app:
                  workers: 1000
                  operations:
                    op: {cpu: constant(3ms)}
            """))
        let mean = try XCTUnwrap(r.breakdown.first { $0.requestType == "all" && $0.split == "mean" })
        let tail = try XCTUnwrap(r.breakdown.first { $0.requestType == "all" && $0.split == "tail" })
        XCTAssertEqual(tail.requests, (mean.requests * 0.01).rounded(.up), accuracy: 1)
        XCTAssertEqual(tail.responseMs, 3, accuracy: 1e-9)
        XCTAssertEqual(mean.responseMs, 3, accuracy: 1e-9)
    }

    /// In bundled scenarios that use every mechanism — hosts, processor sharing, pools, caches
    /// with node queues, buffer pools, disks, group commit, row locks, shards, parallel steps,
    /// timeouts and retries — each type's mean split adds up to the summary's mean response, and
    /// recording it changes nothing else.
    func testCausesAddUpInBundledScenarios() throws {
        for (file, duration) in [("scenarios/evolution/06-optimized.yaml", "5s"), ("scenarios/claims/hot-row.yaml", "1s"),
                                 ("scenarios/claims/metastable-retry-storm-breaker.yaml", "150s"),
                                 ("scenarios/evolution/01-monolith.yaml", "5s")] {
            var s = try ScenarioLoader.load(path: Self.repository.appendingPathComponent(file).path)
            s.duration = try ScenarioValues.duration(duration)
            s.warmup = min(s.warmup, try ScenarioValues.duration("10s"))
            s.replications = 2
            let with = try run(s), without = try run(s, breakdown: false)
            for f in ["summary", "components", "timeseries"] {
                let a = f == "summary" ? ResultFiles.summary(with) : f == "components" ? ResultFiles.components(with) : ResultFiles.timeseries(with)
                let b = f == "summary" ? ResultFiles.summary(without) : f == "components" ? ResultFiles.components(without) : ResultFiles.timeseries(without)
                XCTAssertEqual(a.text, b.text, "\(file): --breakdown changed \(f).csv")
            }
            let rows = with.breakdown.filter { $0.split == "mean" }
            XCTAssertEqual(rows.map(\.requestType), with.summary.filter { $0.completed > 0 }.map(\.requestType), file)
            for row in rows {
                let summary = try XCTUnwrap(with.summary.first { $0.requestType == row.requestType })
                XCTAssertEqual(row.responseMs, summary.meanMs, accuracy: 1e-9 * max(1, summary.meanMs), "\(file) \(row.requestType)")
                XCTAssertTrue(row.ms.allSatisfy { $0 >= 0 }, "\(file) \(row.requestType): \(row.ms)")
            }
            let all = try XCTUnwrap(with.breakdown.first { $0.requestType == "all" && $0.split == "mean" })
            if file.contains("retry-storm") { XCTAssertGreaterThan(ms(all, .retries), 0, file) }
            if file.contains("06-optimized") {
                for c in [Cause.cache, .disk, .network, .cpu] { XCTAssertGreaterThan(ms(all, c), 0, "\(file) \(c)") }
            }
            if file.contains("hot-row") { XCTAssertGreaterThan(ms(all, .lockWait), 0, file) }
        }
    }
}
