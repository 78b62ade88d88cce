// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimBackend
import ArchSimCalibration
import ArchSimReport
import Foundation

/// Each evolution step for real against the simulator's prediction: `real_vs_sim.csv`.
///
/// Per step, on the processes `lab up --step N` starts (``LabStep``), with the load generator on
/// a core of its own and every lab process on the others (when the machine has two or more):
///
/// 1. **Capacity**, open loop: the highest offered rate of the e-commerce mix the step answers
///    with p99 under `capacityP99Ms`, 97% of what was sent answered and under 1% errors (the
///    calibration's search: a closed-loop estimate, 15% steps, two bisections).
/// 2. **The step's inputs**, measured once the lab has settled (its CPU with no load back near
///    what it was before any load): the idle CPU of every component; the mix at 20, 50 and
///    90% of capacity — the lab's CPU against throughput (per request it falls as load grows),
///    and from the mean latency at those loads the share of that CPU on the requests' paths;
///    each request type alone at `calibrationLoad` of capacity — CPU per request of each
///    component by the utilisation law (CPU seconds used, idle subtracted, over requests
///    answered; payments run with orders, one for one, the orders' CPU subtracted); and each
///    type's latencies in the mix at 20%, which the model splits into CPU and delay.
/// 3. **Levels**, once the lab has settled again: the mix at each of `levels` percent of
///    capacity, `runs` runs each: throughput, p50, p99, errors, the lab's CPU, and what the
///    servers say about themselves (``ServerStatistics``).
///
/// The prediction is ``StepModel``: the step's architecture in scenario format 1.1 from those
/// inputs alone, simulated at the same offered rates, and its capacity found by the same rule.
public struct StepComparison: Sendable {
    public var backends = 2
    public var replicas = 1
    public var products = 20_000
    public var users = 100_000
    /// Percent of the measured capacity.
    public var levels: [Double] = [30, 60, 80]
    public var runs = 3
    public var warmup = 2.0
    public var duration = 8.0
    /// Seconds of each request type's run.
    public var typeDuration = 5.0
    /// Offered rate of each request type's run, as a fraction of the step's capacity.
    public var calibrationLoad = 0.1
    /// Loads (fractions of capacity) of the mix runs that relate the lab's CPU to throughput.
    public var cpuLoads = [0.2, 0.5, 0.9]
    public var capacityStep = 4.0
    /// Capacity searches per step (their mean is the capacity).
    public var capacityRuns = 3
    public var capacityP99Ms = 50.0
    /// Before the inputs and the levels: wait (at most `settleLimit` s) until the lab's CPU with
    /// no load is within `settleMargin` cores of its CPU before any load.
    public var settleMargin = 0.01, settleLimit = 60.0
    /// Seconds an entry stays in the step's Redis cache (`lab up --cache-ttl`). With a cache, the
    /// mix runs this long, unmeasured, before each CPU curve run and each level's first run: the
    /// cache's content follows a change of load over a TTL, so a shorter warm-up measures the
    /// previous load's cache (in one run without it, the curve measured 20–60 s after the
    /// capacity searches lay 10–20% above the CPU the levels used at the same rates, in steps 4
    /// and 5 only; with it, 3–8%).
    public var cacheTTL = 60.0
    public var seed: UInt64 = 1
    public var mix = ShopWorkload.standardMix

    public init() {}

