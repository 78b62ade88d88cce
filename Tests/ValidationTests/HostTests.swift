// SPDX-License-Identifier: GPL-3.0-or-later
import XCTest
import ArchSimModel

/// Hosts (format 1.1): co-located components share a machine's cores; a machine's crash takes
/// down everything on it.
final class HostTests: XCTestCase {
    /// A service and its database on one host of 1 core, workers and connections unbounded: one
    /// processor-sharing station visited twice (BCMP): mean response (S1 + S2) / (1 − ρ),
    /// ρ = λ (S1 + S2). S1 = 1 ms (exponential CPU), S2 = 0.5 ms (exponential read), λ = 400/s:
    /// ρ = 0.6, 3.75 ms. Tolerance 4%; the host's utilization is ρ within 0.01, the service's
    /// CPU utilization λ S1.
    func testServiceAndDatabaseOnOneCoreAreOnePSStation() throws {
        let r = try ScenarioText.run(Self.scenario(rate: 400, seconds: 400))
        let mean = 1.5 / (1 - 0.6)
        XCTAssertEqual(r.summary.last!.meanMs, mean, accuracy: mean * 0.04, "BCMP (S1 + S2)/(1 − ρ)")
        let host = r.components.first { $0.kind == "host" }!
        XCTAssertEqual(host.component, "box")
        XCTAssertEqual(host.utilization!, 0.6, accuracy: 0.01)
        XCTAssertEqual(host.cpuUtilization!, 0.6, accuracy: 0.01)
        XCTAssertEqual(r.components.first { $0.component == "app" }!.cpuUtilization!, 0.4, accuracy: 0.01)
        // Apart, on machines of their own, the same service and database do not slow each other:
        // M/M/1 at 0.4 plus M/M/1 at 0.2.
        let apart = try ScenarioText.run(Self.scenario(rate: 400, seconds: 400, databaseHost: "other"))
        let separate = 1 / (1 - 0.4) + 0.5 / (1 - 0.2)
        XCTAssertEqual(apart.summary.last!.meanMs, separate, accuracy: separate * 0.04)
    }

    /// Background CPU on a host (`background: 0.25` of its 1 core): the model's work gets the other
    /// 0.75, so S1 and S2 each take 4/3 as long. λ = 300/s: ρ = 300 × 1.5 ms × 4/3 = 0.6, mean
    /// response (4/3)(S1 + S2)/(1 − ρ) = 5.0 ms (against 2.68 ms without the background at this
    /// rate). Tolerance 4%. The analytic model (`archsim analyze`) applies the same stretch.
    func testBackgroundWorkTakesItsShareOfTheHost() throws {
        let text = Self.scenario(rate: 300, seconds: 400).replacingOccurrences(of: "box: {cores: 1}", with: "box: {cores: 1, background: 0.25}")
        let r = try ScenarioText.run(text)
        let mean = 4.0 / 3 * 1.5 / (1 - 0.6)
        XCTAssertEqual(r.summary.last!.meanMs, mean, accuracy: mean * 0.04, "(4/3)(S1 + S2)/(1 − ρ)")
        // The model's own work keeps the core 0.6 busy (background not counted).
        XCTAssertEqual(r.components.first { $0.kind == "host" }!.utilization!, 0.6, accuracy: 0.01)
        let scenario = try ScenarioText.load(text)
        XCTAssertEqual(scenario.architecture.hosts[0].background, 0.25)
        let analytic = try XCTUnwrap(OperationalAnalysis(scenario).stations.first { $0.kind == .host })
        XCTAssertEqual(analytic.demand, 1.5e-3 * 4 / 3, accuracy: 1e-9)
    }

    static func scenario(rate: Int, seconds: Int, databaseHost: String = "box", extra: String = "") -> String {
        """
        version: 1
        duration: \(seconds)s
        warmup: 10s
        replications: 2
        workload:
          arrivals: {kind: open, rate: \(rate)/s}
          requests:
            req: {weight: 1}
        architecture:
          hosts:
            box: {cores: 1}
            other: {cores: 1}
          routes: {req: app.op}
          services:
            app:
              host: box
              workers: 100000
              operations:
                op: {cpu: exponential(mean=1ms), steps: [{db_read: main}]}
          databases:
            main:
              primary: {host: \(databaseHost), connections: 100000, read: exponential(mean=0.5ms), write: exponential(mean=2ms)}
        \(extra)
        """
    }

