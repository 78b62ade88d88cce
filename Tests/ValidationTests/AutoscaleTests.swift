// SPDX-License-Identifier: GPL-3.0-or-later
import XCTest
import ArchSimModel

final class AutoscaleTests: XCTestCase {
    /// A step from 200/s to 1,000/s: one instance (4 workers × 10 ms = 400/s) is not enough; the
    /// autoscaler grows the service to ⌈1000 × 10 ms / 4 / 0.6⌉ = 5 instances within a few
    /// intervals plus the warm-up, and latency comes back down.
    func testScalesUpToTheLoad() throws {
        let r = try ScenarioText.run("""
        version: 1
        duration: 300s
        warmup: 0s
        window: 10s
        workload:
          arrivals:
            kind: open
            profile:
              - {at: 0s, rate: 200/s}
              - {at: 60s, rate: 200/s}
              - {at: 61s, rate: 1000/s}
          requests:
            req: {weight: 1}
        architecture:
          routes: {req: app.op}
          services:
            app:
              instances: 1
              workers: 4
              queue: 200
              autoscale: {min: 1, max: 8, target_utilization: 60%, interval: 10s, warmup: 20s}
              operations:
                op: {cpu: exponential(mean=10ms)}
        """)
        let rows = r.replications[0].timeseries
        // Before the step: one instance at 50%; errors only right after the step.
        let late = rows.filter { $0.start >= 200_000_000_000 }
        XCTAssert(late.allSatisfy { $0.errors == 0 }, "no errors once scaled")
        XCTAssertLessThan(late.map(\.p99).max()! / 1e6, 200, "p99 back under 200 ms")
        // Time-averaged instances: 1 for 60 s, then up to 5 (through the warm-up) — between 3 and 5.
        let mean = r.components[0].meanInstances!
        XCTAssert((3.0...5.0).contains(mean), "mean instances \(mean)")
        XCTAssertLessThan(r.components[0].utilization!, 0.9)
    }
}
