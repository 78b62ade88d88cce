// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimKernel
import ArchSimStats

/// What a run will cost, estimated from the scenario alone before anything runs: memory (the
/// parts that grow with the model's size) and events (from the offered rate and the work each
/// request does). Deterministic: the same scenario gives the same estimate on every machine.
///
/// It is an estimate, not a bound. Memory counts what the model allocates for its size
/// (instances, cache and buffer-pool slots, per-key state, histograms, timeseries rows kept until the end), not
/// the requests in flight: an overloaded open workload keeps every waiting request, and grows
/// with simulated time (components.csv's queue lengths show it).
public struct PreflightEstimate: Sendable {
    /// Bytes of one replication, by part, in a fixed order.
    public var parts: [(name: String, bytes: Double)]
    /// Replications that run at once (`jobs`, at most the replications).
    public var concurrent: Int
    /// Expected events per simulated second (warm-up included).
    public var eventsPerSecond: Double
    /// Expected events of the whole run, every replication together.
    public var totalEvents: Double
    /// Results kept until the end, every replication together (histograms, timeseries rows).
    public var keptBytes: Double

    /// The process itself: code, libraries, the runtime.
    static let processBytes = 40e6
    /// One latency histogram (HdrHistogram layout, 3 significant digits) keeps counts for the
    /// powers of two its values span, 8 KB each: 8 of them (0.1–25 ms, say) is the estimate;
    /// the whole range would be 310 KB.
    static let histogramBytes = 8.0 * Double(LatencyHistogram.halfCount * 8)
    /// Measured sizes, rounded up: a service instance with its pool and queue; a cache slot
    /// (entry, hash cell, eviction links); a timeseries row.
    static let instanceBytes = 512.0, cacheSlotBytes = 64.0, windowRowBytes = 128.0
    /// Per database server: its state and two histograms (wait, lag).
    static let serverBytes = 1_024.0 + 2 * histogramBytes

    /// Peak memory: the process, the replications running at once, and the results kept.
    public var peakBytes: Double { Self.processBytes + Double(concurrent) * bytesPerReplication + keptBytes }
    public var bytesPerReplication: Double { parts.reduce(0) { $0 + $1.bytes } }

    public init(_ scenario: Scenario, jobs: Int) {
        let arch = scenario.architecture, workload = scenario.workload
        let replications = Double(scenario.replications)
        concurrent = max(1, min(jobs, scenario.replications))
        let instances = arch.services.reduce(0.0) { $0 + Double(max($1.instances, $1.autoscale?.max ?? 0)) }
        // Cache slots, and buffer-pool rows (the same store), of every server that keeps them.
        let cacheSlots = arch.caches.reduce(0.0) { $0 + Double($1.capacity) }
            + arch.databases.reduce(0.0) {
                $0 + Double($1.shards) * (Double($1.primary.bufferPool?.capacity ?? 0)
                                          + Double($1.replicaCount * ($1.replica.bufferPool?.capacity ?? 0)))
            }
        let servers = arch.databases.reduce(0.0) { $0 + Double($1.shards * (1 + $1.replicaCount)) }
        // Arrivals per second at the peak.
        let rate: Double
        switch workload.arrivals {
        case .open(_, .constant(let r)): rate = r
        case .open(_, .profile(let points)): rate = points.map(\.perSecond).max() ?? 0
        case .closed(let users, let think):
            // At most one request per user per think time (never less than 1 ms of it).
            rate = Double(users) / max(1e-3, think.mean / 1e9)
        }
        let requests = rate * Double(scenario.warmup + scenario.duration) / 1e9
        // Per-key state: a database that reads from replicas keeps the sequence number of the
        // last write of each key written (a sparse table, ≤ 64 bytes per key): at most the
        // keys of the space, at most one per request of the run.
        var keyState = 0.0
        for (d, db) in arch.databases.enumerated() where db.readsFrom == .replicas && db.replicaCount > 0 {
            var spaces = Set<Int>()
            for (t, type) in workload.requestTypes.enumerated() {
                guard let space = type.keySpace else { continue }
                let route = arch.routes[t]
                if Self.writes(database: d, from: route, arch, depth: 0) { spaces.insert(space) }
            }
            for space in spaces.sorted() { keyState += 64 * min(Double(workload.keySpaces[space].count), requests) }
        }
        let windows = (Double(scenario.warmup + scenario.duration) / Double(max(1, scenario.window))).rounded(.up)
        // Histograms per replication: request types, services (wait), the timeseries window.
        let histograms = Double(workload.requestTypes.count + arch.services.count + 1) * Self.histogramBytes
        parts = [
            ("service instances", instances * Self.instanceBytes),
            ("cache slots", cacheSlots * Self.cacheSlotBytes),
            ("per-key state", keyState),
            ("database servers", servers * Self.serverBytes),
            ("histograms", histograms),
            ("timeseries rows", windows * Self.windowRowBytes),
        ]
        // Kept until the end: each finished replication's histograms (request types) and rows.
        keptBytes = replications * (Double(workload.requestTypes.count) * Self.histogramBytes + windows * Self.windowRowBytes)

        // Events: arrivals times the events each request causes along its route.
        let totalWeight = workload.requestTypes.reduce(0) { $0 + $1.weight }
        var perRequest = 0.0
        for (t, type) in workload.requestTypes.enumerated() where totalWeight > 0 {
            var events = 1 + (type.timeout == nil ? 0 : 1)
            events += Self.events(of: arch.routes[t], arch, depth: 0)
            perRequest += type.weight / totalWeight * Double(events)
        }
        eventsPerSecond = rate * perRequest + 1e9 / Double(max(1, scenario.window))
        totalEvents = eventsPerSecond * Double(scenario.warmup + scenario.duration) / 1e9 * replications
    }

