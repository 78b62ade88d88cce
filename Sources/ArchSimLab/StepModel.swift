// SPDX-License-Identifier: GPL-3.0-or-later
import Foundation

/// The simulator's prediction of a real step, from the step's measured inputs alone
/// (``StepComparison/Measurement``): the step's architecture in scenario format 1.1.
///
/// - One host `lab` with the cores the lab's processes ran on: every process shares them
///   (adding backends or replicas adds processes, not cores).
/// - From step 2, a service `nginx` on the host, each request's nginx CPU, then a call to `app`
///   (round robin over the backends).
/// - `app`: one instance per backend process on the host; each request type's operation is the
///   CPU of the backend and what it causes in Redis, the primary and the replicas (one `cpu` on
///   the same host: processor sharing does not care which process computes), then a `delay`:
///   the type's latencies in the mix at 20% of capacity split into the two
///   (``StepComparison/Measurement/split(_:)``): CPU's part f of the mean latency there, so each
///   latency Lᵢ gives a CPU draw (the type's mean CPU × Lᵢ / mean) and a delay (1 − f) Lᵢ
///   (waits on the network stack, the disk and wake-ups; it uses no CPU). Drawn independently,
///   they keep the latencies' mean and shape at that load (a little thinner in the tail).
/// - CPU per request falls as load grows (wake-ups and system calls are shared by more
///   requests): the lab's CPU measured with the mix at 20, 50 and 90% of capacity gives a curve
///   cores(λ) (piecewise linear, ends extended), and at a rate λ each type's CPU (in the
///   proportions of the types' own runs) is scaled so the mix's demand is cores(λ)/λ. The
///   delays stay as measured at the calibration load.
/// - Not all of it is on a request's path: mean latency against the CPU stretched by processor
///   sharing, over the mix runs at 20, 50 and 90%, has a slope: `pathShare` (clamped to 0.05…1) (work after an answer
///   is sent, other processes' housekeeping). That share is each request's `cpu`; the rest,
///   (1 − share) × cores(λ), is the host's `background` at that rate: it loads the cores and
///   slows every request's CPU, without being a request's own.
/// - The CPU's variability is the latencies' (an exponential CPU plus the latency's own spread
///   would count it twice at low load); nginx's CPU is a constant. Processor sharing
///   stretches the CPU as the load grows; the delays do not grow with load — that is the
///   model's assumption, and where it is wrong the levels show it.
/// - Not modelled: the backends' connection pools (10 per server), PostgreSQL's locks and
///   checkpoints, the replicas' apply work beyond its CPU (counted in the write's CPU).
public struct StepModel: Sendable {
    public var measurement: StepComparison.Measurement
    public var seed: UInt64 = 2026
    public var duration = 60.0
    public var warmup = 5.0
    public var replications = 3

    public init(_ m: StepComparison.Measurement) { measurement = m }

    public struct Prediction: Sendable {
        public var throughput: Double
        public var meanMs: Double
        public var p50Ms: Double
        public var p99Ms: Double
        public var errorRate: Double
    }

