// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimKernel
import ArchSimModel
import ArchSimScenario
import XCTest

/// Keys for coping with failure: a call's timeout, retries and circuit breaker; a service's
/// health check and autoscaler; a database's replica apply workers and failover.
final class ResilienceKeyTests: XCTestCase {
    /// `minimal()` plus a service `pay` (service 1) whose operation `op` runs `steps` (list
    /// items written at indent 8 land at indent 10, the first on line 16). `app.op` is service 0,
    /// operation 0.
    private func withSteps(_ steps: String) -> String {
        let indented = steps.split(separator: "\n", omittingEmptySubsequences: false).map { "  " + $0 }
        return minimal(services: """
            pay:
              operations:
                op:
                  steps:
        \(indented.joined(separator: "\n"))
        """)
    }

    /// `minimal()` plus `databases:` (indented by 4 under `architecture:`), starting on line 14.
    private func withDatabases(_ databases: String) -> String {
        minimal(more: """
          databases:
        \(databases)
        """)
    }

    private static let server = "primary: {connections: 10, read: constant(1ms), write: constant(2ms)}"

    private func service(_ scenario: Scenario, _ name: String) -> Service {
        scenario.architecture.services.first { $0.name == name }!
    }

    private func database(_ scenario: Scenario, _ name: String) -> Database {
        scenario.architecture.databases.first { $0.name == name }!
    }

    // MARK: Call steps

    func testCallPolicyKeys() throws {
        let s = try load(withSteps("""
                - call: app.op
                  timeout: 500ms
                  retries: 2
                  circuit_breaker: {error_rate: 25%, window: 20s, min_calls: 50, open_for: 2s}
                - call: app.op
                  retries: {count: 3, backoff: exponential(mean=50ms)}
                  circuit_breaker: {error_rate: 0.75}
                - parallel:
                    - call: app.op
                      timeout: 1.5s
                      circuit_breaker: {}
        """))
        let st = steps(s, "pay", "op")
        XCTAssertEqual(st.count, 3)
        guard case let .call(ref, first) = st[0], case let .call(_, second) = st[1],
              case let .parallel(branches) = st[2], case let .call(_, inner) = branches.first else {
            return XCTFail("\(st)")
        }
        XCTAssertEqual(ref, OperationRef(service: 0, operation: 0))
        XCTAssertEqual(first.timeout, 500_000_000)
        XCTAssertEqual(first.retries, 2)
        XCTAssertEqual(first.backoff, .constant(0), "retries: N keeps the default backoff")
        XCTAssertEqual(first.circuitBreaker, CircuitBreakerPolicy(errorRate: 0.25, window: 20_000_000_000,
                                                                  minimumCalls: 50, openFor: 2_000_000_000))
        XCTAssertNil(second.timeout)
        XCTAssertEqual(second.retries, 3)
        XCTAssertEqual(second.backoff, .exponential(mean: 50e6))
        XCTAssertEqual(second.circuitBreaker?.errorRate, 0.75)
        XCTAssertEqual(inner.timeout, 1_500_000_000)
        XCTAssertEqual(inner.retries, 0)
        // `circuit_breaker: {}` is a breaker with every default: 50%, 10 s window, 20 calls, open 5 s.
        XCTAssertEqual(inner.circuitBreaker, CircuitBreakerPolicy(errorRate: 0.5, window: 10_000_000_000,
                                                                  minimumCalls: 20, openFor: 5_000_000_000))
    }

    func testCallPolicyDefaults() throws {
        let s = try load(withSteps("""
                - call: app.op
                - parallel: [{call: app.op}]
        """))
        let st = steps(s, "pay", "op")
        guard case let .call(_, policy) = st[0], case let .parallel(branches) = st[1],
              case let .call(_, inner) = branches.first else { return XCTFail("\(st)") }
        for p in [policy, inner] {
            XCTAssertNil(p.timeout)
            XCTAssertEqual(p.retries, 0)
            XCTAssertEqual(p.backoff, .constant(0))
            XCTAssertNil(p.circuitBreaker)
        }
    }

    func testErrorRateReadsAsPercentOrFraction() throws {
        let s = try load(withSteps("""
                - {call: app.op, circuit_breaker: {error_rate: 50%}}
                - {call: app.op, circuit_breaker: {error_rate: 0.5}}
                - {call: app.op, circuit_breaker: {error_rate: 12.5 %}}
                - {call: app.op, circuit_breaker: {error_rate: 100%}}
                - {call: app.op, circuit_breaker: {error_rate: 1}}
        """))
        let rates: [Double?] = steps(s, "pay", "op").map {
            guard case let .call(_, p) = $0 else { return nil }
            return p.circuitBreaker?.errorRate
        }
        XCTAssertEqual(rates, [0.5, 0.5, 0.125, 1, 1])
    }

