// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimBackend
import ArchSimModel
import ArchSimScenario
import Foundation

/// What `archsim validate` does: run the real backend at a ladder of offered loads (percent of
/// its calibrated capacity), then the calibrated simulation at the same loads, and compare
/// throughput, latency percentiles and errors level by level.
public enum Validation {
    public struct Options: Sendable {
        /// The directory `archsim calibrate` wrote.
        public var calibration: String
        /// Backend files (host, directory); the rest comes from the calibration.
        public var backend: BackendConfiguration
        /// Offered loads, percent of the calibrated capacity.
        public var levels: [Int]
        /// Measured seconds per level (real backend), after `warmup` seconds.
        public var duration: Double
        public var warmup: Double
        /// Simulated seconds per level and replication (at least `duration`).
        public var simDuration: Double
        public var replications: Int
        public var jobs: Int
        /// Real runs per level (each with its own arrival seed); the simulation is compared with their mean.
        public var runs: Int
        /// Keep the load generator and the backend on separate cores (when there are two or more).
        public var pin: Bool
        public init(calibration: String, backend: BackendConfiguration, levels: [Int] = [10, 30, 50, 70, 80], duration: Double = 20,
                    warmup: Double = 3, simDuration: Double = 60, replications: Int = 3, jobs: Int = 1, runs: Int = 3, pin: Bool = true) {
            self.calibration = calibration; self.backend = backend; self.levels = levels; self.duration = duration
            self.warmup = warmup; self.simDuration = simDuration; self.replications = replications; self.jobs = jobs
            self.runs = runs; self.pin = pin
        }
    }

    public struct Row: Sendable {
        public var levelPct: Int
        public var offeredRPS: Double
        public var realThroughput, simThroughput: Double
        public var realP50, simP50, realP90, simP90, realP99, simP99: Double
        public var realErrorRate, simErrorRate: Double
        /// The real runs: how many, and the spread of their p50 and p99 (ms).
        public var runs = 1
        public var realP50Min = 0.0, realP50Max = 0.0, realP99Min = 0.0, realP99Max = 0.0
        /// CPU during the real runs (means over the runs; the load average is the highest seen at a run's start).
        public var resources: RunResources?
        /// Every real run had at most half a core of other work on the machine.
        public var quiet: Bool { resources?.quiet ?? false }
        public var p50RelErr: Double { realP50 > 0 ? (simP50 - realP50) / realP50 : 0 }
        public var p99RelErr: Double { realP99 > 0 ? (simP99 - realP99) / realP99 : 0 }
    }

    public static let header = "level_pct,offered_rps,real_throughput_rps,sim_throughput_rps,real_p50_ms,sim_p50_ms,real_p90_ms,sim_p90_ms,"
        + "real_p99_ms,sim_p99_ms,real_error_rate,sim_error_rate,p50_rel_err,p99_rel_err,"
        + "runs,real_p50_min_ms,real_p50_max_ms,real_p99_min_ms,real_p99_max_ms,"
        + "generator_cpu_cores,backend_cpu_cores,http_loop_cpu_cores,other_cpu_cores,load_avg_1m,backend_cores,pinned,quiet"

    public static func csv(_ rows: [Row]) -> String {
        return header + "\n" + rows.map(line).joined(separator: "\n") + "\n"
    }

    static func line(_ r: Row) -> String {
        func f(_ v: Double, _ digits: Int = 3) -> String { String(format: "%.\(digits)f", v) }
        var cells: [String] = [String(r.levelPct), f(r.offeredRPS, 1), f(r.realThroughput, 1), f(r.simThroughput, 1)]
        cells += [f(r.realP50), f(r.simP50), f(r.realP90), f(r.simP90), f(r.realP99), f(r.simP99)]
        cells += [f(r.realErrorRate, 5), f(r.simErrorRate, 5), f(r.p50RelErr, 4), f(r.p99RelErr, 4)]
        cells += [String(r.runs), f(r.realP50Min), f(r.realP50Max), f(r.realP99Min), f(r.realP99Max)]
        if let u = r.resources {
            cells += [f(u.generatorCores), f(u.backendCores), f(u.httpLoopCores), f(u.otherCores), f(u.loadAverage1m, 2)]
            cells += [String(u.backendCoreCount), u.pinned ? "yes" : "no", u.quiet ? "yes" : "no"]
        } else {
            cells += Array(repeating: "", count: 8)
        }
        return cells.joined(separator: ",")
    }

