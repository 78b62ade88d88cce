// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimStats

/// Observes one replication: per request type and per service tier, counters, histograms and
/// time-weighted gauges, and the timeseries windows. The simulation calls it as requests and
/// workers come and go; caches and databases keep their own measurements and report them at the
/// end. It keeps no per-request records, so memory is flat in simulated time.
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
    var windowEnd: Int64
    let windowWidth: Int64
    /// Circuit breakers open or half-open now.
    private(set) var breakersOpen = 0
    var rows: [WindowRow] = []

    init(scenario: Scenario) {
        warmupEnd = scenario.warmup
        end = scenario.warmup + scenario.duration
        types = scenario.workload.requestTypes.map { _ in RequestTypeCounts() }
        services = scenario.architecture.services.map {
            var c = ServiceCounts(workers: $0.workers * $0.instances)
            c.capacity.set(Double($0.workers * $0.instances), at: 0)
            c.activeInstances.set(Double($0.instances), at: 0)
            return c
        }
        windowWidth = max(1, scenario.window)
        windowEnd = min(windowWidth, end)
        let rowsExpected = Int(end / windowWidth) + 2
        rows.reserveCapacity(min(rowsExpected, 1 << 20))
    }

    /// Closes the windows that end at or before `now`, so that what happens at a window's end
    /// instant counts in the next window, whatever the order of events at that instant.
    @inline(__always) mutating func roll(_ now: Int64) {
        if now >= windowEnd { rollWindows(now) }
    }

    mutating func rollWindows(_ now: Int64) {
        while now >= windowEnd && windowStart < end {
            let p = windowLatency.percentiles([50, 99])
            rows.append(WindowRow(start: windowStart, arrivals: window.arrivals, completed: window.completed,
                                  errors: window.errors, inFlight: inFlight, p50: p[0], p99: p[1],
                                  timeouts: window.timeouts, rejected: window.rejected, failed: window.failed,
                                  retries: window.retries, breakersOpen: breakersOpen))
            window = WindowCounts()
            windowLatency.reset()
            windowStart = windowEnd
            windowEnd = min(windowStart + windowWidth, end)
        }
    }

    mutating func arrived(type: Int, measured: Bool, at now: Int64) {
        roll(now)
        inFlight += 1
        inSystem.add(1, at: now)
        window.arrivals += 1
        if measured { types[type].offered += 1; measuredInFlight += 1 }
    }

    mutating func answered(type: Int, measured: Bool, latency: Int64, failure: Failure, at now: Int64) {
        roll(now)
        inFlight -= 1
        inSystem.add(-1, at: now)
        if measured { measuredInFlight -= 1 }
        switch failure {
        case .ok: window.completed += 1; windowLatency.record(latency)
        case .timeout: window.errors += 1; window.timeouts += 1
        case .rejected: window.errors += 1; window.rejected += 1
        case .failed: window.errors += 1; window.failed += 1
        }
        guard measured else { return }
        switch failure {
        case .ok: types[type].completed += 1; types[type].latency.record(latency)
        case .rejected: types[type].rejected += 1
        case .failed: types[type].failed += 1
        case .timeout: types[type].timeouts += 1
        }
    }

    mutating func workerTaken(service s: Int, at now: Int64) {
        services[s].busy.add(1, at: now)
        services[s].busySinceStart.add(1, at: now)
    }
    mutating func workerReleased(service s: Int, at now: Int64) {
        services[s].busy.add(-1, at: now)
        services[s].busySinceStart.add(-1, at: now)
    }
    /// The autoscaler started (+1) or drained (−1) an instance of `workers` workers.
    mutating func instancesChanged(service s: Int, by delta: Int, workers: Int, at now: Int64) {
        services[s].capacity.add(Double(delta * workers), at: now)
        services[s].activeInstances.add(Double(delta), at: now)
    }
    mutating func queued(service s: Int, delta: Double, at now: Int64) { services[s].queue.add(delta, at: now) }
    mutating func waited(service s: Int, _ wait: Int64, at now: Int64) {
        if now >= warmupEnd { services[s].wait.record(wait) }
    }
    mutating func rejected(service s: Int, at now: Int64) { if now >= warmupEnd { services[s].rejected += 1 } }
    mutating func served(service s: Int, at now: Int64) { if now >= warmupEnd { services[s].served += 1 } }

    /// ∫ busy workers dt of service `s` from the start of the run (the autoscaler's view).
    func busyIntegral(service s: Int, until now: Int64) -> Double { services[s].busySinceStart.integral(until: now) }

    /// End of the warm-up: time-weighted gauges start afresh.
    mutating func restart(at now: Int64) {
        inSystem.restart(at: now)
        for s in services.indices {
            services[s].busy.restart(at: now)
            services[s].queue.restart(at: now)
            services[s].capacity.restart(at: now)
            services[s].activeInstances.restart(at: now)
        }
    }

    mutating func retried(at now: Int64) { roll(now); window.retries += 1 }
    /// A circuit breaker opened (or went half-open) from closed, or closed again.
    mutating func breakerChanged(isOpen: Bool, at now: Int64) { roll(now); breakersOpen += isOpen ? 1 : -1 }
    mutating func staleRead(type: Int, measured: Bool) { if measured { types[type].staleReads += 1 } }

    /// The replication's result: what the recorder counted, with the components' own results.
    func result(replication: Int, seed: UInt64, instances: [Int], caches: [CacheResult],
                databases: [DatabaseResult], events: UInt64, pools: PoolSizes) -> ReplicationResult {
        let seconds = Double(end - warmupEnd) / 1e9
        let serviceResults = services.enumerated().map { s, c in
            ServiceResult(instances: instances[s],
                          throughput: Double(c.served) / seconds,
                          utilization: c.capacity.mean(until: end) == 0 ? 0 : c.busy.mean(until: end) / c.capacity.mean(until: end),
                          meanInstances: c.activeInstances.mean(until: end),
                          meanWaitMs: c.wait.mean / 1e6, p99WaitMs: c.wait.percentile(99) / 1e6,
                          meanQueueLength: c.queue.mean(until: end), rejected: c.rejected, served: c.served)
        }
        return ReplicationResult(replication: replication, seed: seed, seconds: seconds, types: types,
                                 services: serviceResults, caches: caches, databases: databases,
                                 timeseries: rows, events: events, pools: pools,
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
    /// Replica reads of these requests that missed a committed write.
    public var staleReads = 0
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
    /// Busy workers from the start of the run (the autoscaler's view; never restarted).
    var busySinceStart = TimeWeighted()
    /// Workers of active instances (changes with autoscaling).
    var capacity = TimeWeighted()
    var activeInstances = TimeWeighted()
    var queue = TimeWeighted()
    var wait = LatencyHistogram()
    var rejected = 0
    var served = 0
}

struct WindowCounts {
    var arrivals = 0, completed = 0, errors = 0, timeouts = 0, rejected = 0, failed = 0, retries = 0
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
    /// Errors by kind, and call retries, in the window.
    public var timeouts: Int
    public var rejected: Int
    public var failed: Int
    public var retries: Int
    /// Circuit breakers open or half-open at the window's end.
    public var breakersOpen: Int
}

/// How large the simulation's pools grew (slots, not bytes): flat in simulated time when
/// nothing leaks.
public struct PoolSizes: Sendable {
    public var tasks: Int
    public var requests: Int
    public var events: Int
    public var databaseQueues: Int
    public var lastWrite: Int
}

/// A cache's measurements in one replication (after the warm-up), per node.
public struct CacheResult: Sendable {
    public var nodes: [CacheNodeResult]
    public var gets: Int { nodes.reduce(0) { $0 + $1.gets } }
    public var hits: Int { nodes.reduce(0) { $0 + $1.hits } }
    public var operations: Int { nodes.reduce(0) { $0 + $1.operations } }
    public var hitRatio: Double? { gets == 0 ? nil : Double(hits) / Double(gets) }
}

public struct CacheNodeResult: Sendable {
    public var gets: Int
    public var hits: Int
    public var operations: Int
    /// Node throughput (with a `service` time): busy workers over workers (nil: unbounded),
    /// the wait for a worker, and the mean queue.
    public var utilization: Double? = nil
    public var meanWaitMs: Double? = nil
    public var p99WaitMs: Double? = nil
    public var meanQueueLength: Double? = nil
    public var hitRatio: Double? { gets == 0 ? nil : Double(hits) / Double(gets) }
}

/// A database's measurements in one replication, one shard of it (the whole database when it
/// has one shard): server 0 is the configured primary.
public struct DatabaseResult: Sendable {
    /// The database's index in the architecture, and the shard.
    public var database: Int
    public var shard: Int
    public var servers: [DatabaseServerResult]
    /// Writes lost by a failover.
    public var lostWrites: Int
}

public struct DatabaseServerResult: Sendable {
    /// Queries served per second (a replica's applied writes are not counted).
    public var throughput: Double
    public var utilization: Double
    public var meanWaitMs: Double
    public var p99WaitMs: Double
    public var meanQueueLength: Double
    public var staleReads: Int
    public var lagP50Ms: Double?
    public var lagP99Ms: Double?
    public var served: Int
    /// Reads among `served`.
    public var reads: Int
    /// Replicated writes that became visible out of commit order (always 0).
    public var orderViolations: Int
    /// Last write visible here, and last committed, at the end.
    public var visible: Int64
    public var committed: Int64
    /// Queries rejected past `max_connections`.
    public var rejected: Int
    /// The buffer pool's hits over keyed reads (nil: no buffer pool, or no keyed read).
    public var hitRatio: Double?
    /// Mean wait for a disk of reads that missed (nil: unbounded disks or no miss).
    public var diskWaitMs: Double?
    /// Busy disks over disks (nil: unbounded).
    public var diskUtilization: Double?
    /// Mean time from a write's end to its commit being durable (nil: no redo log).
    public var commitMs: Double?
    /// Mean commits per redo-log flush (nil: no redo log, or no flush).
    public var flushBatch: Double?
    /// Mean and p99 wait of `lock: row` writes for their row's lock (nil: none here).
    public var lockWaitMs: Double?
    public var p99LockWaitMs: Double?
}

/// A service tier's measurements in one replication (after the warm-up).
public struct ServiceResult: Sendable {
    public var instances: Int
    public var throughput: Double
    /// Busy workers over the workers of active instances, time-averaged.
    public var utilization: Double
    /// Time-averaged active instances (differs from `instances` with autoscaling).
    public var meanInstances: Double
    public var meanWaitMs: Double
    public var p99WaitMs: Double
    /// Time-averaged number of requests waiting for a worker, all instances together.
    public var meanQueueLength: Double
    public var rejected: Int
    public var served: Int
    /// CPU work done over the cores it runs on (services with `cores` or a host; nil otherwise).
    public var cpuUtilization: Double? = nil
    /// Client connection pools: mean and p99 wait for a connection (nil: no pool).
    public var poolWaitMs: Double? = nil
    public var p99PoolWaitMs: Double? = nil
}

/// A host kind's machines in one replication (after the warm-up).
public struct HostResult: Sendable {
    /// Busy cores over all cores of its machines, time-averaged.
    public var utilization: Double
    /// CPU jobs completed per second, all machines together.
    public var throughput: Double
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
    /// Per cache, in file order.
    public var caches: [CacheResult]
    /// Per database, in file order.
    public var databases: [DatabaseResult]
    public var timeseries: [WindowRow]
    /// Per host kind, in file order (format 1.1).
    public var hosts: [HostResult] = []
    public var events: UInt64
    /// Sizes of the simulation's pools at the end (memory diagnostics).
    public var pools: PoolSizes
    /// Requests (warm-up included) still unanswered at the end.
    public var inFlightAtEnd: Int
    /// Measured requests still unanswered at the end, counted independently of `types`:
    /// conservation says offered = completed + errors + this.
    public var measuredInFlightAtEnd: Int
    /// Time-averaged number of requests in the system (sent, not answered) after the warm-up.
    public var meanInSystem: Double
    /// With `--breakdown`: per request type, then all, where the answered requests' time went
    /// (nil for a type without any).
    public var breakdown: [BreakdownResult?]? = nil

    /// All request types together.
    public var all: RequestTypeCounts {
        var total = RequestTypeCounts()
        for t in types {
            total.offered += t.offered; total.completed += t.completed; total.timeouts += t.timeouts
            total.rejected += t.rejected; total.failed += t.failed; total.latency.add(t.latency)
            total.staleReads += t.staleReads
        }
        return total
    }
}