    func testBadCallPolicyValues() {
        let found = problems(withSteps("""
                - call: app.op
                  timeout: 0ms
                  retries: -1
                - call: app.op
                  retries: {count: -1, backof: constant(1ms)}
                  circuit_breaker: {error_rate: 150%, window: 0s, min_calls: 0, open_for: -1s}
                - call: app.op
                  circuit_breaker: {error_rate: 50}
                - call: app.op
                  circuit_breaker: ~
                - call: app.op
                  retries: {backoff: 5}
                - call: app.op
                  timout: 1s
                  circuit_breaker: {error_rate: often}
        """))
        let at = "architecture.services.pay.operations.op.steps"
        XCTAssertEqual(found.map(\.description), [
            "test.yaml:17:22: \(at)[0].timeout: expected a positive duration, got 0ms",
            "test.yaml:18:22: \(at)[0].retries: expected an integer ≥ 0, got -1",
            "test.yaml:20:30: \(at)[1].retries.count: expected an integer ≥ 0, got -1",
            "test.yaml:20:34: \(at)[1].retries.backof: unknown key 'backof', did you mean 'backoff'?",
            "test.yaml:21:43: \(at)[1].circuit_breaker.error_rate: expected a fraction in (0, 1] like 50% or 0.5, got 150%",
            "test.yaml:21:57: \(at)[1].circuit_breaker.window: expected a positive duration, got 0s",
            "test.yaml:21:72: \(at)[1].circuit_breaker.min_calls: expected an integer ≥ 1, got 0",
            "test.yaml:21:85: \(at)[1].circuit_breaker.open_for: expected a positive duration, got -1s",
            "test.yaml:23:43: \(at)[2].circuit_breaker.error_rate: expected a fraction in (0, 1] like 50% or 0.5, got 50 (write 50% for a percentage)",
            "test.yaml:25:30: \(at)[3].circuit_breaker: expected a circuit breaker {error_rate, window, min_calls, open_for} ({} for the defaults), got nothing",
            "test.yaml:27:22: \(at)[4].retries: missing required key 'count' (attempts after a failed one)",
            "test.yaml:27:32: \(at)[4].retries.backoff: missing unit in '5': write e.g. 5ms (units: ns, us, ms, s, m, h)",
            "test.yaml:29:13: \(at)[5].timout: unknown key 'timout', did you mean 'timeout'?",
            "test.yaml:30:43: \(at)[5].circuit_breaker.error_rate: expected a fraction like 50% or 0.5, got 'often'",
        ])
    }

    func testCallKeysOnOtherStepsAreErrors() {
        let found = problems(withSteps("""
                - delay: constant(1ms)
                  timeout: 1s
                - cpu: constant(1ms)
                  retries: 2
                - parallel: [{call: app.op}]
                  circuit_breaker: {}
        """))
        let at = "architecture.services.pay.operations.op.steps"
        XCTAssertEqual(found.map(\.description), [
            "test.yaml:17:13: \(at)[0].timeout: 'timeout' goes with 'call', not 'delay'",
            "test.yaml:19:13: \(at)[1].retries: 'retries' goes with 'call', not 'cpu'",
            "test.yaml:21:13: \(at)[2].circuit_breaker: 'circuit_breaker' goes with 'call', not 'parallel'",
        ])
    }

    // MARK: Services

    func testHealthCheck() throws {
        let s = try load(minimal(services: """
            pay:
              health_check: {interval: 500ms, unhealthy_after: 3}
              operations: {op: {}}
            web:
              health_check: {interval: 1s}
              operations: {op: {}}
        """))
        XCTAssertEqual(service(s, "pay").healthCheck, HealthCheck(interval: 500_000_000, unhealthyAfter: 3))
        XCTAssertEqual(service(s, "web").healthCheck, HealthCheck(interval: 1_000_000_000, unhealthyAfter: 2))
        // Absent: probe every 5 s, out after 2 failed probes.
        XCTAssertEqual(service(s, "app").healthCheck, HealthCheck(interval: 5_000_000_000, unhealthyAfter: 2))
    }

    func testBadHealthCheck() {
        let found = problems(minimal(services: """
            pay:
              health_check: {interval: 0s, unhealthy_after: 0, timeout: 1s}
              operations: {op: {}}
            web:
              health_check: 5s
              operations: {op: {}}
        """))
        XCTAssertEqual(found.map(\.description), [
            "test.yaml:13:32: architecture.services.pay.health_check.interval: expected a positive duration, got 0s",
            "test.yaml:13:53: architecture.services.pay.health_check.unhealthy_after: expected an integer ≥ 1, got 0",
            "test.yaml:13:56: architecture.services.pay.health_check.timeout: unknown key 'timeout' (expected one of: interval, unhealthy_after)",
            "test.yaml:16:21: architecture.services.web.health_check: expected a health check {interval, unhealthy_after}, got '5s'",
        ])
    }

