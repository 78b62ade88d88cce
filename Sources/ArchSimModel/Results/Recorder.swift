// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimStats

/// Observes one replication: counters, histograms and time-weighted gauges. Components call it;
/// it keeps no per-request records, so memory is flat in simulated time.
struct Recorder {
    let warmupEnd: Int64
    let end: Int64
    var types: [RequestTypeCounts]
    var services: [ServiceCounts]
    /// Requests sent and not yet answered (all of them, warm-up included).
    var inFlight = 0
    /// Measured requests sent and not yet answered, counted on their own (conservation check).
    var measuredInFlight = 0
    /// Time-weighted number of requests in the system, after the warm-up (Little's law check).
    var inSystem = TimeWeighted()
    // The current timeseries window.
    var window = WindowCounts()
    var windowLatency = LatencyHistogram()
    var windowStart: Int64 = 0
    var rows: [WindowRow] = []

    init(scenario: Scenario) {
        warmupEnd = scenario.warmup
        end = scenario.warmup + scenario.duration
        types = scenario.workload.requestTypes.map { _ in RequestTypeCounts() }
        services = scenario.architecture.services.map { ServiceCounts(workers: $0.workers * $0.instances) }
        let rowsExpected = Int(end / max(1, scenario.window)) + 2
        rows.reserveCapacity(min(rowsExpected, 1 << 20))
    }

    mutating func arrived(type: Int, measured: Bool, at now: Int64) {
        inFlight += 1
        inSystem.add(1, at: now)
        window.arrivals += 1
        if measured { types[type].offered += 1; measuredInFlight += 1 }
    }

    mutating func answered(type: Int, measured: Bool, latency: Int64, failure: Failure, at now: Int64) {
        inFlight -= 1
        inSystem.add(-1, at: now)
        if measured { measuredInFlight -= 1 }
        if failure == .ok {
            window.completed += 1
            windowLatency.record(latency)
        } else {
            window.errors += 1
        }
        guard measured else { return }
        switch failure {
        case .ok: types[type].completed += 1; types[type].latency.record(latency)
        case .rejected: types[type].rejected += 1
        case .failed: types[type].failed += 1
        case .timeout: types[type].timeouts += 1
        }
    }

    mutating func workerTaken(service s: Int, at now: Int64) { services[s].busy.add(1, at: now) }
    mutating func workerReleased(service s: Int, at now: Int64) { services[s].busy.add(-1, at: now) }
    mutating func queued(service s: Int, delta: Double, at now: Int64) { services[s].queue.add(delta, at: now) }
    mutating func waited(service s: Int, _ wait: Int64, at now: Int64) {
        if now >= warmupEnd { services[s].wait.record(wait) }
    }
    mutating func rejected(service s: Int, at now: Int64) { if now >= warmupEnd { services[s].rejected += 1 } }
    mutating func served(service s: Int, at now: Int64) { if now >= warmupEnd { services[s].served += 1 } }

    /// End of the warm-up: time-weighted gauges start afresh.
    mutating func restart(at now: Int64, simulation: Simulation) {
        inSystem.restart(at: now)
        for s in services.indices {
            services[s].busy.restart(at: now)
            services[s].queue.restart(at: now)
        }
    }

    mutating func closeWindow(at now: Int64, inFlight: Int) {
        rows.append(WindowRow(start: windowStart, arrivals: window.arrivals, completed: window.completed,
                              errors: window.errors, inFlight: inFlight,
                              p50: windowLatency.percentile(50), p99: windowLatency.percentile(99)))
        window = WindowCounts()
        windowLatency.reset()
        windowStart = now
    }

    func result(replication: Int, seed: UInt64, simulation: Simulation) -> ReplicationResult {
        let seconds = Double(end - warmupEnd) / 1e9
        let serviceResults = services.enumerated().map { s, c in
            ServiceResult(instances: simulation.scenario.architecture.services[s].instances,
                          throughput: Double(c.served) / seconds,
                          utilization: c.workers == 0 ? 0 : c.busy.mean(until: end) / Double(c.workers),
                          meanWaitMs: c.wait.mean / 1e6, p99WaitMs: c.wait.percentile(99) / 1e6,
                          meanQueueLength: c.queue.mean(until: end), rejected: c.rejected, served: c.served)
        }
        return ReplicationResult(replication: replication, seed: seed, seconds: seconds, types: types,
                                 services: serviceResults, timeseries: rows, events: simulation.events.processed,
                                 inFlightAtEnd: inFlight, measuredInFlightAtEnd: measuredInFlight,
                                 meanInSystem: inSystem.mean(until: end))
    }
}

/// What happened to one request type's measured requests in one replication.
public struct RequestTypeCounts: Sendable {
    public var offered = 0
    public var completed = 0
    public var timeouts = 0
    public var rejected = 0
    public var failed = 0
    /// Latencies of completed requests (ns).
    public var latency = LatencyHistogram()
    public var errors: Int { timeouts + rejected + failed }
    /// Offered and neither completed nor failed by the end of the run.
    public var inFlight: Int { offered - completed - errors }
    public init() {}
}

struct ServiceCounts {
    let workers: Int
    var busy = TimeWeighted()
    var queue = TimeWeighted()
    var wait = LatencyHistogram()
    var rejected = 0
    var served = 0
}

struct WindowCounts {
    var arrivals = 0, completed = 0, errors = 0
}

/// One window of timeseries.csv.
public struct WindowRow: Sendable {
    /// Window start (ns of simulated time, warm-up included).
    public var start: Int64
    public var arrivals: Int
    public var completed: Int
    public var errors: Int
    /// Requests outstanding at the window's end.
    public var inFlight: Int
    /// Latency percentiles (ns) of the requests completed in the window; 0 when none.
    public var p50: Double
    public var p99: Double
}

/// A service tier's measurements in one replication (after the warm-up).
public struct ServiceResult: Sendable {
    public var instances: Int
    public var throughput: Double
    public var utilization: Double
    public var meanWaitMs: Double
    public var p99WaitMs: Double
    /// Time-averaged number of requests waiting for a worker, all instances together.
    public var meanQueueLength: Double
    public var rejected: Int
    public var served: Int
}

/// Everything one replication measured.
public struct ReplicationResult: Sendable {
    public var replication: Int
    public var seed: UInt64
    /// Measured simulated seconds (duration).
    public var seconds: Double
    /// Per request type, in mix order.
    public var types: [RequestTypeCounts]
    /// Per service, in file order.
    public var services: [ServiceResult]
    public var timeseries: [WindowRow]
    public var events: UInt64
    /// Requests (warm-up included) still unanswered at the end.
    public var inFlightAtEnd: Int
    /// Measured requests still unanswered at the end, counted independently of `types`:
    /// conservation says offered = completed + errors + this.
    public var measuredInFlightAtEnd: Int
    /// Time-averaged number of requests in the system (sent, not answered) after the warm-up.
    public var meanInSystem: Double

    /// All request types together.
    public var all: RequestTypeCounts {
        var total = RequestTypeCounts()
        for t in types {
            total.offered += t.offered; total.completed += t.completed; total.timeouts += t.timeouts
            total.rejected += t.rejected; total.failed += t.failed; total.latency.add(t.latency)
        }
        return total
    }
}
