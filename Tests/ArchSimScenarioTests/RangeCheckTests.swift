// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimKernel
import ArchSimModel
import ArchSimScenario
import Foundation
import XCTest

/// Values past what the engine can run are refused where they are read, with file, line,
/// column, key path and the bound (issue #15): durations, counts, rates, distribution
/// parameters, weights, fault factors, empirical CSVs; a closed loop that cannot advance the
/// clock; alias bombs; and the reading stays linear in the file.
final class RangeCheckTests: XCTestCase {
    /// `minimal()` with its `duration: 1m` line replaced.
    func withDuration(_ line: String, services: String = "", more: String = "", extra: String = "") -> String {
        minimal(services: services, more: more, extra: extra).replacingOccurrences(of: "duration: 1m", with: line)
    }

    /// A service `s` whose operation has `field` (a YAML line, indented by 8 under the operation).
    func service(_ body: String) -> String {
        """
            s:
              operations:
                op:
        \(body)
        """
    }

    // MARK: Durations

    func testDurationsAreAtMostOneMillionHours() {
        assertOneProblem(withDuration("duration: 2000000h"), "test.yaml:1:11: duration: duration '2000000h' is too long (at most 1000000h)")
        assertOneProblem(minimal(extra: "warmup: 1000001h"), "warmup: duration '1000001h' is too long (at most 1000000h)")
        assertOneProblem(minimal(services: service("          cpu: constant(2000000h)")),
                         "architecture.services.s.operations.op.cpu: in 'constant(2000000h)': value: duration '2000000h' is too long")
        assertOneProblem(minimal(more: """
          databases:
            db:
              primary: {connections: 1, read: 1ms, write: 1ms}
              replicas: 1
              replication_lag: exponential(mean=9000000h)
        """), "architecture.databases.db.replication_lag:", "too long (at most 1000000h)")
    }

    func testDurationAndWarmupTogether() {
        assertOneProblem(withDuration("duration: 600000h", extra: "warmup: 600000h\nwindow: 10000h"),
                         "test.yaml:1:11: duration: duration and warm-up together may be at most 1000000h, got 1200000h")
    }

    func testTimeseriesWindowsAreBounded() {
        assertOneProblem(withDuration("duration: 1000000h"),
                         "test.yaml:1:11: duration: warm-up + duration (1000000h) make 3600000000 timeseries windows of 1s; at most 1,000,000 are kept: set window to at least 3600s")
        assertOneProblem(minimal(extra: "window: 1ns"), "window: warm-up + duration (1m) make 60000000000 timeseries windows of 1ns")
        XCTAssertNoThrow(try load(withDuration("duration: 1000000h", extra: "window: 3600s")))
    }

    func testPositiveDurationsThatRoundToZeroAreRefused() {
        assertOneProblem(minimal(extra: "window: 0.4ns"),
                         "test.yaml:14:9: window: expected a positive duration, got 0.4ns (0.4ns rounds to 0 ns: the clock counts whole nanoseconds)")
        assertOneProblem(minimal(extra: "window: 1e-300s"), "window: expected a positive duration, got 1e-300s")
        assertOneProblem(minimal(services: """
            s:
              autoscale: {min: 1, max: 2, interval: 0.4ns}
              operations: {op: {}}
        """), "architecture.services.s.autoscale.interval: expected a positive duration, got 0.4ns")
        assertOneProblem(minimal(services: """
            s:
              health_check: {interval: 0.1ns}
              operations: {op: {}}
        """), "architecture.services.s.health_check.interval: expected a positive duration")
        assertOneProblem(minimal(services: """
            s:
              health_check: {interval: 1000000h, unhealthy_after: 3}
              operations: {op: {}}
        """), "health_check.unhealthy_after: unhealthy_after 3 probes at intervals of 1000000h take longer than 1000000h")
        XCTAssertNoThrow(try load(minimal(extra: "window: 0.6ns\nwarmup: 0s").replacingOccurrences(of: "duration: 1m", with: "duration: 1ms")))
    }

    // MARK: Counts