    func testAutoscale() throws {
        let s = try load(minimal(services: """
            pay:
              instances: 3
              autoscale: {min: 2, max: 8, target_utilization: 75%, interval: 15s, warmup: 0s}
              operations: {op: {}}
            web:
              autoscale: {min: 1, max: 4, target_utilization: 0.5}
              operations: {op: {}}
            fixed:
              instances: 2
              autoscale: {min: 2, max: 2}
              operations: {op: {}}
        """))
        XCTAssertEqual(service(s, "pay").instances, 3)
        XCTAssertEqual(service(s, "pay").autoscale, Autoscale(min: 2, max: 8, targetUtilization: 0.75,
                                                              interval: 15_000_000_000, warmup: 0))
        // Defaults: decide every 30 s, a new instance serves after 60 s.
        XCTAssertEqual(service(s, "web").autoscale, Autoscale(min: 1, max: 4, targetUtilization: 0.5,
                                                              interval: 30_000_000_000, warmup: 60_000_000_000))
        XCTAssertEqual(service(s, "web").instances, 1)
        XCTAssertEqual(service(s, "fixed").autoscale?.targetUtilization, 0.6)
        XCTAssertNil(service(s, "app").autoscale)
    }

    func testBadAutoscale() {
        let found = problems(minimal(services: """
            pay:
              instances: 9
              autoscale: {min: 2, max: 8}
              operations: {op: {}}
            web:
              autoscale: {min: 2, max: 4}
              operations: {op: {}}
            db:
              autoscale: {min: 0, max: 1, target_utilization: 0, interval: 0s, warmup: -1s}
              operations: {op: {}}
            q:
              autoscale: {min: 5, max: 3}
              operations: {op: {}}
            r:
              autoscale: {max: 3, target: 50%}
              operations: {op: {}}
        """))
        let at = "architecture.services"
        XCTAssertEqual(found.map(\.description), [
            "test.yaml:13:18: \(at).pay.instances: instances 9 lies outside the autoscale range [2, 8]",
            "test.yaml:17:18: \(at).web.autoscale: instances (default 1) lies outside the autoscale range [2, 4]; set instances between min and max",
            "test.yaml:20:24: \(at).db.autoscale.min: expected an integer ≥ 1, got 0",
            "test.yaml:20:55: \(at).db.autoscale.target_utilization: expected a fraction in (0, 1] like 50% or 0.5, got 0",
            "test.yaml:20:68: \(at).db.autoscale.interval: expected a positive duration, got 0s",
            "test.yaml:20:80: \(at).db.autoscale.warmup: expected a non-negative duration, got -1s",
            "test.yaml:23:32: \(at).q.autoscale.max: max 3 is less than min 5",
            "test.yaml:26:18: \(at).r.autoscale: missing required key 'min' (fewest instances)",
            "test.yaml:26:27: \(at).r.autoscale.target: unknown key 'target' (expected one of: min, max, target_utilization, interval, warmup)",
        ])
    }

    // MARK: Databases

    func testApplyWorkersAndFailover() throws {
        let s = try load(withDatabases("""
            main:
              \(Self.server)
              replicas: {count: 2, apply_workers: 8}
              failover: {after: 10s}
            other:
              \(Self.server)
              replicas: 1
            quick:
              \(Self.server)
              replicas: {count: 1}
              failover: {after: 0s}
        """))
        XCTAssertEqual(database(s, "main").applyWorkers, 8)
        XCTAssertEqual(database(s, "main").failoverAfter, 10_000_000_000)
        // Absent: 4 apply workers, no failover.
        XCTAssertEqual(database(s, "other").applyWorkers, 4)
        XCTAssertNil(database(s, "other").failoverAfter)
        XCTAssertEqual(database(s, "quick").applyWorkers, 4)
        XCTAssertEqual(database(s, "quick").failoverAfter, 0)
    }

    func testBadApplyWorkersAndFailover() {
        let found = problems(withDatabases("""
            main:
              \(Self.server)
              replicas: {count: 2, apply_workers: 0}
              failover: {after: -1s}
            solo:
              \(Self.server)
              failover: {after: 10s}
            none:
              \(Self.server)
              replicas: {count: 0, apply_worker: 2}
              failover: {aftr: 1s}
        """))
        let at = "architecture.databases"
        XCTAssertEqual(found.map(\.description), [
            "test.yaml:16:43: \(at).main.replicas.apply_workers: expected an integer ≥ 1, got 0",
            "test.yaml:17:25: \(at).main.failover.after: expected a non-negative duration, got -1s",
            "test.yaml:20:17: \(at).solo.failover: failover needs a replica to promote (replicas.count > 0)",
            "test.yaml:23:28: \(at).none.replicas.apply_worker: unknown key 'apply_worker', did you mean 'apply_workers'?",
            "test.yaml:24:17: \(at).none.failover: missing required key 'after' (a duration before a replica is promoted)",
            "test.yaml:24:17: \(at).none.failover: failover needs a replica to promote (replicas.count > 0)",
            "test.yaml:24:18: \(at).none.failover.aftr: unknown key 'aftr', did you mean 'after'?",
        ])
    }
}