    /// Reads the calibration's summary.
    public static func summary(_ calibration: String) throws -> Calibration.Summary {
        let path = calibration + "/calibration.json"
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CalibrationError(message: "\(path): not found; run archsim calibrate --out \(calibration) first")
        }
        do { return try JSONDecoder().decode(Calibration.Summary.self, from: data) }
        catch { throw CalibrationError(message: "\(path): not a calibration summary (\(error))") }
    }

    /// The backend as it was calibrated, with the files and address of `base`.
    public static func backendConfiguration(_ s: Calibration.Summary, base: BackendConfiguration) -> BackendConfiguration {
        var c = base
        c.catalogue = s.catalogue; c.replicas = s.replicas; c.cacheCapacity = s.cacheCapacity
        c.cacheEviction = EvictionPolicy(rawValue: s.cacheEviction) ?? .lru; c.readerConnections = s.readerConnections
        c.synchronous = .init(rawValue: s.synchronous) ?? .full
        c.port = 0
        return c
    }

    public static func run(_ options: Options, log: @escaping @Sendable (String) -> Void) async throws -> [Row] {
        let s = try summary(options.calibration)
        let scenarioPath = options.calibration + "/scenario.yaml"
        let scenario = try ScenarioLoader.load(path: scenarioPath)
        let workload = ShopWorkload(catalogue: s.catalogue)
        let rates = options.levels.map { Double($0) / 100 * s.capacityRPS }

        // The real backend, every level, then the simulation (so it does not take the cores).
        let config = backendConfiguration(s, base: options.backend)
        let backend = try await Backend.start(config)
        let allCores = Threads.allowedCores()
        let isolation = options.pin ? Isolation.plan() : nil
        let httpLoops = await Isolation.httpLoopThreads()
        if let isolation {
            log("isolation: load generator on core \(isolation.generatorCore), backend on \(isolation.backendCores.map(String.init).joined(separator: ","))")
        } else {
            log("isolation: none (\(allCores.count) core(s) available, or --no-pin): generator and backend share the cores")
        }
        log(String(format: "load average at start: %.2f", Machine.loadAverage1m()))
        var real: [[LoadRun]] = []
        do {
            try await backend.warmCache(workload, draws: min(200_000, 3 * max(1, s.cacheCapacity)), seed: s.seed &+ 99)
            // Rounds: every level once per round, so a drift of the real backend over the session
            // (its cache warming, its tables growing) spreads over all levels instead of piling on the last.
            real = Array(repeating: [], count: options.levels.count)
            for r in 0..<options.runs {
                for (i, (level, rate)) in zip(options.levels, rates).enumerated() {
                    var o = LoadGenerator.Options(host: config.host, port: backend.port, seed: s.seed &+ UInt64(level) &+ 1000 &* UInt64(r),
                                                  warmup: options.warmup, duration: options.duration)
                    o.isolation = isolation; o.httpLoopThreads = httpLoops
                    let run = try await LoadGenerator.open(workload, rate: rate, options: o)
                    let all = run.allLatencies
                    let res = run.resources
                    log(String(format: "real %3d%% run %d: %7.1f req/s offered, %7.1f answered/s, p50 %.3f ms, p99 %.3f ms, errors %.4f; "
                               + "CPU backend %.2f (HTTP loops %.2f), generator %.2f, other %.2f cores, load avg %.2f%@",
                               level, r + 1, rate, run.throughput, Percentile.of(all, 0.5) / 1e6, Percentile.of(all, 0.99) / 1e6, run.errorRate,
                               res?.backendCores ?? 0, res?.httpLoopCores ?? 0, res?.generatorCores ?? 0, res?.otherCores ?? 0,
                               res?.loadAverage1m ?? 0, (res?.quiet ?? true) ? "" : " — NOT QUIET: other work on the machine"))
                    real[i].append(run)
                    try await Task.sleep(nanoseconds: 500_000_000)  // let the backlog and the replicas settle
                }
            }
        } catch {
            try? await backend.stop()
            Isolation.release(to: allCores)
            throw error
        }
        try await backend.stop()
        Isolation.release(to: allCores)

        var rows: [Row] = []
        for ((level, rate), runs) in zip(zip(options.levels, rates), real) {
            let sim = try simulate(scenario, rate: rate, summary: s, options: options)
            var row = Row(levelPct: level, offeredRPS: rate, realThroughput: mean(runs.map(\.throughput)), simThroughput: sim.throughput,
                          realP50: 0, simP50: sim.p50Ms, realP90: 0, simP90: sim.p90Ms, realP99: 0, simP99: sim.p99Ms,
                          realErrorRate: mean(runs.map(\.errorRate)), simErrorRate: sim.offered > 0 ? (sim.errors + sim.failed) / sim.offered : 0)
            let p50s = runs.map { Percentile.of($0.allLatencies, 0.5) / 1e6 }
            let p90s = runs.map { Percentile.of($0.allLatencies, 0.9) / 1e6 }
            let p99s = runs.map { Percentile.of($0.allLatencies, 0.99) / 1e6 }
            row.realP50 = mean(p50s); row.realP90 = mean(p90s); row.realP99 = mean(p99s)
            row.runs = runs.count
            row.realP50Min = p50s.min() ?? 0; row.realP50Max = p50s.max() ?? 0
            row.realP99Min = p99s.min() ?? 0; row.realP99Max = p99s.max() ?? 0
            row.resources = RunResources.combined(runs.compactMap(\.resources))
            log(String(format: "sim  %3d%%: %7.1f req/s, p50 %.3f ms (%+.1f%%), p99 %.3f ms (%+.1f%%)",
                       level, sim.throughput, sim.p50Ms, row.p50RelErr * 100, sim.p99Ms, row.p99RelErr * 100))
            rows.append(row)
        }
        return rows
    }

    static func mean(_ v: [Double]) -> Double { v.isEmpty ? 0 : v.reduce(0, +) / Double(v.count) }

    /// The calibrated scenario at `rate`, its `all` row. The simulated warm-up is long enough
    /// for the cache to see three times its capacity in product reads (the real cache was
    /// warmed that way before measuring).
    static func simulate(_ base: Scenario, rate: Double, summary s: Calibration.Summary, options: Options) throws -> SummaryRow {
        var scenario = base
        scenario.workload.arrivals = .open(process: .poisson, rate: .constant(rate))
        scenario.duration = Int64(max(options.simDuration, options.duration) * 1e9)
        let views = scenario.workload.requestTypes.first { $0.name == ShopRequest.viewProduct.name }.map { $0.weight } ?? 0
        let total = scenario.workload.requestTypes.reduce(0) { $0 + $1.weight }
        let viewRate = rate * (total > 0 ? views / total : 0)
        let warm = viewRate > 0 ? 3 * Double(s.cacheCapacity) / viewRate : 10
        scenario.warmup = Int64(min(3600, max(10, warm)) * 1e9)
        scenario.replications = options.replications
        let result = try Runner.run(scenario, jobs: options.jobs)
        guard let all = result.summary.first(where: { $0.requestType == "all" }) else {
            throw CalibrationError(message: "the simulation produced no summary")
        }
        return all
    }
}