    func testCountsHaveUpperBounds() {
        let cases: [(String, String)] = [
            ("      instances: 1e18", "instances: expected a positive integer of at most 100,000, got 1e18"),
            ("      workers: 10000000", "workers: expected a positive integer of at most 1,000,000, got 10000000"),
            ("      cores: 1e9", "cores: expected a positive integer of at most 100,000"),
            ("      queue: 3000000000", "queue: expected 'unbounded' or a non-negative integer of at most 2,147,483,647 (below 2^31)"),
            ("      autoscale: {min: 1, max: 1e18}", "autoscale.max: expected an integer ≥ 1 of at most 100,000, got 1e18"),
        ]
        for (line, message) in cases {
            assertOneProblem(minimal(services: "    s:\n\(line)\n      operations: {op: {}}"), "architecture.services.s.", message)
        }
        assertOneProblem(minimal(extra: "replications: 1e9"), "replications: expected a positive integer of at most 10,000")
        assertOneProblem(minimal(more: "  caches: {c: {nodes: 1e12, capacity: 100}}"),
                         "caches.c.nodes: expected a positive integer of at most 10,000, got 1e12")
        assertOneProblem(minimal(more: "  caches: {c: {capacity: 2147483648}}"),
                         "caches.c.capacity: expected a positive integer of at most 2,147,483,647 (below 2^31), got 2147483648")
        let problems = problems(minimal(more: """
          databases:
            db:
              primary: {connections: 1e7, read: 1ms, write: 1ms}
              replicas: {count: 1000000}
        """))
        XCTAssertEqual(problems.count, 2)
        XCTAssert(problems.contains { $0.description.contains("primary.connections: expected a positive integer of at most 1,000,000") }, "\(problems)")
        XCTAssert(problems.contains { $0.description.contains("replicas.count: expected a non-negative integer of at most 1,000,") }, "\(problems)")
    }

    func testRetriesAndUsersAreBounded() {
        assertOneProblem(minimal(services: """
            s:
              operations:
                op:
                  steps:
                    - {call: app.op, retries: 4294967296}
        """), "retries: expected an integer ≥ 0 of at most 1,000, got 4294967296")
        let closed = scenario(workload: """
              arrivals: {kind: closed, users: 1e9, think: 1s}
              requests:
                req: {weight: 1}
            """, architecture: """
              routes: {req: app.op}
              services:
                app:
                  operations: {op: {cpu: 1ms}}
            """)
        assertOneProblem(closed, "workload.arrivals.users: expected a positive integer of at most 1,000,000, got 1e9")
    }

    func testKeySpacesAreBoundedByPopularity() {
        func keys(_ text: String) -> String {
            scenario(workload: """
                  arrivals: {kind: open, rate: 100/s}
                  keys: {k: \(text)}
                  requests:
                    req: {weight: 1, key: k}
                """, architecture: """
                  routes: {req: app.op}
                  services:
                    app:
                      operations: {op: {cpu: 1ms}}
                """)
        }
        assertOneProblem(keys("{count: 4294967296}"), "workload.keys.k.count: expected a key count of at most 4,294,967,295 (below 2^32 for a uniform key space)")
        XCTAssertNoThrow(try load(keys("{count: 4294967295}")))
        XCTAssertNoThrow(try load(keys("{count: 4294967296, popularity: zipf(s=1)}")))
        assertOneProblem(keys("{count: 2e12, popularity: zipf(s=1)}"), "below 2^40 for a zipf key space")
        assertOneProblem(keys("{count: 10, popularity: zipf(s=1e308)}"), "s must be positive and at most 100")
    }

    // MARK: Rates, weights, parameters, factors

    func testRatesAreBounded() {
        let open = minimal().replacingOccurrences(of: "rate: 100/s", with: "rate: 1e18/s")
        assertOneProblem(open, "workload.arrivals.rate: a rate may be at most 10000000/s, got 1e18/s")
        assertOneProblem(minimal().replacingOccurrences(of: "rate: 100/s", with: "rate: 1e-12/s"),
                         "a positive rate must be at least one per 1000000h")
        let profile = minimal().replacingOccurrences(of: "rate: 100/s", with: "profile: [{at: 0s, rate: 0/s}, {at: 1s, rate: 1e9/s}]")
        assertOneProblem(profile, "workload.arrivals.profile[1].rate: a rate may be at most 10000000/s")
    }