    /// A machine crash, exactly: two web machines, an instance on each, a request every 1 ms
    /// (constant arrivals, round robin), web[0] down for the whole run and the health check too
    /// slow to notice. The crash took app[0] down: every other request fails. With
    /// `retry_failed: 1` a request that reached app[0] goes on to app[1] — and the retry takes
    /// round robin's next turn, so every request now reaches app[0] first: 10,000 retries, none
    /// fails. With the database's primary on web[0] too, the crash took it down as well: every
    /// request fails.
    func testMachineCrashTakesDownWhatRunsOnIt() throws {
        func run(retry: Int, databaseHost: String) throws -> ScenarioResult {
            try ScenarioText.run(Self.web(seconds: 10, retry: retry, databaseHost: databaseHost,
                                          faults: ["{at: 0s, target: \"web[0]\", kind: crash}"]))
        }
        let plain = try run(retry: 0, databaseHost: "db")
        XCTAssertEqual(plain.summary.last!.offered, 10_000)
        XCTAssertEqual(plain.summary.last!.failed, 5000, "every request sent to app[0]")
        let retried = try run(retry: 1, databaseHost: "db")
        XCTAssertEqual(retried.summary.last!.failed, 0)
        XCTAssertEqual(retried.replications[0].timeseries.map(\.retries).reduce(0, +), 10_000)
        // web[1] ran all of it: 1,000 requests/s × 100 us on 2 cores of the 4 the host has.
        let web = retried.components.first { $0.component == "web" }!
        XCTAssertEqual(web.utilization!, 1000 * 100e-6 / 4, accuracy: 0.001)
        let both = try run(retry: 1, databaseHost: "web")
        XCTAssertEqual(both.summary.last!.completed, 0, "the primary was on web[0] too")
        XCTAssertEqual(both.summary.last!.failed + Double(both.replications[0].measuredInFlightAtEnd), 10_000)
    }

    /// A replica on a host: its reads and its apply work are the machine's CPU work. Reads
    /// 200/s × 1 ms and applied writes 100/s × 2 ms keep a 1-core machine 40% busy.
    func testReplicaApplyWorkIsHostCPU() throws {
        let r = try ScenarioText.run("""
        version: 1
        duration: 200s
        warmup: 10s
        replications: 2
        workload:
          arrivals: {kind: open, rate: 300/s}
          keys:
            k: {count: 1000}
          requests:
            read: {weight: 2, key: k}
            write: {weight: 1, key: k}
        architecture:
          hosts:
            box: {cores: 1}
          routes: {read: app.read, write: app.write}
          services:
            app:
              workers: 100000
              operations:
                read: {steps: [{db_read: main}]}
                write: {steps: [{db_write: main}]}
          databases:
            main:
              primary: {connections: 1000, read: constant(1ms), write: constant(1ms)}
              replicas: {count: 1, connections: 1000, read: constant(1ms), apply: constant(2ms)}
              replication_lag: constant(1ms)
        """.replacingOccurrences(of: "replicas: {count: 1,", with: "replicas: {count: 1, host: box,"))
        XCTAssertEqual(r.components.first { $0.kind == "host" }!.utilization!, 0.4, accuracy: 0.01)
        let replica = r.components.first { $0.component == "main.replica[0]" }!
        XCTAssertEqual(replica.throughput, 200, accuracy: 4)
        XCTAssertNotNil(replica.replicationLagP99Ms)
        XCTAssertEqual(r.replications.map { $0.databases[0].servers[1].orderViolations }, [0, 0])
    }

    /// An instance crash on a machine it shares with its database: its queries at the database
    /// (which did not crash) go on and give their connection and row lock back — the writes of
    /// the rows keep flowing after the instance is back, nothing is left waiting. (About 5 of
    /// app[0]'s writes are executing when it crashes.)
    func testInstanceCrashBesideItsDatabaseLeaksNothing() throws {
        let r = try ScenarioText.run("""
        version: 1
        duration: 40s
        window: 1s
        workload:
          arrivals: {kind: open, rate: 500/s}
          keys:
            k: {count: 100}
          requests:
            req: {key: k}
        architecture:
          hosts:
            box: {cores: 32}
          routes: {req: app.op}
          services:
            app:
              instances: 2
              workers: 50
              host: box
              health_check: {interval: 1s, unhealthy_after: 1}
              operations:
                op: {cpu: constant(100us), steps: [{db_write: db, lock: row}]}
          databases:
            db:
              primary: {host: box, connections: 100, read: constant(1ms), write: constant(20ms)}
        faults:
          - {at: 10s, target: "app[0]", kind: crash, for: 5s}
        """)
        let late = r.replications[0].timeseries.filter { $0.start >= 25_000_000_000 }
        XCTAssert(late.allSatisfy { $0.errors == 0 && $0.inFlight < 50 }, "late windows: \(late.map { ($0.errors, $0.inFlight) })")
        XCTAssertEqual(Double(late.map(\.completed).reduce(0, +)), 500 * 15, accuracy: 500 * 15 * 0.05)
    }