    /// What was measured on one step: the model's inputs and the levels' outcomes.
    public struct Measurement: Sendable, Codable {
        public var step: Int
        public var backends: Int
        public var replicas: Int
        /// The cores the lab's processes ran on (the model's host).
        public var cores: Int
        public var pinned: Bool
        /// Each capacity search's answer; ``capacity`` is their mean.
        public var capacities: [Double]
        /// The highest p99 at the rate each search answered.
        public var capacityP99Ms: Double
        public var capacity: Double { capacities.isEmpty ? 0 : capacities.reduce(0, +) / Double(capacities.count) }
        /// Component kinds, in the order of each type's demands.
        public var components: [String]
        /// Request type → CPU seconds per request of each component.
        public var demands: [String: [Double]]
        /// Request type → its latencies in the mix at the lowest CPU load (seconds): split into
        /// CPU and delay by ``split(_:)``.
        public var latencies: [String: [Double]]
        /// Request type → the lab's utilisation of its cores where its latencies were measured.
        public var typeUtilisation: [String: Double]
        /// CPU (cores) the lab's processes use with no load.
        public var idleCores: Double
        /// The lab's CPU against throughput in the mix runs: (req/s, cores), ascending.
        public var cpuCurve: [CPUPoint]
        public struct CPUPoint: Sendable, Codable {
            public var rate: Double
            public var cores: Double
        }
        /// The share of the CPU that lies on the requests' paths (the rest loads the cores beside them).
        public var pathShare: Double
        public var levels: [Level]
        /// 1-minute load average before the step's first measurement.
        public var loadAverage1m: Double
        public var mix: [ShopWorkload.RequestKind]

        public init(step: Int, backends: Int, replicas: Int, cores: Int, pinned: Bool, capacities: [Double], capacityP99Ms: Double,
                    components: [String], demands: [String: [Double]], latencies: [String: [Double]], typeUtilisation: [String: Double],
                    idleCores: Double, cpuCurve: [(rate: Double, cores: Double)], pathShare: Double = 1, levels: [Level], loadAverage1m: Double,
                    mix: [ShopWorkload.RequestKind]) {
            self.step = step; self.backends = backends; self.replicas = replicas; self.cores = cores; self.pinned = pinned
            self.capacities = capacities; self.capacityP99Ms = capacityP99Ms; self.components = components; self.demands = demands
            self.latencies = latencies; self.typeUtilisation = typeUtilisation; self.idleCores = idleCores
            self.cpuCurve = cpuCurve.map { CPUPoint(rate: $0.rate, cores: $0.cores) }
            self.pathShare = pathShare
            self.levels = levels; self.loadAverage1m = loadAverage1m; self.mix = mix
        }

        /// The lab's CPU (cores) at `rate`: the curve through the measured points, its first and
        /// last segments extended.
        public func labCores(atRate rate: Double) -> Double {
            let c = cpuCurve
            guard c.count >= 2 else { return c.first?.cores ?? 0 }
            var i = 0
            while i < c.count - 2, rate > c[i + 1].rate { i += 1 }
            let (a, b) = (c[i], c[i + 1])
            return a.cores + (b.cores - a.cores) * (rate - a.rate) / (b.rate - a.rate)
        }

        /// Requests per second that saturate the cores by the utilisation law on the CPU curve.
        /// 0 when the curve never reaches them (a flat or falling last segment).
        public var utilisationLimit: Double {
            let c = cpuCurve, target = Double(cores)
            guard c.count >= 2 else { return 0 }
            // The segment that crosses the cores (the first one, extended backwards, when the first
            // point is already at them), else the last one extended.
            let i = c.indices.first { c[$0].cores >= target }.map { max(1, $0) } ?? c.count - 1
            let (p, q) = (c[i - 1], c[i])
            guard q.cores > p.cores else { return 0 }
            return max(0, p.rate + (q.rate - p.rate) * (target - p.cores) / (q.cores - p.cores))
        }

        /// The mix's CPU per request in the types' own runs (s).
        public var typesDemand: Double { StepComparison.typesDemand(mix, demands) }

        /// The CPU per request the curve gives at `rate` (s).
        public func demand(atRate rate: Double) -> Double { labCores(atRate: rate) / max(rate, 1e-9) }

