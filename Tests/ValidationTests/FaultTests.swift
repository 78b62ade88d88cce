// SPDX-License-Identifier: GPL-3.0-or-later
import XCTest
import ArchSimModel

/// Crashes, health checks, circuit breakers, retries and failover, read off timeseries.csv's rows.
final class FaultTests: XCTestCase {
    static func cluster(instances: Int) -> String {
        """
        version: 1
        duration: 10m
        warmup: 0s
        replications: 2
        workload:
          arrivals: {kind: open, rate: 400/s}
          requests:
            req: {weight: 1}
        architecture:
          load_balancer: {policy: round_robin}
          routes: {req: app.op}
          services:
            app:
              instances: \(instances)
              workers: \(16 / instances)
              health_check: {interval: 5s, unhealthy_after: 2}
              operations:
                op: {cpu: exponential(mean=5ms)}
        faults:
          - at: 5m
            target: app[\(instances > 1 ? 1 : 0)]
            kind: crash
            for: 1m
        """
    }

    /// A crash at 5 m for 1 m on one of four instances: errors only from the crash to the
    /// health check's verdict (probes every 5 s, two failures: by 5m05s), none before or after.
    /// The same crash on a monolith: every request fails for the whole minute, none after.
    func testCrashClusterVersusMonolith() throws {
        let cluster = try ScenarioText.run(Self.cluster(instances: 4))
        for rep in cluster.replications {
            let withErrors = rep.timeseries.filter { $0.errors > 0 }.map { $0.start / 1_000_000_000 }
            XCTAssertFalse(withErrors.isEmpty, "the crash costs some requests")
            XCTAssert(withErrors.allSatisfy { (300...305).contains($0) }, "errors only in [300 s, 305 s]: \(withErrors)")
            // About a quarter of the arrivals in the detection window fail.
            let lost = rep.timeseries.reduce(0) { $0 + $1.errors }
            XCTAssertEqual(Double(lost), 400 * 5 / 4, accuracy: 120)
        }
        let monolith = try ScenarioText.run(Self.cluster(instances: 1))
        for rep in monolith.replications {
            for w in rep.timeseries {
                let t = w.start / 1_000_000_000
                if (300..<360).contains(t) {
                    XCTAssertEqual(w.completed, 0, "monolith down at \(t) s")
                    // Every arrival fails; at 300 s also the requests in service at the crash.
                    if t == 300 { XCTAssertGreaterThanOrEqual(w.errors, w.arrivals) } else { XCTAssertEqual(w.errors, w.arrivals) }
                } else {
                    XCTAssertEqual(w.errors, 0, "no errors at \(t) s")
                }
            }
        }
    }

    /// A circuit breaker opens under sustained downstream failure and closes after recovery.
    func testCircuitBreakerOpensAndCloses() throws {
        let r = try ScenarioText.run("""
        version: 1
        duration: 200s
        warmup: 0s
        replications: 1
        workload:
          arrivals: {kind: open, rate: 100/s}
          requests:
            req: {weight: 1}
        architecture:
          routes: {req: front.op}
          services:
            front:
              workers: 50
              operations:
                op:
                  cpu: constant(1ms)
                  steps:
                    - call: back.op
                      circuit_breaker: {error_rate: 50%, window: 10s, min_calls: 20, open_for: 5s}
            back:
              workers: 10
              operations:
                op: {cpu: exponential(mean=2ms)}
        faults:
          - {at: 60s, target: "back[0]", kind: crash, for: 60s}
        """)
        let rows = r.replications[0].timeseries
        func open(at t: Int64) -> Int { rows.first { $0.start / 1_000_000_000 == t }!.breakersOpen }
        XCTAssert((0..<60).allSatisfy { open(at: $0) == 0 }, "closed before the crash")
        XCTAssert((62..<120).contains { open(at: $0) == 1 }, "open during the crash")
        XCTAssert((127..<200).allSatisfy { open(at: $0) == 0 }, "closed again after recovery")
        XCTAssert((127..<200).allSatisfy { t in rows.first { $0.start / 1_000_000_000 == t }!.errors == 0 })
    }

    /// Retries multiply the load on a failing tier: under rejection the downstream sees more
    /// attempts than requests (a retry storm emerges from the model, it is not added).
    func testRetriesAmplifyLoad() throws {
        func run(retries: Int) throws -> ScenarioResult {
            try ScenarioText.run("""
            version: 1
            duration: 60s
            warmup: 5s
            workload:
              arrivals: {kind: open, rate: 1000/s}
              requests:
                req: {weight: 1}
            architecture:
              routes: {req: front.op}
              services:
                front:
                  workers: 2000
                  operations:
                    op:
                      steps:
                        - call: back.op
                          retries: {count: \(retries), backoff: exponential(mean=10ms)}
                back:
                  workers: 1
                  queue: 5
                  operations:
                    op: {cpu: exponential(mean=1.25ms)}
            """)
        }
        let plain = try run(retries: 0), retried = try run(retries: 3)
        let backPlain = plain.components[1], backRetried = retried.components[1]
        // Attempts reaching back = served + rejected.
        let attemptsPlain = backPlain.throughput * 60 + backPlain.rejected!
        let attemptsRetried = backRetried.throughput * 60 + backRetried.rejected!
        XCTAssertGreaterThan(attemptsRetried, attemptsPlain * 1.2, "retries add attempts")
        XCTAssertGreaterThan(retried.replications[0].timeseries.reduce(0) { $0 + $1.retries }, 1000)
        XCTAssertLessThan(retried.summary.last!.errors, plain.summary.last!.errors, "some retries succeed")
    }

