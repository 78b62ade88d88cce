// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimStats

/// A service-level objective on a scenario's results: `p99<200ms`, `errors<0.1%`,
/// `mean[view_product]<50ms`.
public struct ServiceLevelObjective: Sendable, Equatable, CustomStringConvertible {
    public enum Metric: String, Sendable, CaseIterable {
        case mean, p50, p90, p95, p99, p999, max, errors
    }
    public var metric: Metric
    /// A request type's name, or nil for all requests.
    public var requestType: String?
    /// The bound: ms for latencies, a fraction (0–1) for errors. The objective holds when the
    /// metric is below it.
    public var bound: Double
    public var text: String
    public var description: String { text }

    /// Parses `METRIC[TYPE]<VALUE` (units: ns, us, ms, s for latencies; % or a fraction for errors).
    public init(parsing text: String) throws(SimulationError) {
        self.text = text
        let t = text.replacingOccurrences(of: " ", with: "")
        guard let lt = t.firstIndex(of: "<") else { throw .invalid("SLO '\(text)': expected METRIC<VALUE, e.g. p99<200ms or errors<0.1%") }
        var name = String(t[..<lt])
        let value = String(t[t.index(after: lt)...])
        if let open = name.firstIndex(of: "["), name.hasSuffix("]") {
            requestType = String(name[name.index(after: open)..<name.index(before: name.endIndex)])
            name = String(name[..<open])
        }
        guard let m = Metric(rawValue: name) else {
            throw .invalid("SLO '\(text)': unknown metric '\(name)' (one of \(Metric.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        metric = m
        if m == .errors {
            let fraction = value.hasSuffix("%") ? Double(value.dropLast()).map { $0 / 100 } : Double(value)
            guard let fraction, fraction >= 0, fraction <= 1 else { throw .invalid("SLO '\(text)': expected an error share like 0.1% or 0.001") }
            bound = fraction
        } else {
            let units: [(String, Double)] = [("ns", 1e-6), ("us", 1e-3), ("ms", 1), ("s", 1000)]
            guard let (suffix, scale) = units.first(where: { value.hasSuffix($0.0) }),
                  let v = Double(value.dropLast(suffix.count)), v > 0 else {
                throw .invalid("SLO '\(text)': expected a latency with a unit, e.g. 200ms")
            }
            bound = v * scale
        }
    }

    /// The metric's value in one replication (ms, or an error share); nil if it has no data.
    public func value(in r: ReplicationResult, scenario: Scenario) -> Double? {
        let counts: RequestTypeCounts
        if let requestType {
            guard let i = scenario.workload.requestTypes.firstIndex(where: { $0.name == requestType }) else { return nil }
            counts = r.types[i]
        } else {
            counts = r.all
        }
        switch metric {
        case .errors: return counts.offered == 0 ? nil : Double(counts.errors) / Double(counts.offered)
        case .mean: return counts.latency.count == 0 ? nil : counts.latency.mean / 1e6
        case .max: return counts.latency.count == 0 ? nil : Double(counts.latency.max) / 1e6
        case .p50: return pct(counts, 50)
        case .p90: return pct(counts, 90)
        case .p95: return pct(counts, 95)
        case .p99: return pct(counts, 99)
        case .p999: return pct(counts, 99.9)
        }
    }

    private func pct(_ c: RequestTypeCounts, _ p: Double) -> Double? {
        c.latency.count == 0 ? nil : c.latency.percentile(p) / 1e6
    }
}

/// The highest arrival rate at which every objective holds: the workload's rate (or profile,
/// or closed users) is scaled by a factor, found by bracketing and bisection.
///
/// Simulation noise is accounted for at each factor: an objective holds when the upper end of
/// its 95% confidence interval over the replications is below the bound, fails when the lower
/// end is above it; in between, the factor is run again with twice the replications (up to 4×),
/// then judged by the mean. A scenario whose work has no data (nothing completed) fails.
public enum CapacitySearch {
    public struct Result: Sendable {
        public var scenario: String
        /// The base scenario's rate (peak of a profile; users for a closed workload).
        public var baseRate: Double
        /// Highest factor found to hold, and lowest found to fail.
        public var holds: Double
        public var fails: Double
        public var evaluations: Int
        public var capacity: Double { baseRate * holds }
        /// Whether the workload is closed (capacity in users).
        public var closed: Bool
    }

    /// Copies `scenario` with its arrivals scaled by `factor`.
    public static func scaled(_ scenario: Scenario, by factor: Double) -> Scenario {
        var s = scenario
        switch s.workload.arrivals {
        case .open(let process, .constant(let rate)):
            s.workload.arrivals = .open(process: process, rate: .constant(rate * factor))
        case .open(let process, .profile(let points)):
            s.workload.arrivals = .open(process: process, rate: .profile(points.map { RatePoint(at: $0.at, perSecond: $0.perSecond * factor) }))
        case .closed(let users, let think):
            s.workload.arrivals = .closed(users: max(1, Int((Double(users) * factor).rounded())), think: think)
        }
        return s
    }

    static func baseRate(_ scenario: Scenario) -> (Double, Bool) {
        switch scenario.workload.arrivals {
        case .open(_, .constant(let rate)): return (rate, false)
        case .open(_, .profile(let points)): return (points.map(\.perSecond).max() ?? 0, false)
        case .closed(let users, _): return (Double(users), true)
        }
    }

    /// Searches to a relative precision of `tolerance` (default 1%). `progress` hears each factor tried.
    /// Doubling stops at `largestLoad` (requests per second, or users for a closed workload) or
    /// at ×10⁶: an objective that never fails must not grow the model until the machine runs out
    /// of memory. `fails` is then that bound, unverified.
    public static func search(_ scenario: Scenario, objectives: [ServiceLevelObjective], jobs: Int,
                              tolerance: Double = 0.01, largestLoad: (rate: Double, users: Double) = (.infinity, .infinity),
                              progress: ((Double, Bool) -> Void)? = nil) throws -> Result {
        var evaluations = 0
        func holds(_ factor: Double) throws -> Bool {
            evaluations += 1
            var replications = max(3, scenario.replications)
            while true {
                var s = scaled(scenario, by: factor)
                s.replications = replications
                let result = try Runner.run(s, jobs: jobs)
                var undecided = false
                for objective in objectives {
                    let values = result.replications.map { objective.value(in: $0, scenario: s) }
                    if values.contains(where: { $0 == nil }) { progress?(factor, false); return false }
                    let ci = ConfidenceInterval(values.map { $0! })
                    let half = ci.halfWidth ?? 0
                    if ci.mean - half >= objective.bound { progress?(factor, false); return false }
                    if ci.mean + half >= objective.bound {
                        if replications >= 4 * max(3, scenario.replications) {
                            if ci.mean >= objective.bound { progress?(factor, false); return false }
                        } else {
                            undecided = true
                        }
                    }
                }
                if !undecided { progress?(factor, true); return true }
                replications *= 2
            }
        }
        let (base, closed) = baseRate(scenario)
        let largest = min(1e6, base > 0 ? (closed ? largestLoad.users : largestLoad.rate) / base : 1e6)
        var lo = 1.0, hi = 1.0
        if try holds(1) {
            while true { lo = hi; hi = min(hi * 2, largest); if hi <= lo { break }; if !(try holds(hi)) { break } }
        } else {
            while true { hi = lo; lo /= 2; if lo <= 1e-6 { break }; if try holds(lo) { break } }
        }
        while hi / lo > 1 + tolerance {
            let mid = (lo * hi).squareRoot()
            if try holds(mid) { lo = mid } else { hi = mid }
        }
        return Result(scenario: scenario.name, baseRate: base, holds: lo, fails: hi, evaluations: evaluations, closed: closed)
    }
}