        /// A type's latencies in the mix at the lowest load, split into CPU and the rest. Its CPU on
        /// the path there, stretched by processor sharing, is
        /// c = share × (the curve's demand there / ``typesDemand``) × the type's CPU / (1 − ρ);
        /// the CPU's part of its mean latency f = min(1, c / mean latency). Each latency Lᵢ gives
        /// a CPU shape Lᵢ / mean (mean 1: the model's CPU for the type is its mean CPU times a
        /// draw of it) and a delay (1 − f) Lᵢ. So the model reproduces the type's latency
        /// distribution at that load — short requests as well as long ones — where a constant
        /// CPU plus the latency minus it (floored at 0) could not go below c. `exceeds`: c was
        /// above the mean latency (the CPU measured is more than the latency holds; f is 1).
        public func split(_ type: String) -> (shape: [Double], delays: [Double], cpuFraction: Double, exceeds: Bool) {
            let l = latencies[type] ?? []
            let meanL = l.isEmpty ? 0 : l.reduce(0, +) / Double(l.count)
            guard meanL > 0, let low = cpuCurve.first, low.rate > 0 else { return ([], [], 1, false) }
            let scale = typesDemand > 0 ? low.cores / low.rate / typesDemand : 1
            let rho = min(0.95, typeUtilisation[type] ?? low.cores / Double(max(cores, 1)))
            let c = pathShare * scale * (demands[type]?.reduce(0, +) ?? 0) / (1 - rho)
            let f = min(1, c / meanL)
            return (l.map { $0 / meanL }, l.map { (1 - f) * $0 }, f, c > meanL)
        }
    }

    public struct Level: Sendable, Codable {
        public var percent: Double
        public var offered: Double
        public var throughput: [Double] = []
        public var p50Ms: [Double] = []
        public var p99Ms: [Double] = []
        public var errorRate: [Double] = []
        /// Cores the lab's processes used.
        public var labCores: [Double] = []
        public var loadAverage1m: [Double] = []
        /// What the servers said over the level's runs (nil in runs made before it was measured).
        public var servers: ServerStatistics?
    }