    /// A call timeout answers the caller at the timeout; the callee's work goes on.
    func testCallTimeout() throws {
        let r = try ScenarioText.run("""
        version: 1
        duration: 60s
        workload:
          arrivals: {kind: open, rate: 50/s}
          requests:
            req: {weight: 1}
        architecture:
          routes: {req: front.op}
          services:
            front:
              workers: 100
              operations:
                op:
                  steps:
                    - call: back.op
                      timeout: 20ms
            back:
              workers: 100
              operations:
                op: {cpu: constant(30ms)}
        """)
        XCTAssertEqual(r.summary.last!.completed, 0)
        XCTAssertEqual(r.summary.last!.timeouts, r.summary.last!.offered, accuracy: 1)
        XCTAssertEqual(r.components[1].throughput, 50, accuracy: 2, "back still does the work")
    }

    /// A call timeout scheduled for a finished call must not fail a later call that reuses the
    /// task's slot (regression: 682 of 20,112 requests failed here before the fix).
    func testStaleCallTimeoutsAreIgnored() throws {
        let r = try ScenarioText.run("""
        version: 1
        duration: 20s
        workload:
          arrivals: {kind: open, rate: 1000/s}
          requests:
            req: {weight: 1}
        architecture:
          routes: {req: front.op}
          services:
            front:
              workers: 100
              operations:
                op:
                  steps:
                    - call: back.op
                      timeout: 1s
            back:
              workers: 100
              operations:
                op: {cpu: exponential(mean=1ms)}
        """)
        XCTAssertEqual(r.summary.last!.errors, 0)
        XCTAssertEqual(r.summary.last!.completed, r.summary.last!.offered, accuracy: 5)
    }

    static func primaryCrash(failover: String) -> String {
        """
        version: 1
        duration: 120s
        warmup: 0s
        replications: 2
        workload:
          arrivals: {kind: open, rate: 200/s}
          keys:
            k: {count: 100, popularity: uniform}
          requests:
            read: {weight: 1, key: k}
            write: {weight: 1, key: k}
        architecture:
          routes: {read: app.read, write: app.write}
          services:
            app:
              workers: 200
              operations:
                read:
                  steps:
                    - db_read: main
                write:
                  steps:
                    - db_write: main
          databases:
            main:
              primary: {connections: 20, read: constant(1ms), write: constant(2ms)}
              replicas: {count: 2, connections: 20, read: constant(1ms), apply: constant(1ms)}
              replication_lag: constant(200ms)
              \(failover)
        faults:
          - {at: 30s, target: main.primary, kind: crash, for: 60s}
        """
    }

    /// A primary crash stops writes for its duration; with failover a replica is promoted after
    /// the delay, writes resume, and the writes it had not received are counted as lost.
    func testPrimaryCrashAndFailover() throws {
        let none = try ScenarioText.run(Self.primaryCrash(failover: ""))
        for rep in none.replications {
            let writeErrors = rep.types[1].failed
            XCTAssertEqual(Double(writeErrors), 100 * 60, accuracy: 300, "writes fail for the whole crash")
            XCTAssertEqual(rep.types[0].errors, 0, "reads from replicas go on")
        }
        let promoted = try ScenarioText.run(Self.primaryCrash(failover: "failover: {after: 5s}"))
        for rep in promoted.replications {
            XCTAssertEqual(Double(rep.types[1].failed), 100 * 5, accuracy: 100, "writes fail only until the promotion")
            // Writes committed in the last 200 ms before the crash never reached a replica.
            XCTAssertEqual(Double(rep.databases[0].lostWrites), 100 * 0.2, accuracy: 12)
            let errors = rep.timeseries.filter { $0.errors > 0 }.map { $0.start / 1_000_000_000 }
            XCTAssert(errors.allSatisfy { (30...35).contains($0) }, "errors only from 30 s to 35 s: \(errors)")
        }
        XCTAssertNotNil(promoted.components.first { $0.component == "main.primary" }!.lostWrites)
    }

    /// A cache node crash empties it: its keys miss until refilled.
    func testCacheNodeCrashEmptiesNode() throws {
        let yaml = """
        version: 1
        duration: 120s
        warmup: 0s
        window: 10s
        workload:
          arrivals: {kind: open, rate: 1000/s}
          keys:
            k: {count: 1000, popularity: uniform}
          requests:
            get: {weight: 1, key: k}
        architecture:
          routes: {get: app.get}
          services:
            app:
              workers: 200
              operations:
                get:
                  steps:
                    - cache_get: c
                      on_miss:
                        - db_read: main
                        - cache_set: c
          caches:
            c: {nodes: 2, capacity: 2000, latency: constant(100us)}
          databases:
            main:
              primary: {connections: 100, read: constant(1ms), write: constant(1ms)}
        faults:
          - {at: 60s, target: "c[0]", kind: crash, for: 10s}
        """
        let r = try ScenarioText.run(yaml)
        // After warming, everything fits: the DB sees almost nothing until the crash empties half.
        let dbServed = r.replications[0].databases[0].servers[0].served
        // Misses: the first fill (1,000 keys) + the crashed node's keys refilled (≈ 500) + misses
        // while it was down (1,000/s × ½ × 10 s).
        XCTAssertEqual(Double(dbServed), 1000 + 500 + 5000, accuracy: 400)
    }
}