    func testWeightsAreBounded() {
        let yaml = minimal().replacingOccurrences(of: "req: {weight: 1}", with: "req: {weight: 1e308}")
        assertOneProblem(yaml, "workload.requests.req.weight: expected a non-negative number of at most 1e15, got 1e308")
    }

    func testShapesAreBoundedAndHeavyTailsAccepted() {
        assertOneProblem(minimal(services: service("          cpu: weibull(shape=1e16, scale=1ms)")),
                         "shape must be positive and at most 1e15, got 1e16")
        // Tails past 10⁶ h are accepted: the sampler truncates them (Distribution.sample).
        XCTAssertNoThrow(try load(minimal(services: service("          cpu: pareto(shape=0.001, min=1ms)"))))
        XCTAssertNoThrow(try load(minimal(services: service("          cpu: weibull(shape=0.01, scale=1h)"))))
        XCTAssertNoThrow(try load(minimal(services: service("          cpu: normal(mean=1ns, sd=1000000h)"))))
    }

    func testSlowFactorIsFiniteAndBounded() {
        let yaml = minimal(extra: """
        faults:
          - {at: 1s, target: "app[0]", kind: slow, factor: 1e308, for: 1s}
        """)
        assertOneProblem(yaml, "faults[0].factor: expected a positive number of at most 1000000, got 1e308")
    }

    // MARK: A clock that cannot advance

    func closedLoop(think: String, cpu: String, more: String = "", steps: String = "") -> String {
        scenario(workload: """
              arrivals: {kind: closed, users: 10, think: \(think)}
              requests:
                req: {weight: 1}
                other: {weight: 0}
            """, architecture: """
              routes: {req: app.op, other: app.slow}
              services:
                app:
                  operations:
                    op:
                      cpu: \(cpu)
            \(steps)
                    slow: {cpu: 1s}
            \(more)
            """)
    }

    func testClosedLoopThatCannotAdvanceIsRefused() {
        assertOneProblem(closedLoop(think: "constant(0ms)", cpu: "0ms"),
                         "test.yaml:3:", "workload.arrivals.think: closed users whose think time is always 0 need time to pass")
        assertOneProblem(closedLoop(think: "0ms", cpu: "uniform(min=0ms, max=0.4ns)"), "every request type here can be answered in 0 ns")
        // A cache hit takes only the latency: zero here, whatever a miss costs.
        assertOneProblem(closedLoop(think: "0s", cpu: "0s", more: """
              caches: {c: {capacity: 10, latency: 0ms}}
              databases: {db: {primary: {connections: 1, read: 1ms, write: 1ms}}}
            """, steps: """
                      steps:
                        - cache_get: c
                          on_miss: [{db_read: db}]
            """), "can be answered in 0 ns")
        // Through a call: the callee is zero too.
        assertOneProblem(closedLoop(think: "0s", cpu: "0s", steps: """
                      steps: [{call: app.zero}]
                    zero: {cpu: 0s}
            """), "can be answered in 0 ns")
    }

    func testClosedLoopThatAdvancesIsAccepted() {
        XCTAssertNoThrow(try load(closedLoop(think: "exponential(mean=1ms)", cpu: "0ms")))
        XCTAssertNoThrow(try load(closedLoop(think: "0ms", cpu: "exponential(mean=1ms)")))
        XCTAssertNoThrow(try load(closedLoop(think: "0ms", cpu: "0ms", steps: """
                      steps: [{call: app.slow}]
            """)))
        XCTAssertNoThrow(try load(closedLoop(think: "0ms", cpu: "0ms", steps: """
                      steps: [{call: app.zero}]
                    zero: {cpu: 0s}
            """).replacingOccurrences(of: "  routes:", with: "  network: {hop: constant(1us)}\n  routes:")))
    }

    // MARK: YAML size and messages