    /// Measures step `number` on a running lab: `running` is what ``LabStep/up`` started.
    public func measure(step number: Int, running: LabStep.Running, log: @escaping @Sendable (String) -> Void) async throws -> Measurement {
        let cpu = ComponentCPU(running)
        let allCores = Threads.allowedCores()
        let isolation = Isolation.plan()
        defer { Isolation.release(to: allCores) }
        let labCores = isolation?.backendCores ?? allCores
        if let isolation {
            let refused = cpu.pin(to: isolation.backendCores)
            log("load generator on core \(isolation.generatorCore); the lab's processes on \(isolation.backendCores.map(String.init).joined(separator: ","))"
                + (refused > 0 ? " (\(refused) threads refused)" : ""))
        } else {
            log("one core: the load generator shares it with the lab (not pinned)")
        }
        let catalogue = CatalogueSpec(products: products, users: users)
        let workload = ShopWorkload(catalogue: catalogue, requests: mix)
        var base = LoadGenerator.Options(host: "127.0.0.1", port: running.entryPort, seed: seed)
        // The generator's thread alone on its core; archsim's other threads go with the lab (with
        // all of archsim on the generator's core, the generator answered 35% fewer requests in
        // the closed-loop estimate — 826 against 1,275 req/s in step 1 — and the lab's capacity
        // came out 25% lower: the generator, not the lab, was measured).
        base.isolation = isolation
        let loadAverage = Machine.loadAverage1m()
        let baseline = try await cpu.measure { try await Task.sleep(nanoseconds: 3_000_000_000) }
        let baselineCores = baseline.used.reduce(0, +) / baseline.seconds
        log(String(format: "before any load: %.4f cores", baselineCores))

        // 1. Capacity.
        var closed = base
        closed.warmup = 1; closed.duration = 4
        let estimate = try await LoadGenerator.closed(workload, clients: 32, options: closed).throughput
        guard estimate > 0 else { throw LabError("step \(number) answered no request of the closed-loop estimate (see the logs in the lab directory)") }
        log(String(format: "closed loop (32 clients): %.0f req/s", estimate))
        // The search is repeated: one search's answer (the highest rate that passed, over windows
        // of a few seconds) moves by up to 30% from one search to the next here.
        var searches: [Calibration.RampStep] = []
        for r in 0..<capacityRuns {
            var b = base
            b.seed = base.seed &+ UInt64(r) &* 7_919
            let ramp = try await Calibration.openLoopCapacity(workload, base: b, estimate: estimate, stepSeconds: capacityStep,
                                                              p99BoundMs: capacityP99Ms, log: log)
            guard let best = ramp.filter(\.passed).max(by: { $0.offeredRPS < $1.offeredRPS }) else {
                throw LabError(String(format: "step %d followed no offered rate with p99 under %.0f ms", number, capacityP99Ms))
            }
            searches.append(best)
            log(String(format: "capacity search %d: %.0f req/s (p99 %.1f ms there)", r + 1, best.offeredRPS, best.p99Ms))
        }
        let capacities = searches.map(\.offeredRPS)
        let capacity = capacities.reduce(0, +) / Double(capacities.count)
        log(String(format: "capacity: %.0f req/s (mean of %d searches, %.0f to %.0f)", capacity, capacities.count,
                   capacities.min()!, capacities.max()!))

        // 2. Inputs: idle CPU, then each request type alone. Right after a run past capacity the
        // lab may keep working for a while (PostgreSQL's autovacuum and checkpoints, the
        // backends' timers): a measurement that starts then counts that work as its own (the
        // previous committed run measured 0.04 cores of "idle" 2 s after step 4's searches;
        // here it takes 1–12 s to come back within 0.01 cores).
        try await settle(cpu, baseline: baselineCores, log: log)
        let quiet = try await cpu.measure { try await Task.sleep(nanoseconds: 3_000_000_000) }
        let idle = quiet.used.map { $0 / quiet.seconds }
        let idleCores = idle.reduce(0, +)
        log(String(format: "idle: %.3f cores (%@)", idleCores,
                   zip(cpu.kinds, idle).map { String(format: "%@ %.3f", $0, $1) }.joined(separator: ", ")))

        // CPU against load: the mix at `cpuLoads` of capacity. Per request CPU falls as load grows
        // (wake-ups and system calls are shared by more requests), so the model's demand at a rate
        // comes from this curve, not from the low-load runs alone.
        var points: [(Double, Double)] = [], latencyPoints: [(Double, Double)] = []
        var lowest: (run: LoadRun, rate: Double, cores: Double)?
        let cacheWarmup = running.redis != nil ? cacheTTL : 0
        if cacheWarmup > 0 { log(String(format: "with a cache: the mix runs %.0f s (its TTL) at each new rate before it is measured", cacheWarmup)) }
        // The lab at `rate` for `cacheWarmup` seconds, not measured.
        func condition(_ rate: Double) async throws {
            guard cacheWarmup > 0 else { return }
            var o = base
            o.warmup = 0; o.duration = cacheWarmup; o.seed = base.seed &+ 77_777
            _ = try await LoadGenerator.open(workload, rate: rate, options: o)
        }
        for fraction in cpuLoads.sorted() {
            try await condition(fraction * capacity)
            var o = base
            o.warmup = 1; o.duration = max(typeDuration, duration); o.seed = seed &+ 900 &+ UInt64(points.count)
            let (run, seconds, used) = try await cpu.measure { try await LoadGenerator.open(workload, rate: fraction * capacity, options: o) }
            let cores = used.reduce(0, +) / seconds
            // The whole call: warm-up and window, at the rate answered (all of it at these loads).
            let rate = run.throughput  // answered per second (the utilisation law's throughput)
            points.append((rate, cores))
            let all = run.allLatencies
            let meanLatency = all.isEmpty ? 0 : Double(all.reduce(0, +)) / Double(all.count) / 1e9
            if lowest == nil { lowest = (run, rate, cores) }
            // x = the CPU per request stretched by processor sharing at this utilisation.
            if rate > 0 { latencyPoints.append((cores / rate / max(0.05, 1 - cores / Double(labCores.count)), meanLatency)) }
            log(String(format: "  mix at %.0f%%: %.0f req/s, lab CPU %.3f cores, mean latency %.3f ms", fraction * 100, rate, cores, meanLatency * 1e3))
        }
        points.sort { $0.0 < $1.0 }
        guard points.count >= 2, zip(points, points.dropFirst()).allSatisfy({ $1.0 > $0.0 && $1.1 > $0.1 }) else {
            throw LabError("step \(number): the lab's CPU did not grow with load (\(points)); is something else using the cores?")
        }
        log("CPU curve: " + points.map { String(format: "%.0f req/s → %.3f cores (%.3f ms per request)", $0.0, $0.1, $0.1 / $0.0 * 1e3) }
            .joined(separator: ", "))

        // The share of the CPU on a request's path: mean latency = d + share × CPU/(1 − ρ) over
        // the three loads (the highest, where the stretch is largest, steadies the slope). The
        // rest is CPU the lab spends beside the requests' paths (after an answer is sent, in
        // other processes' housekeeping).
        let fit = LinearFit(latencyPoints)
        let slope = fit.map(\.slope).flatMap { $0.isFinite ? $0 : nil } ?? 1
        let share = min(1, max(0.05, slope))
        log(String(format: "CPU on the requests' path: %.2f of it (mean latency = %.3f ms + %.3f × stretched CPU, R² %.3f; at %@)", share,
                   (fit?.intercept ?? 0) * 1e3, slope, fit?.r2 ?? 0,
                   latencyPoints.map { String(format: "%.3f → %.3f ms", $0.0 * 1e3, $0.1 * 1e3) }.joined(separator: ", ")))
        if slope > 1 || slope < 0.05 || (fit?.intercept ?? 0) < 0 {
            log(String(format: "warning: latency does not follow processor sharing on the measured CPU here (slope %.2f, intercept %.3f ms): the share is clamped to %.2f",
                       slope, (fit?.intercept ?? 0) * 1e3, share))
        }

        var demands: [String: [Double]] = [:], latencies: [String: [Double]] = [:], utilisation: [String: Double] = [:]
        let rate = max(20, calibrationLoad * capacity)
        // Orders before payments: a payment's CPU is found by taking its orders' out.
        for kind in mix.filter({ $0.request != .pay }) + mix.filter({ $0.request == .pay }) {
            let alone: [ShopWorkload.RequestKind] = kind.request == .pay ? [.init(.placeOrder, weight: 1), .init(.pay, weight: 1)] : [kind]
            var o = base
            o.warmup = 0; o.duration = typeDuration; o.seed = seed &+ 1_000 &+ UInt64(demands.count)
            let (run, seconds, total) = try await cpu.measure {
                try await LoadGenerator.open(ShopWorkload(catalogue: catalogue, requests: alone), rate: rate, options: o)
            }
            let used = zip(total, idle).map { max(0, $0 - $1 * seconds) }
            let target = run.types.first { $0.name == kind.name }
            let served = Double(target?.latencies.count ?? 0)
            guard served > 0 else { throw LabError("step \(number): no \(kind.name) request was answered in its calibration run") }
            var perRequest = used.map { $0 / served }
            if kind.request == .pay {
                let order = demands[ShopRequest.placeOrder.name] ?? []
                guard !order.isEmpty, let orders = run.types.first(where: { $0.name == ShopRequest.placeOrder.name }) else {
                    throw LabError("step \(number): payments' CPU needs the orders' first (place_order is not in the mix)")
                }
                let n = Double(orders.latencies.count)
                perRequest = zip(used, order).map { max(0, $0 - n * $1) / served }
            }
            demands[kind.name] = perRequest
            let rho = min(0.95, used.reduce(0, +) / seconds / Double(labCores.count))
            log(String(format: "  %-12@ %5.0f/s: CPU per request %.3f ms (%@), p50 %.2f ms, utilisation %.2f", kind.name, rate,
                       perRequest.reduce(0, +) * 1e3,
                       zip(cpu.kinds, perRequest).map { String(format: "%@ %.3f", $0, $1 * 1e3) }.joined(separator: ", "),
                       Percentile.of(target?.latencies ?? [], 0.5) / 1e6, rho))
        }

        // Each type's latencies in the mix at the lowest CPU load (20%): the model splits them
        // into CPU and delay (``Measurement/split(_:)``). From the mix, not the type's own run: at
        // 10% the cores idle between requests and wake-ups add latency the loads that matter do
        // not have.
        if let low = lowest, low.rate > 0 {
            let rho = min(0.95, low.cores / Double(labCores.count))
            for kind in mix {
                latencies[kind.name] = (low.run.types.first { $0.name == kind.name }?.latencies ?? []).map { Double($0) / 1e9 }
                utilisation[kind.name] = rho
            }
        }

        // 3. Levels.
        try await settle(cpu, baseline: baselineCores, log: log)
        var levelResults: [Level] = []
        for percent in levels {
            var level = Level(percent: percent, offered: percent / 100 * capacity)
            try await condition(level.offered)
            // The servers watched over the level's runs (their own numbers: real_vs_sim_servers.csv).
            let (_, servers) = try await ServerStatistics.measure(running) {
                for r in 0..<runs {
                    var o = base
                    o.warmup = warmup; o.duration = duration; o.seed = seed &+ 2_000 &+ UInt64(percent) * 10 &+ UInt64(r)
                    let (run, seconds, used) = try await cpu.measure { try await LoadGenerator.open(workload, rate: level.offered, options: o) }
                    let all = run.allLatencies
                    level.throughput.append(run.throughput)
                    level.p50Ms.append(Percentile.of(all, 0.5) / 1e6)
                    level.p99Ms.append(Percentile.of(all, 0.99) / 1e6)
                    level.errorRate.append(run.errorRate)
                    level.labCores.append(used.reduce(0, +) / seconds)
                    level.loadAverage1m.append(run.resources?.loadAverage1m ?? Machine.loadAverage1m())
                    log(String(format: "  %2.0f%% run %d: %6.0f req/s offered, %6.0f answered/s, p50 %.2f ms, p99 %.2f ms, errors %.4f, lab CPU %.2f cores",
                               percent, r + 1, level.offered, run.throughput, level.p50Ms.last!, level.p99Ms.last!, run.errorRate, level.labCores.last!))
                }
            }
            level.servers = servers
            log("  \(Int(percent))%: " + servers.summary)
            levelResults.append(level)
        }
        let m = Measurement(step: number, backends: running.backends.count, replicas: running.replicas.count, cores: labCores.count,
                           pinned: isolation != nil, capacities: capacities, capacityP99Ms: searches.map(\.p99Ms).max()!, components: cpu.kinds,
                           demands: demands, latencies: latencies, typeUtilisation: utilisation, idleCores: idleCores,
                           cpuCurve: points.map { (rate: $0.0, cores: $0.1) }, pathShare: share, levels: levelResults,
                           loadAverage1m: loadAverage, mix: mix)
        // Where a type's CPU on the path is more than its latency holds, the model's latency for it
        // is its CPU alone: say so.
        log("CPU's part of each type's mean latency at 20%: " + mix.map { kind -> String in
            let s = m.split(kind.name)
            return String(format: "%@ %.2f%@", kind.name, s.cpuFraction, s.exceeds ? " (CPU above the latency)" : "")
        }.joined(separator: ", "))
        return m
    }
}