    /// Events one call of `ref` causes: one per compute or wait, hops both ways, each database
    /// query's start and end, each replica's shipment and apply of a write.
    static func events(of ref: OperationRef, _ arch: Architecture, depth: Int) -> Int {
        guard depth < 64 else { return 0 }   // the reader refuses call cycles; this only bounds the walk
        let op = arch.services[ref.service].operations[ref.operation]
        let hops = isZero(arch.hop) ? 0 : 1
        func of(_ steps: [Step]) -> Int {
            steps.reduce(0) { total, step in
                switch step {
                case .cpu, .delay: return total + 1
                case .call(let callee, _): return total + 1 + 2 * hops + events(of: callee, arch, depth: depth + 1)
                case .parallel(let branches): return total + of(branches)
                case .cacheGet(_, let onMiss): return total + 1 + of(onMiss)
                case .cacheSet, .cacheDelete: return total + 1
                case .dbRead: return total + 2 + hops
                case .dbWrite(let d, _): return total + 2 + hops + 2 * arch.databases[d].replicaCount
                }
            }
        }
        return (op.cpu == nil ? 0 : 1) + of(op.steps) + 1
    }

    /// Whether a call of `ref` writes database `d` (directly or through the calls it makes).
    static func writes(database d: Int, from ref: OperationRef, _ arch: Architecture, depth: Int) -> Bool {
        guard depth < 64 else { return false }
        func scan(_ steps: [Step]) -> Bool {
            steps.contains { step in
                switch step {
                case .dbWrite(let w, _): return w == d
                case .call(let callee, _): return writes(database: d, from: callee, arch, depth: depth + 1)
                case .parallel(let branches): return scan(branches)
                case .cacheGet(_, let onMiss): return scan(onMiss)
                default: return false
                }
            }
        }
        return scan(arch.services[ref.service].operations[ref.operation].steps)
    }

    static func isZero(_ d: Distribution) -> Bool {
        if case .constant(let v) = d { return v == 0 }
        return false
    }

    /// One line per part and the totals, for `archsim check`.
    public var description: String {
        var lines = ["estimate: peak memory ~\(Self.format(bytes: peakBytes)) (\(concurrent) replication(s) at once, "
                     + "~\(Self.format(bytes: bytesPerReplication)) each; results kept ~\(Self.format(bytes: keptBytes))); "
                     + "~\(Self.format(count: eventsPerSecond)) events per simulated second, ~\(Self.format(count: totalEvents)) in all"]
        for part in parts where part.bytes >= 1e6 { lines.append("  \(part.name): ~\(Self.format(bytes: part.bytes))") }
        return lines.joined(separator: "\n")
    }

    public static func format(bytes: Double) -> String {
        if bytes >= 1e9 { return "\(String(format: "%.1f", bytes / 1e9)) GB" }
        return "\(Int((bytes / 1e6).rounded(.up))) MB"
    }

    public static func format(count: Double) -> String {
        switch count {
        case 1e12...: return String(format: "%.1fT", count / 1e12)
        case 1e9...: return String(format: "%.1fG", count / 1e9)
        case 1e6...: return String(format: "%.1fM", count / 1e6)
        case 1e3...: return String(format: "%.1fk", count / 1e3)
        default: return String(format: "%.0f", count)
        }
    }
}
