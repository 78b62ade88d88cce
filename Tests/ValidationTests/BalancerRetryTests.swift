// SPDX-License-Identifier: GPL-3.0-or-later
import XCTest
import ArchSimModel

/// `retry_failed` (format 1.1), counted exactly on a deterministic case.
final class BalancerRetryTests: XCTestCase {
    /// Three instances behind round robin, `app[0]` crashed for the whole run and the health
    /// check too slow to notice; a request every 1 ms. Round robin sends every third request to
    /// `app[0]`, which fails them all. With `retry_failed: 1` the balancer sends such a request on
    /// to the next instance not tried: the rotation becomes app[0]→app[1], app[2], app[0]→app[1],
    /// … — every other request is retried once, none fails, app[1] and app[2] serve half each.
    func testRetryFailedSendsOnToAnInstanceNotTried() throws {
        func run(_ balancer: String) throws -> ScenarioResult {
            try ScenarioText.run("""
            version: 1
            duration: 10s
            workload:
              arrivals: {kind: open, process: constant, rate: 1000/s}
              requests:
                req: {weight: 1}
            architecture:
              load_balancer: \(balancer)
              routes: {req: app.op}
              services:
                app:
                  instances: 3
                  workers: 10
                  health_check: {interval: 1h, unhealthy_after: 2}
                  operations:
                    op: {cpu: constant(100us)}
            faults:
              - {at: 0s, target: "app[0]", kind: crash}
            """)
        }
        let plain = try run("{policy: round_robin}")
        XCTAssertEqual(plain.summary.last!.offered, 10_000)
        XCTAssertEqual(plain.summary.last!.failed, 3334, accuracy: 1, "every third request")
        XCTAssertEqual(plain.replications[0].timeseries.map(\.retries).reduce(0, +), 0)

        let retried = try run("{policy: round_robin, retry_failed: 1}")
        let all = retried.summary.last!
        XCTAssertEqual(all.failed, 0)
        let inFlight = Double(retried.replications[0].measuredInFlightAtEnd)
        XCTAssertLessThanOrEqual(inFlight, 1, "the last arrival, 100 us before the end")
        XCTAssertEqual(all.completed + inFlight, 10_000)
        XCTAssertEqual(retried.replications[0].timeseries.map(\.retries).reduce(0, +), 5000, "every other request")
        XCTAssertEqual(Double(retried.replications[0].services[0].served) + inFlight, 10_000)

        // With more crashed instances than retries, a request can still fail: app[0] and app[1]
        // down, one retry: a request sent to app[0] is retried on app[1] (the next in turn), which
        // is down too.
        let twoDown = try ScenarioText.run("""
            version: 1
            duration: 10s
            workload:
              arrivals: {kind: open, process: constant, rate: 1000/s}
              requests:
                req: {weight: 1}
            architecture:
              load_balancer: {retry_failed: 1}
              routes: {req: app.op}
              services:
                app:
                  instances: 3
                  workers: 10
                  health_check: {interval: 1h, unhealthy_after: 2}
                  operations:
                    op: {cpu: constant(100us)}
            faults:
              - {at: 0s, target: "app[0]", kind: crash}
              - {at: 0s, target: "app[1]", kind: crash}
            """)
        XCTAssertGreaterThan(twoDown.summary.last!.failed, 0)
        XCTAssertGreaterThan(twoDown.summary.last!.completed, 0)
    }
}