extension StepComparison {
    /// Waits until the lab's CPU over one second is back within `settleMargin` cores of
    /// `baseline` (its CPU before any load), at most `settleLimit` seconds; says how long it took,
    /// or warns that it did not settle.
    func settle(_ cpu: ComponentCPU, baseline: Double, log: @escaping @Sendable (String) -> Void) async throws {
        let start = monotonicNanoseconds()
        var cores = Double.infinity
        while Double(monotonicNanoseconds() - start) / 1e9 < settleLimit {
            let window = try await cpu.measure { try await Task.sleep(nanoseconds: 1_000_000_000) }
            cores = window.used.reduce(0, +) / window.seconds
            if cores <= baseline + settleMargin { break }
        }
        let waited = Double(monotonicNanoseconds() - start) / 1e9
        if cores <= baseline + settleMargin {
            log(String(format: "settled in %.0f s (%.3f cores over the last second)", waited, cores))
        } else {
            log(String(format: "warning: the lab still used %.3f cores with no load after %.0f s (%.3f before any load)", cores, waited, baseline))
        }
    }

    /// The mix's CPU per request (s) from each type's CPU in each component.
    static func typesDemand(_ mix: [ShopWorkload.RequestKind], _ demands: [String: [Double]]) -> Double {
        mix.reduce(0) { $0 + $1.weight * (demands[$1.name]?.reduce(0, +) ?? 0) } / max(mix.reduce(0) { $0 + $1.weight }, 1e-12)
    }

