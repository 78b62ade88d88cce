// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimKernel
import ArchSimModel
import ArchSimScenario
import XCTest

/// The spec's complete scenario, verbatim.
final class CompleteScenarioTests: XCTestCase {
    static let mm1 = """
    version: 1
    name: mm1                      # used in result file rows
    description: One server, Poisson arrivals, exponential service.
    seed: 7                        # same file + same seed => byte-identical results
    duration: 20m                  # simulated time counted, after the warm-up
    warmup: 1m                     # simulated time whose requests are not counted
    replications: 5                # independent runs with derived seeds; CIs come from them
    workload:                      # inline map, or a path to a YAML file holding the map
      arrivals: {kind: open, process: poisson, rate: 900/s}
      requests:
        req: {weight: 1}
    architecture:                  # inline map, or a path to a YAML file holding the map
      routes: {req: app.op}
      services:
        app:
          instances: 1
          workers: 1
          operations:
            op: {cpu: exponential(mean=1ms)}
    """

    func testCompleteScenario() throws {
        let s = try load(Self.mm1, file: "scenarios/mm1.yaml")
        XCTAssertEqual(s.name, "mm1")
        XCTAssertEqual(s.description, "One server, Poisson arrivals, exponential service.")
        XCTAssertEqual(s.seed, 7)
        XCTAssertEqual(s.duration, 1_200_000_000_000)
        XCTAssertEqual(s.warmup, 60_000_000_000)
        XCTAssertEqual(s.replications, 5)
        XCTAssertEqual(s.window, 1_000_000_000)
        XCTAssertTrue(s.faults.isEmpty)
        guard case let .open(process, rate) = s.workload.arrivals else { return XCTFail("not open") }
        XCTAssertEqual(process, .poisson)
        XCTAssertEqual(rate, .constant(900))
        XCTAssertEqual(s.workload.requestTypes.map(\.name), ["req"])
        XCTAssertEqual(s.workload.requestTypes[0].weight, 1)
        XCTAssertNil(s.workload.requestTypes[0].keySpace)
        XCTAssertNil(s.workload.requestTypes[0].timeout)
        let a = s.architecture
        XCTAssertEqual(a.routes, [OperationRef(service: 0, operation: 0)])
        XCTAssertEqual(a.hop, .constant(0))
        XCTAssertEqual(a.balancer, .roundRobin)
        XCTAssertEqual(a.services.count, 1)
        let app = a.services[0]
        XCTAssertEqual(app.name, "app")
        XCTAssertEqual(app.instances, 1)
        XCTAssertEqual(app.workers, 1)
        XCTAssertNil(app.queueCapacity)
        XCTAssertNil(app.cores)
        XCTAssertEqual(app.io, .blocking)
        XCTAssertNil(app.balancer)
        XCTAssertEqual(app.operations.map(\.name), ["op"])
        XCTAssertEqual(app.operations[0].cpu, .exponential(mean: 1_000_000))
        XCTAssertTrue(app.operations[0].steps.isEmpty)
    }

    func testDefaults() throws {
        let s = try load("""
        duration: 10s
        workload: {arrivals: {kind: open, rate: 30/m}, requests: {req: {weight: 2}}}
        architecture: {routes: {req: app.op}, services: {app: {operations: {op: {}}}}}
        """, file: "dir/my.scenario.yaml")
        XCTAssertEqual(s.name, "my.scenario")
        XCTAssertEqual(s.description, "")
        XCTAssertEqual(s.seed, 1)
        XCTAssertEqual(s.warmup, 0)
        XCTAssertEqual(s.replications, 1)
        XCTAssertEqual(s.window, 1_000_000_000)
        guard case let .open(process, rate) = s.workload.arrivals else { return XCTFail("not open") }
        XCTAssertEqual(process, .poisson)
        XCTAssertEqual(rate, .constant(0.5))
        XCTAssertNil(s.architecture.services[0].operations[0].cpu)
        XCTAssertNil(s.sourcePath)
    }

    func testLoadFromPath() throws {
        let dir = try temporaryDirectory(self)
        try write(Self.mm1, to: dir + "/mm1.yaml")
        let s = try ScenarioLoader.load(path: dir + "/mm1.yaml")
        XCTAssertEqual(s.name, "mm1")
        XCTAssertEqual(s.sourcePath, dir + "/mm1.yaml")
    }

    func testAddedTopLevelAndServiceKeys() throws {
        let s = try load(minimal(services: """
            shop:
              instances: 4
              workers: 8
              queue: 100
              cores: 2
              io: async
              load_balancer: {policy: least_connections}
              operations:
                buy: {}
        """, extra: "window: 250ms\nseed: 18446744073709551615"))
        XCTAssertEqual(s.window, 250_000_000)
        XCTAssertEqual(s.seed, UInt64.max)
        let shop = s.architecture.services[1]
        XCTAssertEqual(shop.instances, 4)
        XCTAssertEqual(shop.workers, 8)
        XCTAssertEqual(shop.queueCapacity, 100)
        XCTAssertEqual(shop.cores, 2)
        XCTAssertEqual(shop.io, .async)
        XCTAssertEqual(shop.balancer, .leastConnections)
    }
}
