// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimBackend
import ArchSimKernel
import Foundation

/// What `archsim calibrate` does: start the backend in-process, measure its capacity (closed
/// loop), then measure each stage at low load (open loop), fit the stages, and write a scenario
/// the simulator runs as it is.
///
/// ## The calibrated model
/// One service `app` (the backend's HTTP tier; `io: async`, as Hummingbird runs one task per
/// request and waiting on SQLite frees it; `workers` large, as nothing bounds the tasks) in
/// front of the cache `products` and the database `shop` (primary: one connection, SQLite's
/// single writer; replicas: one connection per reader of their pools, one log applier each).
///
/// Each request type's operation: the handler's compute as `cpu`, the measured HTTP hop (client
/// time minus server time) as a further step, then the cache and database steps it performs.
///
/// **Cores.** All of it runs on this machine's cores (`cores:` = the number of cores the
/// process may use). But at low load most of a request's measured time is not CPU — threads
/// waking up, hand-offs between the event loop, the task pool and SQLite's queues — so the
/// compute and hop times are each split: the fraction `cpuShare` is CPU work (processor sharing
/// on `cores`), the rest a `delay`. `cpuShare` is chosen so that the model's CPU demand per
/// request equals what the machine measured at capacity: `cores / capacity` =
/// `cpuShare × Σ weight·(E[compute] + E[hop]) / Σ weight`. The database and cache times stay
/// as measured on their own servers.
public enum Calibration {
    public struct Options: Sendable {
        public var backend: BackendConfiguration
        public var workload: ShopWorkload
        /// Seconds of low-load measurement.
        public var duration: Double
        /// Seconds of the closed-loop capacity measurement.
        public var capacityDuration: Double
        /// Clients of the capacity measurement.
        public var capacityClients: Int
        /// Offered load of the stage measurement, as a fraction of capacity.
        public var lowLoad: Double
        public var seed: UInt64
        /// The cores the model's `app` shares (default: the cores this process may use).
        public var cores: Int
        /// Write the fitted distributions (best AIC) into the model (true), or the empirical
        /// samples (false, the default: the lognormal fits that usually win AIC here are too
        /// light in the tail — low-load p99 28% short, against 1% with the samples).
        public var fitted: Bool
        public init(backend: BackendConfiguration, workload: ShopWorkload, duration: Double = 60, capacityDuration: Double = 10,
                    capacityClients: Int = 32, lowLoad: Double = 0.1, seed: UInt64 = 1,
                    cores: Int = ProcessInfo.processInfo.activeProcessorCount, fitted: Bool = false) {
            self.backend = backend; self.workload = workload; self.duration = duration
            self.capacityDuration = capacityDuration; self.capacityClients = capacityClients; self.lowLoad = lowLoad
            self.seed = seed; self.cores = cores; self.fitted = fitted
        }
    }

    /// The measurements behind the model, and the model's derived constants; written as
    /// `calibration.json`.
    public struct Summary: Codable, Sendable {
        public var capacityRPS: Double
        public var capacityP50Ms: Double
        public var capacityCPUCores: Double
        public var lowLoadRPS: Double
        public var lowLoadP50Ms: Double
        public var lowLoadP99Ms: Double
        public var cores: Int
        public var cpuShare: Double
        public var cacheHitRatio: Double
        public var replicationLagP50Ms: Double
        public var replicationLagP99Ms: Double
        public var catalogue: CatalogueSpec
        public var catalogueCreationSeconds: Double?
        public var replicas: Int
        public var cacheCapacity: Int
        public var cacheEviction: String
        public var readerConnections: Int
        public var synchronous: String
        public var seed: UInt64
        enum CodingKeys: String, CodingKey {
            case capacityRPS = "capacity_rps", capacityP50Ms = "capacity_p50_ms", capacityCPUCores = "capacity_cpu_cores"
            case lowLoadRPS = "low_load_rps", lowLoadP50Ms = "low_load_p50_ms", lowLoadP99Ms = "low_load_p99_ms"
            case cores, catalogue, replicas, seed, synchronous
            case cpuShare = "cpu_share", cacheHitRatio = "cache_hit_ratio"
            case replicationLagP50Ms = "replication_lag_p50_ms", replicationLagP99Ms = "replication_lag_p99_ms"
            case catalogueCreationSeconds = "catalogue_creation_s", cacheCapacity = "cache_capacity"
            case cacheEviction = "cache_eviction", readerConnections = "reader_connections"
        }
    }

