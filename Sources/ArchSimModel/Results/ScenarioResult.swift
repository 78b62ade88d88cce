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

    /// One row per component: services, then each cache and its nodes, then each database's
    /// primary and replicas, in file order.
    public var components: [ComponentRow] {
        func mean<T>(_ values: [T], _ f: (T) -> Double) -> Double { ConfidenceInterval(values.map(f)).mean }
        func meanOfPresent<T>(_ values: [T], _ f: (T) -> Double?) -> Double? {
            let present = values.compactMap(f)
            return present.isEmpty ? nil : ConfidenceInterval(present).mean
        }
        let arch = scenario.architecture
        var rows: [ComponentRow] = arch.services.enumerated().map { s, service in
            let r = replications.map { $0.services[s] }
            return ComponentRow(component: service.name, kind: "service", instances: service.instances,
                                throughput: mean(r, \.throughput), utilization: mean(r, \.utilization),
                                meanWaitMs: mean(r, \.meanWaitMs), p99WaitMs: mean(r, \.p99WaitMs),
                                meanQueueLength: mean(r, \.meanQueueLength), rejected: mean(r) { Double($0.rejected) },
                                meanInstances: mean(r, \.meanInstances), poolWaitMs: meanOfPresent(r, \.poolWaitMs),
                                p99PoolWaitMs: meanOfPresent(r, \.p99PoolWaitMs), cpuUtilization: meanOfPresent(r, \.cpuUtilization))
        }
        let seconds = replications.map(\.seconds)
        for (c, cache) in arch.caches.enumerated() {
            let r = replications.map { $0.caches[c] }
            var row = ComponentRow(component: cache.name, kind: "cache", instances: cache.nodes,
                                   throughput: ConfidenceInterval(zip(r, seconds).map { Double($0.operations) / $1 }).mean)
            row.hitRatio = meanOfPresent(r, \.hitRatio)
            rows.append(row)
            for n in 0..<cache.nodes {
                var node = ComponentRow(component: "\(cache.name)[\(n)]", kind: "cache", instances: 1,
                                        throughput: ConfidenceInterval(zip(r, seconds).map { Double($0.nodes[n].operations) / $1 }).mean)
                node.hitRatio = meanOfPresent(r) { $0.nodes[n].hitRatio }
                if cache.service != nil {
                    node.utilization = meanOfPresent(r) { $0.nodes[n].utilization }
                    node.meanWaitMs = meanOfPresent(r) { $0.nodes[n].meanWaitMs }
                    node.p99WaitMs = meanOfPresent(r) { $0.nodes[n].p99WaitMs }
                    node.meanQueueLength = meanOfPresent(r) { $0.nodes[n].meanQueueLength }
                }
                rows.append(node)
            }
        }
        // Each database's shards in order (one replica set each, flattened in the results).
        var set = 0
        for db in arch.databases {
            for shard in 0..<db.shards {
                let r = replications.map { $0.databases[set] }
                set += 1
                for s in 0...db.replicaCount {
                    let servers = r.map { $0.servers[s] }
                    let server = s == 0 ? db.primary : db.replica
                    var row = ComponentRow(component: db.serverName(shard: shard, server: s),
                                           kind: s == 0 ? "db_primary" : "db_replica", instances: 1,
                                           throughput: mean(servers, \.throughput), utilization: mean(servers, \.utilization),
                                           meanWaitMs: mean(servers, \.meanWaitMs), p99WaitMs: mean(servers, \.p99WaitMs),
                                           meanQueueLength: mean(servers, \.meanQueueLength), rejected: nil)
                    if server.maxConnections != nil { row.rejected = mean(servers) { Double($0.rejected) } }
                    if server.bufferPool != nil { row.hitRatio = meanOfPresent(servers, \.hitRatio) }
                    row.diskWaitMs = meanOfPresent(servers, \.diskWaitMs)
                    row.diskUtilization = meanOfPresent(servers, \.diskUtilization)
                    row.commitMs = meanOfPresent(servers, \.commitMs)
                    row.flushBatch = meanOfPresent(servers, \.flushBatch)
                    row.lockWaitMs = meanOfPresent(servers, \.lockWaitMs)
                    row.p99LockWaitMs = meanOfPresent(servers, \.p99LockWaitMs)
                    if s > 0 {
                        row.staleReads = mean(servers) { Double($0.staleReads) }
                        row.replicationLagP99Ms = meanOfPresent(servers, \.lagP99Ms)
                        row.replicationLagP50Ms = meanOfPresent(servers, \.lagP50Ms)
                    } else if db.replicaCount > 0 {
                        row.lostWrites = mean(r) { Double($0.lostWrites) }
                    }
                    rows.append(row)
                }
            }
        }
        for (h, host) in arch.hosts.enumerated() {
            let r = replications.map { $0.hosts[h] }
            let utilization = mean(r, \.utilization)
            rows.append(ComponentRow(component: host.name, kind: "host", instances: host.count, throughput: mean(r, \.throughput),
                                     utilization: utilization, cpuUtilization: utilization))
        }
        return rows
    }
}

/// A row of summary.csv. Times in ms.
public struct SummaryRow: Sendable {
    public var requestType: String
    public var replications: Int
    public var offered, completed, errors, timeouts, rejected, failed: Double
    /// Reads from replicas that missed a committed write.
    public var staleReads: Double
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
        staleReads = mean { Double($0.staleReads) }
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
    public var replicationLagP50Ms: Double? = nil
    /// Writes lost by failovers (a primary's row).
    public var lostWrites: Double? = nil
    /// Time-averaged active instances of a service (autoscaling).
    public var meanInstances: Double? = nil
    // Storage columns (written when the architecture uses them; see
    // ``Architecture/usesStorageColumns``).
    /// Mean wait for a disk of a database server's reads that missed its buffer pool.
    public var diskWaitMs: Double? = nil
    /// Busy disks over disks.
    public var diskUtilization: Double? = nil
    /// Mean time from a write's end to its commit being durable (redo-log wait and flush).
    public var commitMs: Double? = nil
    /// Mean commits per redo-log flush.
    public var flushBatch: Double? = nil
    /// Mean and p99 wait of `lock: row` writes for their row's lock.
    public var lockWaitMs: Double? = nil
    public var p99LockWaitMs: Double? = nil
    /// A service's mean and p99 wait for a client pool connection.
    public var poolWaitMs: Double? = nil
    public var p99PoolWaitMs: Double? = nil
    /// Busy cores over cores: services with `cores` or a host, and hosts.
    public var cpuUtilization: Double? = nil

    public init(component: String, kind: String, instances: Int, throughput: Double, utilization: Double? = nil,
                meanWaitMs: Double? = nil, p99WaitMs: Double? = nil, meanQueueLength: Double? = nil, rejected: Double? = nil,
                meanInstances: Double? = nil, poolWaitMs: Double? = nil, p99PoolWaitMs: Double? = nil,
                cpuUtilization: Double? = nil) {
        self.meanInstances = meanInstances
        self.poolWaitMs = poolWaitMs; self.p99PoolWaitMs = p99PoolWaitMs; self.cpuUtilization = cpuUtilization
        self.component = component; self.kind = kind; self.instances = instances; self.throughput = throughput
        self.utilization = utilization; self.meanWaitMs = meanWaitMs; self.p99WaitMs = p99WaitMs
        self.meanQueueLength = meanQueueLength; self.rejected = rejected
    }
}
