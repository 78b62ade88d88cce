// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimStats

/// Several scenarios side by side: each metric's mean and 95% CI over replications, and its
/// difference to the first scenario with a paired 95% CI (replication i of each scenario saw the
/// same arrivals, types and keys — common random numbers — so differences are paired).
public struct Comparison: Sendable {
    public struct Row: Sendable {
        public var scenario: String
        /// A request type, `all`, or `component` for component metrics.
        public var requestType: String
        /// e.g. `p99_ms`, or `main.primary:throughput_rps` for a component.
        public var metric: String
        public var value: Double
        public var ci95: Double?
        /// Difference to the first scenario (nil for the first, or where it has no such metric).
        public var diff: Double?
        public var diffCI95: Double?
    }

    public var scenarios: [String]
    public var rows: [Row]

    /// The metrics of one request type's replication, in output order.
    static func requestMetrics(_ c: RequestTypeCounts, seconds: Double) -> [(String, Double?)] {
        let has = c.latency.count > 0
        func ms(_ p: Double) -> Double? { has ? c.latency.percentile(p) / 1e6 : nil }
        return [("offered", Double(c.offered)), ("completed", Double(c.completed)), ("errors", Double(c.errors)),
                ("error_rate", c.offered == 0 ? nil : Double(c.errors) / Double(c.offered)),
                ("throughput_rps", Double(c.completed) / seconds), ("mean_ms", has ? c.latency.mean / 1e6 : nil),
                ("p50_ms", ms(50)), ("p90_ms", ms(90)), ("p95_ms", ms(95)), ("p99_ms", ms(99)), ("p999_ms", ms(99.9)),
                ("timeouts", Double(c.timeouts)), ("rejected", Double(c.rejected)), ("failed", Double(c.failed)),
                ("stale_reads", Double(c.staleReads))]
    }

    /// Scenario-wide and component metrics of one replication.
    static func componentMetrics(_ r: ReplicationResult, scenario: Scenario) -> [(String, String, Double?)] {
        var out: [(String, String, Double?)] = []
        let arch = scenario.architecture
        var reads = 0.0, writes = 0.0, gets = 0, hits = 0
        var lockWaitMax: Double?
        for db in r.databases {
            for (s, server) in db.servers.enumerated() {
                reads += Double(server.reads) / r.seconds
                writes += Double(server.served - server.reads) / r.seconds
                let name = arch.databases[db.database].serverName(shard: db.shard, server: s)
                out.append(("component", "\(name):throughput_rps", server.throughput))
                out.append(("component", "\(name):reads_rps", Double(server.reads) / r.seconds))
                out.append(("component", "\(name):utilization", server.utilization))
                if s > 0 { out.append(("component", "\(name):replication_lag_p99_ms", server.lagP99Ms)) }
                // Format 1.1 storage (only where a file uses it, so older results keep their rows).
                if let hit = server.hitRatio { out.append(("component", "\(name):hit_ratio", hit)) }
                if let disk = server.diskUtilization { out.append(("component", "\(name):disk_utilization", disk)) }
                if let lock = server.lockWaitMs {
                    out.append(("component", "\(name):lock_wait_ms", lock))
                    lockWaitMax = max(lockWaitMax ?? lock, lock)
                }
                let description = arch.databases[db.database]
                if (s == 0 ? description.primary : description.replica).maxConnections != nil {
                    out.append(("component", "\(name):rejected", Double(server.rejected)))
                }
            }
        }
        for (c, cache) in r.caches.enumerated() {
            gets += cache.gets; hits += cache.hits
            out.append(("component", "\(arch.caches[c].name):hit_ratio", cache.hitRatio))
        }
        for (s, service) in r.services.enumerated() {
            out.append(("component", "\(arch.services[s].name):throughput_rps", service.throughput))
            out.append(("component", "\(arch.services[s].name):utilization", service.utilization))
        }
        var top: [(String, String, Double?)] = [("all", "db_reads_rps", reads), ("all", "db_writes_rps", writes)]
        if !r.caches.isEmpty { top.append(("all", "cache_hit_ratio", gets == 0 ? nil : Double(hits) / Double(gets))) }
        // The hottest server's mean row-lock wait (where `lock: row` writes ran).
        if let lockWaitMax { top.append(("all", "db_lock_wait_max_ms", lockWaitMax)) }
        // What the architecture costs per hour (where a file gives `cost:`).
        if arch.hasCost { top.append(("all", "cost_per_h", r.costPerHour(arch))) }
        return top + out
    }

    /// Per scenario, per (request type, metric) key in output order: the values of each replication.
    static func table(_ r: ScenarioResult) -> [(key: String, type: String, metric: String, values: [Double?])] {
        var order: [String] = []
        var values: [String: [Double?]] = [:]          // lookup only; order comes from `order`
        var meta: [String: (String, String)] = [:]
        func add(_ type: String, _ metric: String, _ v: Double?, replication: Int) {
            let key = type + "\u{1F}" + metric
            if values[key] == nil {
                order.append(key); meta[key] = (type, metric)
                values[key] = Array(repeating: nil, count: r.replications.count)
            }
            values[key]![replication] = v
        }
        for (i, rep) in r.replications.enumerated() {
            for (t, type) in r.scenario.workload.requestTypes.enumerated() {
                for (m, v) in requestMetrics(rep.types[t], seconds: rep.seconds) { add(type.name, m, v, replication: i) }
            }
            for (m, v) in requestMetrics(rep.all, seconds: rep.seconds) { add("all", m, v, replication: i) }
            for (type, m, v) in componentMetrics(rep, scenario: r.scenario) { add(type, m, v, replication: i) }
        }
        return order.map { ($0, meta[$0]!.0, meta[$0]!.1, values[$0]!) }
    }

    /// The metric names of a result, as comparison.csv writes them (component metrics as
    /// `name:metric`), in output order.
    public static func rows(of r: ScenarioResult) -> [String] { table(r).map(\.metric) }

    /// Adds each scenario's capacity (from ``CapacitySearch``) as a `capacity_rps` row, with its
    /// difference to the first (a search result: no CI).
    public mutating func addCapacity(_ capacities: [Double], objective: String) {
        for (i, name) in scenarios.enumerated() where i < capacities.count {
            rows.append(Row(scenario: name, requestType: "all", metric: "capacity_rps", value: capacities[i], ci95: nil,
                            diff: i > 0 ? capacities[i] - capacities[0] : nil, diffCI95: nil))
        }
    }

    public init(_ results: [ScenarioResult]) {
        scenarios = results.map(\.name)
        rows = []
        guard let first = results.first else { return }
        let baseline = Self.table(first)
        var baselineByKey: [String: [Double?]] = [:]
        for entry in baseline { baselineByKey[entry.key] = entry.values }
        for (i, result) in results.enumerated() {
            for entry in Self.table(result) {
                let present = entry.values.compactMap { $0 }
                guard !present.isEmpty else { continue }
                let ci = ConfidenceInterval(present)
                var row = Row(scenario: result.name, requestType: entry.type, metric: entry.metric, value: ci.mean,
                              ci95: ci.halfWidth)
                if i > 0, let base = baselineByKey[entry.key] {
                    // Paired by replication: only replications where both have a value.
                    let pairs = zip(entry.values, base).compactMap { a, b -> Double? in
                        guard let a, let b else { return nil }
                        return a - b
                    }
                    if !pairs.isEmpty {
                        let d = ConfidenceInterval(pairs)
                        row.diff = d.mean
                        row.diffCI95 = d.halfWidth
                    }
                }
                rows.append(row)
            }
        }
    }
}
