// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimStats

/// A scenario's replications and what they add up to: the rows of summary.csv and
/// components.csv. Values are means over replications; `meanCI95` is the Student-t half-width.
public struct ScenarioResult: Sendable {
    public var name: String
    public var scenario: Scenario
    /// In replication order.
    public var replications: [ReplicationResult]

    public init(scenario: Scenario, replications: [ReplicationResult]) {
        self.name = scenario.name; self.scenario = scenario; self.replications = replications
    }

    /// One row per request type (mix order), then `all`.
    public var summary: [SummaryRow] {
        var rows: [SummaryRow] = []
        for (i, type) in scenario.workload.requestTypes.enumerated() {
            rows.append(SummaryRow(requestType: type.name, replications.map { $0.types[i] }, seconds: replications.map(\.seconds)))
        }
        rows.append(SummaryRow(requestType: "all", replications.map(\.all), seconds: replications.map(\.seconds)))
        return rows
    }

    /// One row per component (services in file order).
    public var components: [ComponentRow] {
        scenario.architecture.services.enumerated().map { s, service in
            let r = replications.map { $0.services[s] }
            func mean(_ f: (ServiceResult) -> Double) -> Double { ConfidenceInterval(r.map(f)).mean }
            return ComponentRow(component: service.name, kind: "service", instances: service.instances,
                                throughput: mean(\.throughput), utilization: mean(\.utilization),
                                meanWaitMs: mean(\.meanWaitMs), p99WaitMs: mean(\.p99WaitMs),
                                meanQueueLength: mean(\.meanQueueLength), rejected: mean { Double($0.rejected) })
        }
    }
}

/// A row of summary.csv. Times in ms.
public struct SummaryRow: Sendable {
    public var requestType: String
    public var replications: Int
    public var offered, completed, errors, timeouts, rejected, failed: Double
    public var throughput: Double
    public var meanMs: Double
    public var meanCI95Ms: Double?
    public var p50Ms, p90Ms, p95Ms, p99Ms, p999Ms, maxMs: Double
    /// Per-replication mean latency (ms) of replications that completed requests, for paired comparisons.
    public var replicationMeansMs: [Double]

    init(requestType: String, _ counts: [RequestTypeCounts], seconds: [Double]) {
        self.requestType = requestType
        replications = counts.count
        func mean(_ f: (RequestTypeCounts) -> Double) -> Double { ConfidenceInterval(counts.map(f)).mean }
        offered = mean { Double($0.offered) }
        completed = mean { Double($0.completed) }
        errors = mean { Double($0.errors) }
        timeouts = mean { Double($0.timeouts) }
        rejected = mean { Double($0.rejected) }
        failed = mean { Double($0.failed) }
        throughput = ConfidenceInterval(zip(counts, seconds).map { Double($0.completed) / $1 }).mean
        let withLatency = counts.filter { $0.latency.count > 0 }
        replicationMeansMs = withLatency.map { $0.latency.mean / 1e6 }
        let ci = ConfidenceInterval(replicationMeansMs)
        meanMs = ci.mean
        meanCI95Ms = ci.halfWidth
        func pct(_ p: Double) -> Double { ConfidenceInterval(withLatency.map { $0.latency.percentile(p) / 1e6 }).mean }
        p50Ms = pct(50); p90Ms = pct(90); p95Ms = pct(95); p99Ms = pct(99); p999Ms = pct(99.9)
        maxMs = ConfidenceInterval(withLatency.map { Double($0.latency.max) / 1e6 }).mean
    }
}

/// A row of components.csv; cells that do not apply are nil.
public struct ComponentRow: Sendable {
    public var component: String
    public var kind: String
    public var instances: Int
    public var throughput: Double
    public var utilization: Double?
    public var meanWaitMs: Double?
    public var p99WaitMs: Double?
    public var meanQueueLength: Double?
    public var rejected: Double?
    public var hitRatio: Double? = nil
    public var staleReads: Double? = nil
    public var replicationLagP99Ms: Double? = nil
}