    func testAliasBombIsRefusedQuickly() {
        var yaml = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
        for level in 1...9 {
            yaml += "a\(level): &a\(level) [" + Array(repeating: "*a\(level - 1)", count: 10).joined(separator: ", ") + "]\n"
        }
        let start = Date()
        let found = problems(yaml + minimal())
        XCTAssertLessThan(Date().timeIntervalSince(start), 10)
        XCTAssertEqual(found.count, 1)
        XCTAssertEqual(found.first?.line, 1)
        XCTAssert(found.first?.message.contains("YAML aliases (*name) expand this scenario file past 1,00") == true, "\(found)")
        // Aliases that expand a little are fine.
        XCTAssertNoThrow(try load(minimal(services: """
            s: &s
              operations: {op: {cpu: 1ms}}
            t: *s
        """)))
    }

    func testEmptyAndNonUTF8FilesHavePositions() throws {
        let empty = problems("")
        XCTAssertEqual(empty.map(\.description), ["test.yaml:1:1: empty scenario file"])
        let dir = try temporaryDirectory(self)
        let path = dir + "/bad.yaml"
        try Data("duration: 1m\nname: ab\u{e9}".utf8.dropLast(1)).write(to: URL(fileURLWithPath: path))
        do {
            _ = try ScenarioLoader.load(path: path)
            XCTFail("loaded a file that is not UTF-8")
        } catch let errors as ScenarioErrors {
            XCTAssertEqual(errors.description, "\(path):2:9: scenario file is not UTF-8 text")
        }
    }

    func testMessagesQuoteShortExcerpts() {
        let long = String(repeating: "x", count: 10_000)
        for yaml in [withDuration("duration: 1\(long)"), minimal(services: service("          cpu: \(long)(mean=1ms)")),
                     minimal(extra: "\(long): 1")] {
            for problem in problems(yaml) {
                XCTAssertLessThan(problem.description.count, 400, problem.description)
            }
        }
    }

    // MARK: Reading stays linear

    /// Times loading generated files whose reading used to be quadratic (issue #15: 50,000
    /// unknown keys took 8.8 s, 100,000 services 31 s); each now takes well under the bound.
    func testLargeFilesReadInLinearTime() {
        func timed(_ yaml: String) -> TimeInterval {
            let start = Date()
            _ = try? load(yaml)
            return Date().timeIntervalSince(start)
        }
        let unknownKeys = (0..<50_000).map { "    k\($0): 1" }.joined(separator: "\n")
        XCTAssertLessThan(timed(minimal(services: "    s:\n\(unknownKeys)\n      operations: {op: {}}")), 10)
        var services = "", routes = "", requests = ""
        for i in 0..<20_000 {
            services += "    s\(i): {operations: {op: {cpu: 1ms, steps: [{call: s\(i + 1).op}]}}}\n"
            routes += "    r\(i): s\(i).op\n"
            requests += "    r\(i): {weight: 1}\n"
        }
        services += "    s20000: {operations: {op: {cpu: 1ms}}}\n"
        let yaml = "duration: 1m\nworkload:\n  arrivals: {kind: open, rate: 100/s}\n  requests:\n\(requests)"
            + "architecture:\n  routes:\n\(routes)  services:\n\(services)"
        XCTAssertNoThrow(try load(yaml), "a call chain 20,000 deep is checked without recursion")
        XCTAssertLessThan(timed(yaml), 10)
    }

    // MARK: Sweeps on the command line

    func testSweepGridRefusesEmptyValuesAndRepeatedKeys() {
        XCTAssertEqual(ScenarioOverride.splitValues("1,,2"), ["1", "", "2"])
        XCTAssertEqual(ScenarioOverride.splitValues("uniform(min=1ms, max=3ms),2ms"), ["uniform(min=1ms, max=3ms)", "2ms"])
        func refused(_ axes: [(key: String, values: [String])]) -> [String] {
            do {
                _ = try SweepLoader.grid(scenarioPath: "/nonexistent.yaml", axes: axes)
                return []
            } catch let e as ScenarioErrors { return e.problems.map(\.description) } catch { return ["\(error)"] }
        }
        XCTAssertEqual(refused([("a.b", ["1", "", "2"])]),
                       ["--sweep: a.b: value 2 of 3 is empty ('1,,2' has two commas in a row, or one at an end)"])
        XCTAssertEqual(refused([("a.b", ["1"]), ("a.b", ["2"])]),
                       ["--sweep: a.b: given twice; give all its values once, comma-separated (a.b=a,b,c)"])
    }
}
