// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimKernel
import ArchSimModel
import ArchSimScenario
import XCTest

/// One test per class of bad input: each names file, line, column and key path.
final class ProblemTests: XCTestCase {
    func testYAMLSyntaxError() {
        let p = assertOneProblem("""
        duration: 1m
        workload:
          arrivals: [a
          requests: {}
        """, "test.yaml:4:11: YAML syntax error: did not find expected ',' or ']' (while parsing a flow sequence at 3:13)")
        XCTAssertEqual(p?.line, 4)
        XCTAssertEqual(p?.column, 11)
    }

    func testDuplicateKey() {
        assertOneProblem(minimal(extra: "duration: 2m"), "test.yaml:", "duplicate key 'duration'")
    }

    func testUnknownKeyWithDidYouMean() {
        let p = assertOneProblem(minimal(services: """
            shop:
              worker: 4
              operations: {buy: {}}
        """), "test.yaml:13:7: architecture.services.shop.worker: unknown key 'worker', did you mean 'workers'?")
        XCTAssertEqual(p?.line, 13)
        XCTAssertEqual(p?.column, 7)
        XCTAssertEqual(p?.keyPath, "architecture.services.shop.worker")
    }

    func testUnknownTopLevelKeyWithoutCloseMatch() {
        assertOneProblem(minimal(extra: "colour: blue"), "test.yaml:14:1: colour: unknown key 'colour' (expected one of: version, name")
    }

    func testWrongType() {
        assertOneProblem(minimal(services: """
            shop:
              workers: {a: 1}
              operations: {buy: {}}
        """), "test.yaml:13:16: architecture.services.shop.workers: expected a positive integer, got a mapping")
        assertOneProblem(minimal(more: "  caches: [a, b]"), "test.yaml:13:11: architecture.caches: expected a mapping, got a list")
    }

    func testZeroOrNegativeWherePositiveIsRequired() {
        let negative = assertOneProblem(minimal(services: """
            shop:
              workers: -3
              operations: {buy: {}}
        """), "test.yaml:13:16: architecture.services.shop.workers: expected a positive integer, got -3")
        XCTAssertEqual(negative?.message, "expected a positive integer, got -3")
        assertOneProblem(minimal(services: """
            shop:
              instances: 0
              operations: {buy: {}}
        """), "test.yaml:13:18: architecture.services.shop.instances: expected a positive integer, got 0")
        assertOneProblem(minimal(extra: "replications: 2.5"), "test.yaml:14:15: replications: expected a positive integer, got 2.5")
        assertOneProblem(minimal(extra: "warmup: -1s"), "test.yaml:14:9: warmup: expected a non-negative duration, got -1s")
    }

    func testMissingUnit() {
        assertOneProblem(minimal(services: """
            shop:
              operations: {buy: {cpu: exponential(mean=2)}}
        """), "test.yaml:13:31: architecture.services.shop.operations.buy.cpu:", "mean: missing unit in '2'")
        let top = problems("""
        duration: 20
        workload: {arrivals: {kind: open, rate: 900}, requests: {req: {weight: 1}}}
        architecture: {routes: {req: app.op}, services: {app: {operations: {op: {}}}}}
        """)
        XCTAssertEqual(top.map(\.description), [
            "test.yaml:1:11: duration: missing unit in '20': write e.g. 20ms (units: ns, us, ms, s, m, h)",
            "test.yaml:2:41: workload.arrivals.rate: missing unit in '900': write e.g. 900/s (units: /s, /m, /h)",
        ])
    }

    func testUnknownRouteTargets() {
        let found = problems(scenario(workload: """
          arrivals: {kind: open, rate: 1/s}
          requests: {view: {weight: 1}, buy: {weight: 1}, sell: {weight: 1}}
        """, architecture: """
          routes:
            view: shop.veiw
            buy: shopp.buy
            sel: shop.buy
          services: {shop: {operations: {view: {}, buy: {}}}}
        """))
        XCTAssertEqual(found.map(\.description), [
            "test.yaml:7:5: architecture.routes: no route for request type 'sell'",
            "test.yaml:7:11: architecture.routes.view: unknown operation 'veiw', did you mean 'view'? (in service 'shop')",
            "test.yaml:8:10: architecture.routes.buy: unknown service 'shopp', did you mean 'shop'?",
            "test.yaml:9:5: architecture.routes.sel: unknown request type 'sel', did you mean 'sell'?",
        ])
    }