    /// A sample of one stage, its fits and the distribution chosen for the model.
    public struct FittedStage: Sendable {
        public var name: String
        public var samplesMs: [Double]
        public var fits: [DistributionFit]
        public var chosen: Distribution
        public var meanNs: Double { samplesMs.reduce(0, +) / Double(max(1, samplesMs.count)) * 1e6 }
        public init(name: String, samplesMs: [Double], fits: [DistributionFit], chosen: Distribution) {
            self.name = name; self.samplesMs = samplesMs; self.fits = fits; self.chosen = chosen
        }
    }

    /// Runs the whole calibration and writes `out`. `log` receives progress lines.
    public static func run(_ options: Options, out: String, log: @escaping @Sendable (String) -> Void) async throws -> Summary {
        let backend = try await Backend.start(options.backend)
        do {
            let summary = try await measureAndWrite(backend, options, out: out, log: log)
            try await backend.stop()
            return summary
        } catch {
            try? await backend.stop()
            throw error
        }
    }

    static func measureAndWrite(_ backend: Backend, _ options: Options, out: String,
                                log: @escaping @Sendable (String) -> Void) async throws -> Summary {
        if let s = backend.shop.catalogueCreationSeconds {
            log(String(format: "created the catalogue (%d products, %d users) in %.2f s", options.backend.catalogue.products,
                       options.backend.catalogue.users, s))
        }
        let workload = options.workload
        let warmDraws = min(200_000, 3 * max(1, options.backend.cacheCapacity))
        try await backend.warmCache(workload, draws: warmDraws, seed: options.seed &+ 99)
        let base = LoadGenerator.Options(host: options.backend.host, port: backend.port, seed: options.seed)

        // Capacity: closed loop, as many requests as the backend answers.
        var capOptions = base
        capOptions.warmup = min(2, options.capacityDuration / 4); capOptions.duration = options.capacityDuration
        let cpu0 = processCPUSeconds(), wall0 = monotonicNanoseconds()
        let capacityRun = try await LoadGenerator.closed(workload, clients: options.capacityClients, options: capOptions)
        let cpuCores = (processCPUSeconds() - cpu0) / (Double(monotonicNanoseconds() - wall0) / 1e9)
        let capacity = capacityRun.throughput
        guard capacity > 0 else { throw CalibrationError(message: "the backend answered no request in the capacity run") }
        log(String(format: "capacity: %.0f req/s (closed loop, %d clients, p50 %.2f ms; the process used %.2f cores)",
                   capacity, options.capacityClients, Percentile.of(capacityRun.allLatencies, 0.5) / 1e6, cpuCores))

        // Stages at low load.
        let lowRate = max(10, options.lowLoad * capacity)
        var lowOptions = base
        lowOptions.warmup = min(2, options.duration / 5); lowOptions.duration = options.duration
        for r in backend.shop.replicas { r.lag.reset() }
        backend.shop.cache.resetCounters()
        backend.stages.start()
        let low = try await LoadGenerator.open(workload, rate: lowRate, options: lowOptions)
        backend.stages.stop()
        let lowAll = low.allLatencies
        log(String(format: "low load: %.0f req/s offered, %.0f answered/s, p50 %.3f ms, p99 %.3f ms, %d errors",
                   lowRate, low.throughput, Percentile.of(lowAll, 0.5) / 1e6, Percentile.of(lowAll, 0.99) / 1e6, low.errors))

        // Samples per stage (ms).
        let snapshot = backend.stages.snapshot()
        func server(_ route: ShopRequest?, _ stage: Stage) -> [Double] {
            snapshot.filter { ($0.key.route == route || route == nil) && $0.key.stage == stage }.flatMap { $0.ns.map { Double($0) / 1e6 } }
        }
        var samples: [(String, [Double])] = []
        for t in workload.requests {
            samples.append(("\(t.name).compute", server(t.request, .compute)))
            samples.append(("\(t.name).hop", low.types.first { $0.name == t.name }?.hops.map { Double($0) / 1e6 } ?? []))
        }
        samples.append(("cache.get", server(nil, .cacheGet)))
        samples.append(("cache.set", server(nil, .cacheSet)))
        samples.append(("cache.delete", server(nil, .cacheDelete)))
        samples.append(("db.read", server(nil, .dbRead)))
        samples.append(("db.write", server(nil, .dbWrite)))
        samples.append(("db.replication_lag", backend.shop.replicas.flatMap { $0.lag.samplesMs() }))

        var stages: [String: FittedStage] = [:]
        for (name, ms) in samples {
            let values = ms.isEmpty ? [0.001] : ms
            let fits = DistributionFit.fits(values.map { $0 * 1e6 })
            stages[name] = FittedStage(name: name, samplesMs: values, fits: fits, chosen: fits.first?.distribution ?? .constant(values[0] * 1e6))
        }

        // CPU share: the model's CPU demand per request = cores / capacity.
        let total = workload.totalWeight
        let appMean = workload.requests.reduce(0.0) { acc, t in
            acc + t.weight / total * (stages["\(t.name).compute"]!.meanNs + stages["\(t.name).hop"]!.meanNs)
        }
        let demand = Double(options.cores) / capacity * 1e9
        let cpuShare = min(1, max(0.01, demand / max(appMean, 1)))
        let lookups = backend.stages.hitRatios().reduce((0, 0)) { ($0.0 + $1.hits, $0.1 + $1.lookups) }
        let lag = backend.shop.replicas.map { $0.lag.summary() }

        let summary = Summary(
            capacityRPS: capacity, capacityP50Ms: Percentile.of(capacityRun.allLatencies, 0.5) / 1e6, capacityCPUCores: cpuCores,
            lowLoadRPS: lowRate, lowLoadP50Ms: Percentile.of(lowAll, 0.5) / 1e6, lowLoadP99Ms: Percentile.of(lowAll, 0.99) / 1e6,
            cores: options.cores, cpuShare: cpuShare,
            cacheHitRatio: lookups.1 == 0 ? 0 : Double(lookups.0) / Double(lookups.1),
            replicationLagP50Ms: lag.map(\.p50Ms).max() ?? 0, replicationLagP99Ms: lag.map(\.p99Ms).max() ?? 0,
            catalogue: options.backend.catalogue, catalogueCreationSeconds: backend.shop.catalogueCreationSeconds,
            replicas: options.backend.replicas, cacheCapacity: options.backend.cacheCapacity,
            cacheEviction: options.backend.cacheEviction.rawValue, readerConnections: options.backend.readerConnections,
            synchronous: options.backend.synchronous.rawValue, seed: options.seed)
        log(String(format: "model: cores %d, CPU share of app time %.3f (CPU demand %.1f us/request)", options.cores, cpuShare, demand / 1e3))
        try CalibrationFiles.write(summary: summary, stages: stages, options: options, lowRate: lowRate, out: out)
        return summary
    }

    /// User + system CPU seconds of this process so far.
    static func processCPUSeconds() -> Double {
        var usage = rusage()
        #if os(Linux)
        getrusage(RUSAGE_SELF.rawValue, &usage)
        #else
        getrusage(RUSAGE_SELF, &usage)
        #endif
        return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
            + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
    }
}

public struct CalibrationError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public init(message: String) { self.message = message }
    public var description: String { message }
}
