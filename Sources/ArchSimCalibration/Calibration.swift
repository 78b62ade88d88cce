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
        /// Keep the load generator and the backend on separate cores (when there are two or more);
        /// the model's `cores` are then the backend's.
        public var pin: Bool
        /// Measured seconds of each step of the open-loop capacity search (after a warm-up of half as long, at most 1 s).
        public var capacityStep: Double
        /// A step whose p99 exceeds this (ms) is past capacity.
        public var capacityP99Ms: Double
        public init(backend: BackendConfiguration, workload: ShopWorkload, duration: Double = 60, capacityDuration: Double = 10,
                    capacityClients: Int = 32, lowLoad: Double = 0.1, seed: UInt64 = 1,
                    cores: Int = ProcessInfo.processInfo.activeProcessorCount, fitted: Bool = false,
                    pin: Bool = true, capacityStep: Double = 4, capacityP99Ms: Double = 50) {
            self.backend = backend; self.workload = workload; self.duration = duration
            self.capacityDuration = capacityDuration; self.capacityClients = capacityClients; self.lowLoad = lowLoad
            self.seed = seed; self.cores = cores; self.fitted = fitted
            self.pin = pin; self.capacityStep = capacityStep; self.capacityP99Ms = capacityP99Ms
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
        /// How capacity was measured ("open loop" since the calibration-under-load work; absent: closed loop).
        public var capacityMethod: String?
        /// The closed-loop estimate the open-loop search started from.
        public var closedLoopRPS: Double?
        /// The open-loop capacity search, step by step.
        public var capacitySteps: [RampStep]?
        /// CPU demand per request (µs) by the utilisation law: the slope of the backend's CPU
        /// (cores) regressed on throughput over the steps below capacity; and of its HTTP loops.
        public var cpuDemandUs: Double?
        public var httpLoopDemandUs: Double?
        /// The regression's intercept (cores used with no load) and R².
        public var cpuIdleCores: Double?
        public var cpuRegressionR2: Double?
        /// The backend's HTTP event loops (each a one-worker station of the model).
        public var httpLoops: Int?
        /// CPU of the database per request (µs): reads and writes on the primary weighted by the
        /// mix, plus the replicas' log reading and applying (thread CPU clock around each SQLite call).
        public var dbCPUPerRequestUs: Double?
        /// CPU (µs) a replica spends reading and applying one write from the log (measured; the model's `apply`).
        public var applyCPUPerWriteUs: Double?
        /// Whether the generator ran on a core of its own, and the load average at the start.
        public var pinned: Bool?
        public var loadAverage1m: Double?
        enum CodingKeys: String, CodingKey {
            case capacityMethod = "capacity_method", closedLoopRPS = "closed_loop_rps", capacitySteps = "capacity_steps"
            case cpuDemandUs = "cpu_demand_us", httpLoopDemandUs = "http_loop_demand_us", cpuIdleCores = "cpu_idle_cores"
            case httpLoops = "http_loops", dbCPUPerRequestUs = "db_cpu_per_request_us", applyCPUPerWriteUs = "apply_cpu_per_write_us"
            case cpuRegressionR2 = "cpu_regression_r2", pinned, loadAverage1m = "load_avg_1m"
            case capacityRPS = "capacity_rps", capacityP50Ms = "capacity_p50_ms", capacityCPUCores = "capacity_cpu_cores"
            case lowLoadRPS = "low_load_rps", lowLoadP50Ms = "low_load_p50_ms", lowLoadP99Ms = "low_load_p99_ms"
            case cores, catalogue, replicas, seed, synchronous
            case cpuShare = "cpu_share", cacheHitRatio = "cache_hit_ratio"
            case replicationLagP50Ms = "replication_lag_p50_ms", replicationLagP99Ms = "replication_lag_p99_ms"
            case catalogueCreationSeconds = "catalogue_creation_s", cacheCapacity = "cache_capacity"
            case cacheEviction = "cache_eviction", readerConnections = "reader_connections"
        }
    }

    /// One step of the open-loop capacity search.
    public struct RampStep: Codable, Sendable {
        public var offeredRPS: Double
        /// Requests the Poisson draw actually sent in the window, per second.
        public var sentRPS: Double
        public var throughputRPS: Double
        public var p99Ms: Double
        public var errorRate: Double
        public var resources: RunResources?
        public var passed: Bool
        enum CodingKeys: String, CodingKey {
            case offeredRPS = "offered_rps", sentRPS = "sent_rps", throughputRPS = "throughput_rps", p99Ms = "p99_ms", errorRate = "error_rate", resources, passed
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
        let allCores = Threads.allowedCores()
        let isolation = options.pin ? Isolation.plan() : nil
        defer { Isolation.release(to: allCores) }
        var base = LoadGenerator.Options(host: options.backend.host, port: backend.port, seed: options.seed)
        base.isolation = isolation
        base.httpLoopThreads = await Isolation.httpLoopThreads()
        let loadAverage = Machine.loadAverage1m()
        if let isolation {
            log("isolation: load generator on core \(isolation.generatorCore), backend on \(isolation.backendCores.map(String.init).joined(separator: ","))")
        } else {
            log("isolation: none (\(allCores.count) core(s) available, or --no-pin): generator and backend share the cores")
        }
        log(String(format: "load average at start: %.2f (each run reports the CPU other processes took)", loadAverage))

        // Capacity: a closed-loop estimate, then open loop (the highest offered rate the backend follows with a bounded p99).
        var capOptions = base
        capOptions.warmup = min(2, options.capacityDuration / 4); capOptions.duration = options.capacityDuration
        let capacityRun = try await LoadGenerator.closed(workload, clients: options.capacityClients, options: capOptions)
        let closedLoop = capacityRun.throughput
        guard closedLoop > 0 else { throw CalibrationError(message: "the backend answered no request in the capacity run") }
        log(String(format: "closed loop: %.0f req/s (%d clients, p50 %.2f ms; backend CPU %.2f cores, generator %.2f)",
                   closedLoop, options.capacityClients, Percentile.of(capacityRun.allLatencies, 0.5) / 1e6,
                   capacityRun.resources?.backendCores ?? 0, capacityRun.resources?.generatorCores ?? 0))
        let steps = try await openLoopCapacity(workload, base: base, estimate: closedLoop, stepSeconds: options.capacityStep,
                                               p99BoundMs: options.capacityP99Ms, log: log)
        let passing = steps.filter(\.passed)
        guard let best = passing.max(by: { $0.offeredRPS < $1.offeredRPS }) else {
            throw CalibrationError(message: String(format: "no open-loop step was followed with p99 under %.0f ms, down to %.0f req/s",
                                                   options.capacityP99Ms, steps.map(\.offeredRPS).min() ?? 0))
        }
        let capacity = best.offeredRPS
        let cpuCores = best.resources?.backendCores ?? capacityRun.resources?.backendCores ?? 0
        log(String(format: "capacity: %.0f req/s (open loop; p99 %.2f ms there; backend CPU %.2f cores)", capacity, best.p99Ms, cpuCores))

        // Stages at low load.
        let lowRate = max(10, options.lowLoad * capacity)
        var lowOptions = base
        lowOptions.warmup = min(2, options.duration / 5); lowOptions.duration = options.duration
        for r in backend.shop.replicas { r.lag.reset(); r.resetApplyCPU() }
        let lowStart = monotonicNanoseconds()
        backend.shop.cache.resetCounters()
        backend.stages.start()
        let low = try await LoadGenerator.open(workload, rate: lowRate, options: lowOptions)
        backend.stages.stop()
        // The replicas' log reading and applying, per request served over the same span.
        let lowSeconds = Double(monotonicNanoseconds() - lowStart) / 1e9
        let applyCPUPerRequest = Double(backend.shop.replicas.reduce(Int64(0)) { $0 + $1.applyCPUNanoseconds })
            / max(1, low.throughput * lowSeconds)
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
        samples.append(("db.read_cpu", server(nil, .dbReadCPU)))
        samples.append(("db.write_cpu", server(nil, .dbWriteCPU)))
        // The rest of each write's span (its commit's fsync, mostly): the same write's wall time minus its CPU.
        let writeWait = snapshot.filter { $0.key.stage == .dbWrite }.flatMap { wall in
            let cpu = snapshot.first { $0.key.route == wall.key.route && $0.key.stage == .dbWriteCPU }?.ns ?? []
            return zip(wall.ns, cpu).map { Double(max(0, $0 - $1)) / 1e6 }
        }
        samples.append(("db.write_wait", writeWait))
        samples.append(("db.replication_lag", backend.shop.replicas.flatMap { $0.lag.samplesMs() }))

        var stages: [String: FittedStage] = [:]
        for (name, ms) in samples {
            let values = ms.isEmpty ? [0.001] : ms
            let fits = DistributionFit.fits(values.map { $0 * 1e6 })
            stages[name] = FittedStage(name: name, samplesMs: values, fits: fits, chosen: fits.first?.distribution ?? .constant(values[0] * 1e6))
        }

        // CPU demand per request by the utilisation law: the backend's CPU regressed on throughput
        // over the low-load run and the open-loop steps below capacity.
        var points = passing.compactMap { step in step.resources.map { (step.throughputRPS, $0) } }
        if let r = low.resources { points.append((low.throughput, r)) }
        let fit = LinearFit(points.map { ($0.0, $0.1.backendCores) })
        let httpFit = LinearFit(points.map { ($0.0, $0.1.httpLoopCores) })
        let modelCores = isolation?.backendCores.count ?? options.cores
        // Without three points (or with a slope that makes no sense) fall back on cores / capacity.
        let usesFit = fit.map { $0.slope > 0 && points.count >= 3 } ?? false
        let demand = usesFit ? fit!.slope * 1e9 : Double(modelCores) / capacity * 1e9
        if let fit {
            log(String(format: "CPU demand: %.1f us/request (backend CPU = %.3f cores + %.1f us x throughput, R² %.3f, %d points); HTTP loops %.1f us/request",
                       demand / 1e3, fit.intercept, fit.slope * 1e6, fit.r2, points.count, (httpFit?.slope ?? 0) * 1e6))
        }
        let total = workload.totalWeight
        let lookups = backend.stages.hitRatios().reduce((0, 0)) { ($0.0 + $1.hits, $0.1 + $1.lookups) }
        let hitRatio = lookups.1 == 0 ? 0 : Double(lookups.0) / Double(lookups.1)
        // The model puts the database's CPU and the HTTP loops' on the host by themselves; the
        // handler's compute and hop times carry the rest of the measured demand.
        let writesPerRequest = workload.requests.reduce(0.0) { $0 + $1.weight / total * CalibrationFiles.queries($1.request, hitRatio: hitRatio).writes }
        let dbCPU = workload.requests.reduce(0.0) { acc, t in
            let (reads, writes) = CalibrationFiles.queries(t.request, hitRatio: hitRatio)
            return acc + t.weight / total * (reads * stages["db.read_cpu"]!.meanNs + writes * stages["db.write_cpu"]!.meanNs)
        } + applyCPUPerRequest
        // Each replica's apply of one write, as measured (all replicas' CPU over writes × replicas).
        let applyPerWrite = options.backend.replicas > 0 && writesPerRequest > 0
            ? applyCPUPerRequest / (writesPerRequest * Double(options.backend.replicas)) : 0
        let httpLoops = base.httpLoopThreads.count
        let httpDemand = max(0, (httpFit?.slope ?? 0) * 1e9)
        let rest = demand - dbCPU - (httpLoops > 0 ? httpDemand : 0)
        log(String(format: "replicas' log reading and applying: %.1f us per request, %.1f us per write and replica",
                   applyCPUPerRequest / 1e3, applyPerWrite / 1e3))
        log(String(format: "CPU per request: database %.1f us, HTTP loops %.1f us (%d loops), handler and hop %.1f us", dbCPU / 1e3,
                   httpDemand / 1e3, httpLoops, rest / 1e3))
        // The hop as the model keeps it (without the loops' CPU when the `http` service carries it).
        let appMean = workload.requests.reduce(0.0) { acc, t in
            let hop = stages["\(t.name).hop"]!.meanNs
            return acc + t.weight / total * (stages["\(t.name).compute"]!.meanNs + CalibrationFiles.hopFactor(hopMeanNs: hop, httpLoops: httpLoops,
                                                                                                      httpLoopDemandUs: httpDemand / 1e3) * hop)
        }
        let cpuShare = min(1, max(0.01, rest / max(appMean, 1)))
        let lag = backend.shop.replicas.map { $0.lag.summary() }
        let lagP50: Double = lag.map(\.p50Ms).max() ?? 0, lagP99: Double = lag.map(\.p99Ms).max() ?? 0
        let capacityP50: Double = Percentile.of(capacityRun.allLatencies, 0.5) / 1e6
        let lowP50: Double = Percentile.of(lowAll, 0.5) / 1e6, lowP99: Double = Percentile.of(lowAll, 0.99) / 1e6
        let httpLoopDemandUs: Double? = httpFit.map { $0.slope * 1e6 }

        var summary = Summary(
            capacityRPS: capacity, capacityP50Ms: capacityP50, capacityCPUCores: cpuCores,
            lowLoadRPS: lowRate, lowLoadP50Ms: lowP50, lowLoadP99Ms: lowP99,
            cores: modelCores, cpuShare: cpuShare,
            cacheHitRatio: hitRatio,
            replicationLagP50Ms: lagP50, replicationLagP99Ms: lagP99,
            catalogue: options.backend.catalogue, catalogueCreationSeconds: backend.shop.catalogueCreationSeconds,
            replicas: options.backend.replicas, cacheCapacity: options.backend.cacheCapacity,
            cacheEviction: options.backend.cacheEviction.rawValue, readerConnections: options.backend.readerConnections,
            synchronous: options.backend.synchronous.rawValue, seed: options.seed)
        summary.capacityMethod = "open loop"; summary.closedLoopRPS = closedLoop; summary.capacitySteps = steps
        summary.cpuDemandUs = demand / 1e3; summary.httpLoopDemandUs = httpLoopDemandUs; summary.cpuIdleCores = usesFit ? fit?.intercept : nil
        summary.httpLoops = httpLoops; summary.dbCPUPerRequestUs = dbCPU / 1e3; summary.applyCPUPerWriteUs = applyPerWrite / 1e3
        summary.cpuRegressionR2 = fit?.r2; summary.pinned = isolation != nil; summary.loadAverage1m = loadAverage
        log(String(format: "model: cores %d, CPU share of app time %.3f (CPU demand %.1f us/request)", modelCores, cpuShare, demand / 1e3))
        try CalibrationFiles.write(summary: summary, stages: stages, options: options, lowRate: lowRate, out: out)
        return summary
    }

    /// The open-loop capacity search: offered rates from half the closed-loop estimate up by 15%
    /// a step until one fails twice in a row (answers under 97% of the requests sent, 1% errors or
    /// more, or p99 over the bound), then two bisections between the last step that passed and the first that failed.
    /// Each step measures `stepSeconds` after a warm-up of half as long (at most 1 s); a step whose
    /// p99 exceeds `p99BoundMs` is past capacity.
    public static func openLoopCapacity(_ workload: ShopWorkload, base: LoadGenerator.Options, estimate: Double, stepSeconds: Double,
                                        p99BoundMs: Double, log: @escaping @Sendable (String) -> Void) async throws -> [RampStep] {
        var steps: [RampStep] = []
        // A step that fails is measured once more: one stall (a WAL checkpoint, the change log's
        // truncation) in a few seconds can push p99 over the bound well below capacity. The rate
        // is past capacity only if both fail.
        func step(_ rate: Double) async throws -> RampStep {
            let first = try await once(rate)
            return first.passed ? first : try await once(rate)
        }
        func once(_ rate: Double) async throws -> RampStep {
            var o = base
            o.warmup = min(1, stepSeconds / 2); o.duration = stepSeconds; o.timeout = 5
            o.seed = base.seed &+ UInt64(steps.count) &+ 500
            let run = try await LoadGenerator.open(workload, rate: rate, options: o)
            let p99 = Percentile.of(run.allLatencies, 0.99) / 1e6
            // Follows the offer: answers ≥ 97% of the requests actually sent in the window (a Poisson
            // count of a few seconds is itself a few percent off the nominal rate).
            let sentRate = Double(run.sent) / max(o.duration, 1e-9)
            let passed = run.throughput >= 0.97 * sentRate && run.errorRate < 0.01 && p99 <= p99BoundMs
            let s = RampStep(offeredRPS: rate, sentRPS: sentRate, throughputRPS: run.throughput, p99Ms: p99, errorRate: run.errorRate,
                             resources: run.resources, passed: passed)
            // The backend's CPU is this process's only when the backend runs in it (its HTTP loops are known).
            let cpu = base.httpLoopThreads.isEmpty ? "" : String(format: ", backend CPU %.2f cores", run.resources?.backendCores ?? 0)
            log(String(format: "  open loop %7.0f req/s: %7.0f answered/s, p99 %8.2f ms, errors %.4f%@ -> %@",
                       rate, run.throughput, p99, run.errorRate, cpu, passed ? "follows" : "past capacity"))
            steps.append(s)
            if !passed { try await Task.sleep(nanoseconds: 2_000_000_000) }  // let the backlog drain
            return s
        }
        var rate = 0.5 * estimate
        var lo = 0.0, hi = 0.0
        while rate <= 2.5 * estimate {
            if try await step(rate).passed { lo = rate; rate *= 1.15 } else { hi = rate; break }
        }
        if lo == 0 {  // even half the estimate failed: go down
            rate = 0.25 * estimate
            while rate >= 10, lo == 0 {
                if try await step(rate).passed { lo = rate } else { hi = rate; rate /= 2 }
            }
        }
        if lo > 0, hi > lo {
            for _ in 0..<2 {
                let mid = (lo + hi) / 2
                if try await step(mid).passed { lo = mid } else { hi = mid }
            }
        }
        return steps
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

/// Ordinary least squares y = intercept + slope·x; nil for fewer than two distinct x.
public struct LinearFit: Sendable {
    public var intercept: Double, slope: Double, r2: Double
    public init?(_ points: [(Double, Double)]) {
        let n = Double(points.count)
        guard points.count >= 2 else { return nil }
        let mx = points.reduce(0) { $0 + $1.0 } / n, my = points.reduce(0) { $0 + $1.1 } / n
        let sxx = points.reduce(0) { $0 + ($1.0 - mx) * ($1.0 - mx) }
        let sxy = points.reduce(0) { $0 + ($1.0 - mx) * ($1.1 - my) }
        let syy = points.reduce(0) { $0 + ($1.1 - my) * ($1.1 - my) }
        guard sxx > 0 else { return nil }
        slope = sxy / sxx; intercept = my - slope * mx
        r2 = syy > 0 ? sxy * sxy / (sxx * syy) : 1
    }
}

public struct CalibrationError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public init(message: String) { self.message = message }
    public var description: String { message }
}