    func testCallCycle() {
        let p = assertOneProblem(scenario(architecture: """
          routes: {req: app.view}
          services:
            app:
              operations:
                view:
                  steps:
                    - call: cart.add
            cart:
              operations:
                add:
                  steps:
                    - parallel:
                        - cache_get: c
                          on_miss:
                            - call: app.view
          caches: {c: {capacity: 10}}
        """), "call cycle: app.view -> cart.add -> app.view")
        XCTAssertEqual(p?.keyPath, "architecture.services.cart.operations.add.steps[0].parallel[0].on_miss[0].call")
        XCTAssertEqual(p?.line, 21)
        XCTAssertEqual(p?.column, 29)
        assertOneProblem(minimal(services: """
            loop: {operations: {self: {steps: [{call: loop.self}]}}}
        """), "test.yaml:12:47: architecture.services.loop.operations.self.steps[0].call: call cycle: loop.self -> loop.self")
    }

    func testAllWeightsZero() {
        assertOneProblem(scenario(workload: """
          arrivals: {kind: open, rate: 1/s}
          requests:
            req: {weight: 0}
            other: {weight: 0}
        """, architecture: "  routes: {req: app.op, other: app.op}\n  services: {app: {operations: {op: {}}}}"),
                         "test.yaml:5:5: workload.requests: all request weights are zero; at least one must be positive")
    }

    func testEmptyFile() {
        for text in ["", "# only a comment\n"] {
            let found = problems(text)
            XCTAssertEqual(found.map(\.description), ["test.yaml:1:1: empty scenario file"])
            XCTAssertEqual(found.first?.line, 1)
        }
    }

    func testDirectoryInsteadOfFileAndMissingFile() throws {
        let dir = try temporaryDirectory(self)
        for (path, message) in [(dir, "\(dir): scenario file is a directory, not a scenario file"),
                                (dir + "/nope.yaml", "\(dir)/nope.yaml: scenario file no such file")] {
            XCTAssertThrowsError(try ScenarioLoader.load(path: path)) { error in
                let problems = (error as? ScenarioErrors)?.problems ?? []
                XCTAssertEqual(problems.map(\.description), [message])
                XCTAssertNil(problems.first?.line)
                XCTAssertNil(problems.first?.column)
            }
        }
    }

    func testUndefinedCache() {
        assertOneProblem(minimal(services: """
            shop:
              operations:
                buy:
                  steps:
                    - cache_get: product_cahce
        """, more: "  caches: {product_cache: {capacity: 10}}"),
                         "test.yaml:16:26: architecture.services.shop.operations.buy.steps[0].cache_get: unknown cache 'product_cahce', did you mean 'product_cache'?")
        assertOneProblem(minimal(services: """
            shop: {operations: {buy: {steps: [{db_write: main}]}}}
        """), "test.yaml:12:50: architecture.services.shop.operations.buy.steps[0].db_write: unknown database 'main' (no 'databases:' are defined)")
    }

    func testCapacityZero() {
        assertOneProblem(minimal(more: "  caches: {c: {capacity: 0}}"),
                         "test.yaml:13:26: architecture.caches.c.capacity: expected a positive integer, got 0")
    }

    func testNegativeReplicationLag() {
        assertOneProblem(minimal(more: """
          databases:
            main:
              primary: {connections: 1, read: constant(1ms), write: constant(1ms)}
              replicas: {count: 1}
              replication_lag: constant(-1ms)
        """), "test.yaml:17:24: architecture.databases.main.replication_lag: in 'constant(-1ms)': value must be non-negative, got -1ms")
    }

    func testFaultWithUnknownTarget() {
        assertOneProblem(minimal(more: """
          caches: {pc: {capacity: 10, nodes: 3}}
          databases:
            main:
              primary: {connections: 1, read: constant(1ms), write: constant(1ms)}
              replicas: 2
        """, extra: """
        faults:
          - {at: 1m, target: "payment[0]", kind: crash}
        """), "test.yaml:19:22: faults[0].target: unknown fault target 'payment[0]'; valid targets: app[0], pc[0..2], main.primary, main.replica[0..1]")
        assertOneProblem(minimal(extra: """
        faults:
          - at: 1m
            target: app[1]
            kind: crash
        """), "test.yaml:16:13: faults[0].target: 'app' has 1 instance; valid: app[0]")
    }