    /// Acceptance (issue #16): capacity and step-to-step gains within 15%; p50 within 15% and
    /// p99 within 30% at 30 and 60% of capacity.
    public static let capacityTolerance = 15.0, p50Tolerance = 15.0, p99Tolerance = 30.0

    /// real_vs_sim.csv: per step a `capacity` row, one row per level, and from the second step a
    /// `gain` row (capacity over the previous step's). Simulates each step's model (``StepModel``).
    public func table(_ measured: [Measurement], log: @escaping @Sendable (String) -> Void) throws -> CSVTable {
        var t = CSVTable(header: ["step", "level", "offered_rps", "runs", "real_throughput_rps", "real_throughput_min_rps", "real_throughput_max_rps",
                                  "sim_throughput_rps", "throughput_error_pct", "real_p50_ms", "real_p50_min_ms", "real_p50_max_ms", "sim_p50_ms", "p50_error_pct",
                                  "real_p99_ms", "real_p99_min_ms", "real_p99_max_ms", "sim_p99_ms", "p99_error_pct",
                                  "real_error_rate", "sim_error_rate", "real_lab_cores", "model_lab_cores", "within", "cores", "pinned", "load_avg_1m"])
        func f(_ v: Double, _ d: Int = 3) -> String { v.isFinite ? String(format: "%.\(d)f", v) : "" }
        func err(_ sim: Double, _ real: Double) -> Double { real > 0 ? (sim / real - 1) * 100 : .nan }
        func mean(_ v: [Double]) -> Double { v.isEmpty ? .nan : v.reduce(0, +) / Double(v.count) }
        var previous: (step: Int, real: Double, sim: Double)?
        for m in measured {
            let model = StepModel(m)
            let simCapacity = try model.capacity(p99BoundMs: capacityP99Ms)
            let e = err(simCapacity, m.capacity)
            log(String(format: "step %d: capacity real %.0f req/s, simulated %.0f (%+.1f%%)", m.step, m.capacity, simCapacity, e))
            let head = [String(m.step)]
            let tail = [String(m.cores), m.pinned ? "true" : "false", f(m.loadAverage1m, 2)]
            t.append(head + ["capacity", f(m.capacity, 1), String(m.capacities.count), f(m.capacity, 1), f(m.capacities.min() ?? .nan, 1),
                             f(m.capacities.max() ?? .nan, 1), f(simCapacity, 1), f(e, 1),
                             "", "", "", "", "", f(m.capacityP99Ms), "", "", "", "", "", "", "", "",
                             abs(e) <= Self.capacityTolerance ? "true" : "false"] + tail)
            if let p = previous {
                let real = m.capacity / p.real, sim = simCapacity / p.sim, g = err(sim, real)
                t.append(head + ["gain_vs_step_\(p.step)", "", String(m.capacities.count), f(real, 3), "", "", f(sim, 3), f(g, 1)] + Array(repeating: "", count: 14)
                         + [abs(g) <= Self.capacityTolerance ? "true" : "false"] + tail)
            }
            previous = (m.step, m.capacity, simCapacity)
            for level in m.levels {
                let p = try model.predict(rate: level.offered)
                let real50 = mean(level.p50Ms), real99 = mean(level.p99Ms), realX = mean(level.throughput)
                let e50 = err(p.p50Ms, real50), e99 = err(p.p99Ms, real99)
                let within = abs(e50) <= Self.p50Tolerance && abs(e99) <= Self.p99Tolerance
                log(String(format: "step %d at %.0f%%: p50 real %.2f ms, simulated %.2f (%+.1f%%); p99 real %.2f, simulated %.2f (%+.1f%%)",
                           m.step, level.percent, real50, p.p50Ms, e50, real99, p.p99Ms, e99))
                t.append(head + [f(level.percent, 0), f(level.offered, 1), String(level.throughput.count), f(realX, 1),
                                 f(level.throughput.min() ?? .nan, 1), f(level.throughput.max() ?? .nan, 1), f(p.throughput, 1),
                                 f(err(p.throughput, realX), 1),
                                 f(real50), f(level.p50Ms.min() ?? .nan), f(level.p50Ms.max() ?? .nan), f(p.p50Ms), f(e50, 1),
                                 f(real99), f(level.p99Ms.min() ?? .nan), f(level.p99Ms.max() ?? .nan), f(p.p99Ms), f(e99, 1),
                                 f(mean(level.errorRate), 4), f(p.errorRate, 4), f(mean(level.labCores)), f(m.labCores(atRate: p.throughput)),
                                 within ? "true" : "false", String(m.cores), m.pinned ? "true" : "false", f(level.loadAverage1m.max() ?? .nan, 2)])
            }
        }
        return t
    }

