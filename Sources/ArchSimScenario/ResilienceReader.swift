// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimKernel
import ArchSimModel

/// Keys that say how components cope with failure: a call step's timeout, retries and circuit
/// breaker; a service's health check and autoscaler; a database's failover. Each reader returns
/// the description type's defaults for what is absent, and for what does not read (reported).
extension ScenarioReader {
    /// The `timeout`, `retries` and `circuit_breaker` keys beside `call:` in step `m`.
    func callPolicy(_ m: MapReader) -> CallPolicy {
        var policy = CallPolicy()
        if let v = m["timeout"] { policy.timeout = duration(v, allowZero: false) }
        if let v = m["retries"] {
            if v.node.text != nil {
                policy.retries = retryCount(v) ?? 0
            } else if let r = map(v, expected: "a retry count or {count, backoff}") {
                r.checkKeys(FormatKeys.retries.names, diagnostics)
                policy.retries = r.require("count", diagnostics, "attempts after a failed one").flatMap(retryCount) ?? 0
                if let b = r["backoff"], let d = distribution(b) { policy.backoff = d }
            }
        }
        if let v = m["circuit_breaker"] { policy.circuitBreaker = circuitBreaker(v) }
        return policy
    }

    private func retryCount(_ c: Cursor) -> Int? { integer(c, minimum: 0, "an integer ≥ 0", maximum: Limits.retries) }

    /// `{error_rate, window, min_calls, open_for}`; `{}` is a breaker with every default.
    private func circuitBreaker(_ c: Cursor) -> CircuitBreakerPolicy? {
        guard let m = map(c, expected: "a circuit breaker {error_rate, window, min_calls, open_for} ({} for the defaults)") else {
            return nil
        }
        m.checkKeys(FormatKeys.circuitBreaker.names, diagnostics)
        var breaker = CircuitBreakerPolicy()
        if let v = m["error_rate"], let x = fraction(v) { breaker.errorRate = x }
        if let v = m["window"], let x = duration(v, allowZero: false) { breaker.window = x }
        if let v = m["min_calls"], let x = integer(v, minimum: 1, "an integer ≥ 1", maximum: Limits.thresholdCount) {
            breaker.minimumCalls = x
        }
        if let v = m["open_for"], let x = duration(v, allowZero: false) { breaker.openFor = x }
        return breaker
    }

    /// A service's `health_check: {interval, unhealthy_after}`.
    func healthCheck(_ c: Cursor) -> HealthCheck {
        var check = HealthCheck()
        guard let m = map(c, expected: "a health check {interval, unhealthy_after}") else { return check }
        m.checkKeys(FormatKeys.healthCheck.names, diagnostics)
        if let v = m["interval"], let x = duration(v, allowZero: false) { check.interval = x }
        if let v = m["unhealthy_after"], let x = integer(v, minimum: 1, "an integer ≥ 1", maximum: Limits.thresholdCount) {
            check.unhealthyAfter = x
            // The balancer notices a crash (unhealthy_after − 1) intervals after the first failed probe.
            if Double(x - 1) * Double(check.interval) > Limits.duration {
                report(v, "unhealthy_after \(x) probes at intervals of \(ScenarioValues.format(Double(check.interval))) "
                       + "take longer than \(Limits.durationText)")
            }
        }
        return check
    }

    /// A service's `autoscale: {min, max, target_utilization, interval, warmup}`; `min` and `max`
    /// are required, and the service's `instances` (nil if it did not read; `instancesGiven` is
    /// its value when written) must lie between them.
    func autoscale(_ c: Cursor, instances: Int?, instancesGiven: Cursor?) -> Autoscale? {
        guard let m = map(c, expected: "an autoscaler {min, max, target_utilization, interval, warmup}") else { return nil }
        m.checkKeys(FormatKeys.autoscale.names, diagnostics)
        let minCursor = m.require("min", diagnostics, "fewest instances")
        let maxCursor = m.require("max", diagnostics, "most instances")
        let low = minCursor.flatMap { integer($0, minimum: 1, "an integer ≥ 1", maximum: Limits.instances) }
        let high = maxCursor.flatMap { integer($0, minimum: 1, "an integer ≥ 1", maximum: Limits.instances) }
        var scale = Autoscale(min: low ?? 1, max: high ?? max(low ?? 1, 1))
        if let v = m["target_utilization"], let x = fraction(v) { scale.targetUtilization = x }
        if let v = m["interval"], let x = duration(v, allowZero: false) { scale.interval = x }
        if let v = m["warmup"], let x = duration(v, allowZero: true) { scale.warmup = x }
        guard let low, let high, let maxCursor else { return scale }
        if high < low {
            report(maxCursor, "max \(high) is less than min \(low)")
            scale.max = low
        } else if let instances, !(low...high).contains(instances) {
            let range = "autoscale range [\(low), \(high)]"
            if let given = instancesGiven {
                report(given, "instances \(instances) lies outside the \(range)")
            } else {
                report(c, "instances (default \(instances)) lies outside the \(range); set instances between min and max")
            }
        }
        return scale
    }

    /// A database's `failover: {after}`: how long (ns, ≥ 0) before a replica is promoted.
    func failover(_ c: Cursor) -> Nanoseconds? {
        guard let m = map(c, expected: "a failover {after: duration}") else { return nil }
        m.checkKeys(FormatKeys.failover.names, diagnostics)
        return m.require("after", diagnostics, "a duration before a replica is promoted").flatMap { duration($0, allowZero: true) }
    }
}