    /// The scenario at `rate` requests per second and its sample files (name → contents).
    public func scenario(rate: Double) -> (yaml: String, files: [String: String]) {
        let m = measurement
        let types = m.mix.map(\.name)
        func ms(_ seconds: Double) -> String { String(format: "%.6fms", seconds * 1000) }
        // The types' CPU in their measured proportions, scaled to the CPU line's demand at this rate.
        let scale = m.typesDemand > 0 ? m.pathShare * m.demand(atRate: rate) / m.typesDemand : 1
        // The CPU beside the requests' paths, as the host's background work at this rate.
        let background = min(0.95 * Double(m.cores), (1 - m.pathShare) * m.labCores(atRate: rate))
        var files: [String: String] = [:]
        var app = "", proxy = ""
        for t in types {
            let d = (m.demands[t] ?? []).map { $0 * scale }
            func demand(_ kind: String) -> Double { m.components.firstIndex(of: kind).map { d[$0] } ?? 0 }
            // The CPU behind nginx — the backend's and what it causes in Redis and PostgreSQL — as
            // one draw on the host (processor sharing does not care which process computes): its
            // mean at this rate times the type's latency shape; then the rest of its latency.
            let cpu = max(1e-9, ["backend", "redis", "primary", "replica"].map(demand).reduce(0, +))
            let split = m.split(t)
            var operation = "cpu: constant(\(ms(cpu)))"
            if !split.shape.isEmpty {
                files["\(t).cpu.csv"] = LabSimulation.samples(split.shape.map { $0 * cpu })
                operation = "cpu: empirical(\"\(t).cpu.csv\")"
            }
            if split.cpuFraction < 0.999, split.delays.contains(where: { $0 >= 1e-6 }) {
                files["\(t).delay.csv"] = LabSimulation.samples(split.delays.map { max(1e-6, $0) })
                operation += "\n          steps:\n            - delay: empirical(\"\(t).delay.csv\")"
            }
            app += """
                    \(t):
                      \(operation)

            """
            proxy += "        \(t): {cpu: constant(\(ms(max(1e-9, demand("nginx"))))), steps: [{call: app.\(t)}]}\n"
        }
        let front = m.components.contains("nginx") ? "nginx" : "app"
        let weights = m.mix.map { "    \($0.name): {weight: \($0.weight)}" }.joined(separator: "\n")
        let routes = types.map { "\($0): \(front).\($0)" }.joined(separator: ", ")
        var services = ""
        if front == "nginx" {
            services += """
                nginx:
                  host: lab
                  workers: 1000000
                  io: async
                  operations:
            \(proxy)
            """
        }
        services += """
            app:
              host: lab
              instances: \(m.backends)
              workers: 1000000
              io: async
              operations:
        \(app)
        """
        let yaml = """
        version: 1
        name: lab-step-\(m.step)
        description: Step \(m.step) of the lab as measured (real_vs_sim.csv); generated by archsim lab steps.
        seed: \(seed)
        duration: \(Int(duration))s
        warmup: \(Int(warmup))s
        replications: \(replications)
        workload:
          arrivals: {kind: open, process: poisson, rate: \(String(format: "%.4f", rate))/s}
          keys:
            none: {count: 1, popularity: uniform}
          requests:
        \(weights)
        architecture:
          hosts:
            lab: {cores: \(m.cores), background: \(String(format: "%.4f", max(0, background)))}
          load_balancer: {policy: round_robin}
          routes: {\(routes)}
          services:
        \(services)
        """
        return (yaml, files)
    }

    /// The simulated step at `rate` requests per second.
    public func predict(rate: Double) throws -> Prediction {
        let (yaml, files) = scenario(rate: rate)
        let metrics = try LabSimulation.run("step-\(measurement.step)", yaml: yaml, files: files)
        return Prediction(throughput: try LabSimulation.metric(metrics, "all/throughput_rps"),
                          meanMs: try LabSimulation.metric(metrics, "all/mean_ms"),
                          p50Ms: try LabSimulation.metric(metrics, "all/p50_ms"),
                          p99Ms: try LabSimulation.metric(metrics, "all/p99_ms"),
                          errorRate: try LabSimulation.metric(metrics, "all/error_rate"))
    }

    /// The highest rate the simulated step follows by the real search's pass rule (answers ≥ 97%
    /// of the offer, errors < 1%, p99 ≤ `p99BoundMs`), by bisection between 20% and 130% of the
    /// utilisation-law limit, to 0.5%, over 30 s × 2 replications — finer and longer than the
    /// real search's 15% steps, two bisections and 4 s windows. 130% of the limit is checked to
    /// fail (the answer is not a bound of the search).
    public func capacity(p99BoundMs: Double) throws -> Double {
        let limit = measurement.utilisationLimit
        guard limit > 0 else { return 0 }
        var model = self
        model.duration = 30; model.replications = 2
        func passes(_ rate: Double) throws -> Bool {
            let p = try model.predict(rate: rate)
            return p.throughput >= 0.97 * rate && p.errorRate < 0.01 && p.p99Ms <= p99BoundMs
        }
        var lo = 0.2 * limit, hi = 1.3 * limit
        guard try passes(lo) else { return 0 }
        guard try !passes(hi) else { throw LabError("step \(measurement.step)'s model follows 130% of its utilisation limit: the limit is wrong (a bug in archsim)") }
        while (hi - lo) / lo > 0.005 {
            let mid = (lo + hi) / 2
            if try passes(mid) { lo = mid } else { hi = mid }
        }
        return lo
    }
}