    /// A buffer-pool miss is a wait, not CPU work, also with unbounded disks: every read misses
    /// (10 ms) but only its 1 ms read loads the 1-core machine: 100/s → 10% busy.
    func testMissesUseNoHostCPU() throws {
        let r = try ScenarioText.run("""
        version: 1
        duration: 100s
        workload:
          arrivals: {kind: open, rate: 100/s}
          keys:
            k: {count: 1000000}
          requests:
            req: {key: k}
        architecture:
          hosts:
            box: {cores: 1}
          routes: {req: app.op}
          services:
            app:
              workers: 1000
              operations:
                op: {steps: [{db_read: db}]}
          databases:
            db:
              primary:
                host: box
                connections: 1000
                read: constant(1ms)
                write: constant(1ms)
                buffer_pool: {capacity: 1, miss: constant(10ms)}
        """)
        XCTAssertEqual(r.components.first { $0.kind == "host" }!.utilization!, 0.1, accuracy: 0.005)
        // 10 ms of miss, then the read on a processor-sharing core 10% busy: 1 / (1 − 0.1) ms.
        XCTAssertEqual(r.summary.last!.meanMs, 10 + 1 / 0.9, accuracy: 0.05)
    }

    /// Overlapping crash faults: app[0] down from 1 s to 11 s, its machine from 2 s to 3 s. The
    /// machine coming back does not bring app[0] back early: from 3 s to 11 s every other request
    /// (round robin over two instances, health check too slow to notice) still fails.
    func testMachineRecoveryKeepsAComponentItsOwnFaultHoldsDown() throws {
        let r = try ScenarioText.run(Self.web(seconds: 20, faults: ["{at: 1s, target: \"app[0]\", kind: crash, for: 10s}",
                                                                  "{at: 2s, target: \"web[0]\", kind: crash, for: 1s}"]))
        let windows = r.replications[0].timeseries
        let held = windows.filter { $0.start >= 4_000_000_000 && $0.start < 11_000_000_000 }
        XCTAssert(held.allSatisfy { $0.errors == 500 }, "\(held.map(\.errors))")
        let after = windows.filter { $0.start >= 12_000_000_000 }
        XCTAssert(after.allSatisfy { $0.errors == 0 })
    }

    /// Two web machines, an instance of `app` on each (round robin, a health check too slow to
    /// notice anything), a request every 1 ms; with `databaseHost`, each request also reads from
    /// a primary on that host (`db` is a machine of its own).
    static func web(seconds: Int, retry: Int = 0, databaseHost: String? = nil, faults: [String]) -> String {
        """
        version: 1
        duration: \(seconds)s
        workload:
          arrivals: {kind: open, process: constant, rate: 1000/s}
          requests:
            req: {weight: 1}
        architecture:
          load_balancer: {policy: round_robin, retry_failed: \(retry)}
          hosts:
            web: {cores: 2, count: 2}
            db: {cores: 4}
          routes: {req: app.op}
          services:
            app:
              instances: 2
              workers: 10
              host: web
              health_check: {interval: 1h, unhealthy_after: 2}
              operations:
                op: {cpu: constant(100us)\(databaseHost == nil ? "" : ", steps: [{db_read: main}]")}
        \(databaseHost.map { """
          databases:
            main:
              primary: {host: \($0), connections: 10, read: constant(100us), write: constant(100us)}
        """ } ?? "")
        faults:
        \(faults.map { "  - " + $0 }.joined(separator: "\n"))
        """
    }

    /// `slow` on a machine multiplies all CPU work on it: the service's and its database's.
    func testSlowMachineStretchesEverythingOnIt() throws {
        let normal = try ScenarioText.run(Self.scenario(rate: 100, seconds: 200))
        let slowed = try ScenarioText.run(Self.scenario(rate: 100, seconds: 200, extra: """
        faults:
          - {at: 0s, target: "box[0]", kind: slow, factor: 2}
        """))
        // ρ = 0.15 → 0.3: (S1 + S2)/(1 − ρ) goes from 1.5/0.85 to 3/0.7 ms.
        XCTAssertEqual(normal.summary.last!.meanMs, 1.5 / 0.85, accuracy: 1.5 / 0.85 * 0.04)
        XCTAssertEqual(slowed.summary.last!.meanMs, 3 / 0.7, accuracy: 3 / 0.7 * 0.04)
    }
}
