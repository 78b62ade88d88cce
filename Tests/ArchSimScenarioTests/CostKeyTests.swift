// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimKernel
import ArchSimModel
import ArchSimScenario
import XCTest

/// `cost:` per hour: what each part adds, what a host covers, the mistakes refused, and the
/// writer writing it back.
final class CostKeyTests: XCTestCase {
    static let priced = """
      routes: {req: web.op}
      hosts:
        box: {cores: 8, count: 2, cost: 0.1, cost_per_core: 0.02}
      services:
        web:
          instances: 3
          cost: 0.05
          operations:
            op: {cpu: exponential(mean=1ms)}
        worker:
          instances: 4
          host: box
          operations:
            op: {cpu: exponential(mean=1ms)}
      caches:
        c: {nodes: 3, capacity: 1000, cost: 0.2}
      databases:
        main:
          primary: {connections: 8, read: constant(1ms), write: constant(1ms), cost: 1.5}
          replicas: {count: 2, cost: 0.5}
          shards: 2
        logs:
          primary: {connections: 8, read: constant(1ms), write: constant(1ms), host: box}
    """

    func testEachPartAddsItsCostAndAHostCoversWhatRunsOnIt() throws {
        let s = try load(scenario(architecture: Self.priced))
        let a = s.architecture
        XCTAssertTrue(a.hasCost)
        // Hosts: 2 × (0.1 + 8 × 0.02) = 0.52. Services not on a host: 3 × 0.05 = 0.15 (the worker
        // is on box). Cache nodes: 3 × 0.2 = 0.6. Databases: 2 shards × (1.5 + 2 × 0.5) = 5; logs
        // is on box.
        XCTAssertEqual(a.costPerHour, 0.52 + 0.15 + 0.6 + 5, accuracy: 1e-12)
        // An autoscaled service costs its mean instances.
        XCTAssertEqual(a.costPerHour { $0 == 0 ? 4.5 : 4 }, 0.52 + 4.5 * 0.05 + 0.6 + 5, accuracy: 1e-12)
        XCTAssertFalse(try load(minimal()).architecture.hasCost)
        XCTAssertEqual(try load(minimal()).architecture.costPerHour, 0)
    }

    func testMistakesAreRefused() {
        assertOneProblem(minimal(services: "      cost: -1"), "a cost per hour (a non-negative number")
        assertOneProblem(minimal(services: "      cost: cheap"), "a cost per hour")
        assertOneProblem(scenario(architecture: """
          routes: {req: app.op}
          hosts: {box: {cores: 2}}
          services:
            app:
              host: box
              cost: 1
              operations:
                op: {cpu: exponential(mean=1ms)}
        """), "a service on a host has no cost of its own")
        assertOneProblem(minimal(more: """
          hosts: {box: {cores: 2}}
          databases:
            main:
              primary: {connections: 8, read: constant(1ms), write: constant(1ms), host: box}
              replicas: {count: 1, cost: 2}
        """), "a database server on a host has no cost of its own")
        assertOneProblem(minimal(more: "  hosts: {box: {cores: 2, cost_per_cpu: 1}}"), "cost_per_core")
    }

    func testWrittenBack() throws {
        let s = try load(scenario(architecture: Self.priced))
        let text = try ScenarioWriter(directory: "/nonexistent").scenario(s)
        var back = try load(text)
        back.sourcePath = s.sourcePath
        XCTAssertEqual(back, s)
        XCTAssertTrue(text.contains("cost_per_core: 0.02"), text)
    }
}