    func testManyProblemsAllReported() {
        let found = problems("""
        version: 2
        duration: 10
        replications: 0
        workload:
          arrivals: {kind: open, rate: 5/s, users: 3}
          requests:
            req: {weight: 1, key: nope}
        architecture:
          routes: {req: app.op}
          services:
            app:
              workers: -1
              operations:
                op:
                  cpu: lognormal(median=30ms, p99=20ms)
        faults:
          - {at: 1m, target: app, kind: melt}
        """)
        XCTAssertEqual(found.map(\.description), [
            "test.yaml:1:10: version: unsupported version 2; this ArchSim reads scenario format version 1",
            "test.yaml:2:11: duration: missing unit in '10': write e.g. 10ms (units: ns, us, ms, s, m, h)",
            "test.yaml:3:15: replications: expected a positive integer, got 0",
            "test.yaml:5:37: workload.arrivals.users: 'users' belongs to closed arrivals, not kind: open",
            "test.yaml:7:27: workload.requests.req.key: unknown key space 'nope' (no 'keys:' are defined)",
            "test.yaml:12:16: architecture.services.app.workers: expected a positive integer, got -1",
            "test.yaml:15:16: architecture.services.app.operations.op.cpu: in 'lognormal(median=30ms, p99=20ms)': needs 0 < median < p99, got median=30ms and p99=20ms",
            "test.yaml:17:22: faults[0].target: a service target names an instance: app[0]",
            "test.yaml:17:33: faults[0].kind: unknown fault kind 'melt' (expected one of: crash, slow)",
        ])
    }

    func testDistributionParameterProblems() {
        let cases: [(String, String)] = [
            ("exponential(mean=0ms)", "mean must be positive, got 0ms"),
            ("exponentail(mean=1ms)", "unknown distribution 'exponentail', did you mean 'exponential'?"),
            ("erlang(k=2.5, mean=1ms)", "k must be an integer >= 1, got 2.5"),
            ("gamma(shape=2ms, mean=1ms)", "shape is a plain number (no unit), got '2ms'"),
            ("uniform(min=3ms, max=1ms)", "needs min <= max"),
            ("exponential(man=1ms)", "in 'exponential(man=1ms)': unknown exponential parameter 'man', did you mean 'mean'?"),
            ("exponential(2ms)", "exponential takes named parameters, e.g. exponential(mean=2ms)"),
            ("weibull(shape=1)", "missing parameter 'scale'"),
            ("lognormal(median=1ms, sd=2ms)", "lognormal takes either median and p99, or mean and sd"),
            ("exponential", "exponential needs parameters, e.g. exponential(mean=2ms)"),
            ("uniform(min=1ms", "missing ')'"),
            ("5", "missing unit in '5'"),
        ]
        for (text, message) in cases {
            let p = assertOneProblem(minimal(services: """
                x:
                  operations:
                    y:
                      cpu: \(text)
            """), "test.yaml:15:16: architecture.services.x.operations.y.cpu:", message)
            XCTAssertNotNil(p, text)
        }
    }

    func testProfileMustIncrease() {
        assertOneProblem(scenario(workload: """
          arrivals:
            kind: open
            profile:
              - {at: 5m, rate: 10/s}
              - {at: 1m, rate: 20/s}
          requests: {req: {weight: 1}}
        """, architecture: "  routes: {req: app.op}\n  services: {app: {operations: {op: {}}}}"),
                         "test.yaml:7:14: workload.arrivals.profile[1].at: profile points must have strictly increasing 'at'")
    }

    func testStepShapeProblems() {
        let found = problems(minimal(services: """
            x:
              operations:
                y:
                  steps:
                    - {call: app.op, delay: 1ms}
                    - {db_read: d, on_miss: []}
                    - {cal: app.op}
        """, more: "  databases: {d: {primary: {connections: 1, read: 1ms, write: 1ms}}}"))
        XCTAssertEqual(found.map(\.description), [
            "test.yaml:16:30: architecture.services.x.operations.y.steps[0].delay: a step has one kind; this one has 'call' and 'delay' (write them as two steps)",
            "test.yaml:17:28: architecture.services.x.operations.y.steps[1].on_miss: 'on_miss' goes with 'cache_get', not 'db_read'",
            "test.yaml:18:16: architecture.services.x.operations.y.steps[2].cal: unknown key 'cal', did you mean 'call'?",
        ])
    }

    func testReservedAndDuplicateNames() {
        let found = problems(scenario(workload: """
          arrivals: {kind: open, rate: 1/s}
          requests: {all: {weight: 1}}
        """, architecture: """
          routes: {all: app.op}
          services: {app: {operations: {op: {}}}}
          caches: {app: {capacity: 1}}
        """))
        XCTAssertEqual(found.map(\.description), [
            "test.yaml:4:14: workload.requests.all: 'all' is reserved for the total row of summary.csv; choose another request type name",
            "test.yaml:8:12: architecture.caches.app: the name 'app' is already used by a service; services, caches, databases and hosts need distinct names",
        ])
    }
}
