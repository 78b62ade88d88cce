// SPDX-License-Identifier: GPL-3.0-or-later
import XCTest
import ArchSimModel

/// `retry_failed` (format 1.1), counted exactly on a deterministic case.
final class BalancerRetryTests: XCTestCase {
    /// Three instances behind round robin, a request every 1 ms, the `crashed` instances down for
    /// the whole run and the health check too slow to notice.
    func run(_ balancer: String, crashed: [Int] = [0]) throws -> ScenarioResult {
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
        \(crashed.map { "  - {at: 0s, target: \"app[\($0)]\", kind: crash}" }.joined(separator: "\n"))
        """)
    }

    /// Round robin sends every third request to the crashed `app[0]`, which fails them all. With
    /// `retry_failed: 1` the balancer sends such a request on to the next instance not tried:
    /// the rotation becomes app[0]→app[1], app[2], app[0]→app[1], … — every other request is
    /// retried once, none fails.
    func testRetryFailedSendsOnToAnInstanceNotTried() throws {
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
    }

    /// With more crashed instances than retries a request can still fail: app[0] and app[1]
    /// down, one retry: a request sent to app[0] is retried on app[1], down too.
    func testRetriesRunOut() throws {
        let twoDown = try run("{retry_failed: 1}", crashed: [0, 1])
        XCTAssertGreaterThan(twoDown.summary.last!.failed, 0)
        XCTAssertGreaterThan(twoDown.summary.last!.completed, 0)
        let twoRetries = try run("{retry_failed: 2}", crashed: [0, 1])
        XCTAssertEqual(twoRetries.summary.last!.failed, 0, "two retries reach app[2]")
        // With every instance tried, no retry is made (and none counted).
        let allDown = try run("{retry_failed: 5}", crashed: [0, 1, 2])
        XCTAssertEqual(allDown.replications[0].timeseries.map(\.retries).reduce(0, +), 2 * 10_000, "two others to try, each once")
    }
}