    /// real_vs_sim_servers.csv: per step and level, what the servers said (``ServerStatistics``).
    public static func servers(_ measured: [Measurement]) -> CSVTable {
        var t = CSVTable(header: ["step", "level", "server", "metric", "detail", "value"])
        for m in measured {
            for level in m.levels {
                for row in level.servers?.rows() ?? [] { t.append([String(m.step), String(format: "%.0f", level.percent)] + row) }
            }
        }
        return t
    }

    /// The models' inputs, per step, request type and component: CPU per request (ms), and the
    /// type's delay (the part of its latency in the mix at 20% that is not CPU: ``Measurement/split(_:)``)
    /// p50 and p99, the lab's utilisation in that mix run, the lab's CPU with no load (cores), the
    /// path share, and the CPU's part of the type's mean latency there.
    public static func inputs(_ measured: [Measurement]) -> CSVTable {
        var t = CSVTable(header: ["step", "request_type", "component", "cpu_ms_per_request", "delay_p50_ms", "delay_p99_ms", "calibration_utilisation", "idle_cores", "path_share",
                                  "cpu_part_of_latency"])
        for m in measured {
            for kind in m.mix {
                let split = m.split(kind.name)
                let delays = split.delays.map { Int64($0 * 1e9) }
                let p50 = String(format: "%.3f", Percentile.of(delays, 0.5) / 1e6), p99 = String(format: "%.3f", Percentile.of(delays, 0.99) / 1e6)
                let u = String(format: "%.3f", m.typeUtilisation[kind.name] ?? 0)
                for (c, d) in zip(m.components, m.demands[kind.name] ?? []) {
                    t.append([String(m.step), kind.name, c, String(format: "%.4f", d * 1000), p50, p99, u, String(format: "%.4f", m.idleCores), String(format: "%.3f", m.pathShare),
                              String(format: "%.3f", split.cpuFraction)])
                }
            }
        }
        return t
    }
}
