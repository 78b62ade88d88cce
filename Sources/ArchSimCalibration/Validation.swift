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
        public init(calibration: String, backend: BackendConfiguration, levels: [Int] = [10, 30, 50, 70, 90], duration: Double = 20,
                    warmup: Double = 3, simDuration: Double = 60, replications: Int = 3, jobs: Int = 1) {
            self.calibration = calibration; self.backend = backend; self.levels = levels; self.duration = duration
            self.warmup = warmup; self.simDuration = simDuration; self.replications = replications; self.jobs = jobs
        }
    }

    public struct Row: Sendable {
        public var levelPct: Int
        public var offeredRPS: Double
        public var realThroughput, simThroughput: Double
        public var realP50, simP50, realP90, simP90, realP99, simP99: Double
        public var realErrorRate, simErrorRate: Double
        public var p50RelErr: Double { realP50 > 0 ? (simP50 - realP50) / realP50 : 0 }
        public var p99RelErr: Double { realP99 > 0 ? (simP99 - realP99) / realP99 : 0 }
    }

    public static let header = "level_pct,offered_rps,real_throughput_rps,sim_throughput_rps,real_p50_ms,sim_p50_ms,real_p90_ms,sim_p90_ms,"
        + "real_p99_ms,sim_p99_ms,real_error_rate,sim_error_rate,p50_rel_err,p99_rel_err"

    public static func csv(_ rows: [Row]) -> String {
        func f(_ v: Double, _ digits: Int = 3) -> String { String(format: "%.\(digits)f", v) }
        return header + "\n" + rows.map { r in
            [String(r.levelPct), f(r.offeredRPS, 1), f(r.realThroughput, 1), f(r.simThroughput, 1), f(r.realP50), f(r.simP50),
             f(r.realP90), f(r.simP90), f(r.realP99), f(r.simP99), f(r.realErrorRate, 5), f(r.simErrorRate, 5),
             f(r.p50RelErr, 4), f(r.p99RelErr, 4)].joined(separator: ",")
        }.joined(separator: "\n") + "\n"
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
        var real: [LoadRun] = []
        do {
            try await backend.warmCache(workload, draws: min(200_000, 3 * max(1, s.cacheCapacity)), seed: s.seed &+ 99)
            for (level, rate) in zip(options.levels, rates) {
                let o = LoadGenerator.Options(host: config.host, port: backend.port, seed: s.seed &+ UInt64(level),
                                              warmup: options.warmup, duration: options.duration)
                let run = try await LoadGenerator.open(workload, rate: rate, options: o)
                let all = run.allLatencies
                log(String(format: "real %3d%%: %7.1f req/s offered, %7.1f answered/s, p50 %.3f ms, p99 %.3f ms, errors %.4f",
                           level, rate, run.throughput, Percentile.of(all, 0.5) / 1e6, Percentile.of(all, 0.99) / 1e6, run.errorRate))
                real.append(run)
                try await Task.sleep(nanoseconds: 500_000_000)  // let the backlog and the replicas settle
            }
        } catch {
            try? await backend.stop()
            throw error
        }
        try await backend.stop()

        var rows: [Row] = []
        for ((level, rate), run) in zip(zip(options.levels, rates), real) {
            let sim = try simulate(scenario, rate: rate, summary: s, options: options)
            let all = run.allLatencies
            let row = Row(levelPct: level, offeredRPS: rate, realThroughput: run.throughput, simThroughput: sim.throughput,
                          realP50: Percentile.of(all, 0.5) / 1e6, simP50: sim.p50Ms,
                          realP90: Percentile.of(all, 0.9) / 1e6, simP90: sim.p90Ms,
                          realP99: Percentile.of(all, 0.99) / 1e6, simP99: sim.p99Ms,
                          realErrorRate: run.errorRate, simErrorRate: sim.offered > 0 ? (sim.errors + sim.failed) / sim.offered : 0)
            log(String(format: "sim  %3d%%: %7.1f req/s, p50 %.3f ms (%+.1f%%), p99 %.3f ms (%+.1f%%)",
                       level, sim.throughput, sim.p50Ms, row.p50RelErr * 100, sim.p99Ms, row.p99RelErr * 100))
            rows.append(row)
        }
        return rows
    }

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
