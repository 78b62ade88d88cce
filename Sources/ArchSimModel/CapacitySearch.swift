// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimStats

/// A service-level objective on a scenario's results: `p99<200ms`, `errors<0.1%`,
/// `mean[view_product]<50ms` — or, for verdicts, any metric of comparison.csv with a plain
/// number: `db_reads_rps<5000`, `main.primary:utilization<0.9`, `throughput_rps>7900`.
public struct ServiceLevelObjective: Sendable, Equatable, CustomStringConvertible {
    public enum Metric: String, Sendable, CaseIterable {
        case mean, p50, p90, p95, p99, p999, max, errors
    }
    /// The metric, or nil when it is a comparison.csv metric (`column`).
    public var metric: Metric?
    /// A comparison.csv metric name (`db_reads_rps`, `p99_ms`, `main.primary:utilization`), when
    /// `metric` is nil: looked up for the request type (`all` when none), then among the
    /// scenario-wide and component metrics.
    public var column: String?
    /// A request type's name, or nil for all requests.
    public var requestType: String?
    /// The bound: ms for latencies, a fraction (0–1) for errors, the column's own unit otherwise.
    public var bound: Double
    /// The objective holds when the metric is below the bound (`<`), or above it (`>`).
    public var above: Bool = false
    public var text: String
    public var description: String { text }

    /// Whether the bound is a latency (checked against the run's length).
    public var isLatency: Bool { metric != nil && metric != .errors }

    /// Parses `METRIC[TYPE]<VALUE` or `METRIC[TYPE]>VALUE` (units: ns, us, ms, s for latencies;
    /// % or a fraction for errors; a plain number for a comparison.csv metric).
    public init(parsing text: String) throws(SimulationError) {
        self.text = text
        let t = text.replacingOccurrences(of: " ", with: "")
        guard let op = t.firstIndex(where: { $0 == "<" || $0 == ">" }) else {
            throw .invalid("'\(text)': expected METRIC<VALUE, e.g. p99<200ms or errors<0.1%")
        }
        above = t[op] == ">"
        let (name, type) = Self.splitType(String(t[..<op]))
        requestType = type
        let value = String(t[t.index(after: op)...])
        guard !name.isEmpty else { throw .invalid("'\(text)': no metric before '\(t[op])'") }
        metric = Metric(rawValue: name)
        switch metric {
        case .errors:
            let fraction = value.hasSuffix("%") ? Double(value.dropLast()).map { $0 / 100 } : Double(value)
            guard let fraction, fraction >= 0, fraction <= 1 else { throw .invalid("'\(text)': expected an error share like 0.1% or 0.001") }
            bound = fraction
        case .some:
            let units: [(String, Double)] = [("ns", 1e-6), ("us", 1e-3), ("ms", 1), ("s", 1000)]
            guard let (suffix, scale) = units.first(where: { value.hasSuffix($0.0) }),
                  let v = Double(value.dropLast(suffix.count)), v > 0 else {
                throw .invalid("'\(text)': expected a latency with a unit, e.g. 200ms")
            }
            bound = v * scale
        case nil:
            guard Self.isColumnName(name) else {
                throw .invalid("'\(text)': unknown metric '\(name)' (one of \(Metric.allCases.map(\.rawValue).joined(separator: ", ")), "
                               + "or a metric of comparison.csv such as throughput_rps, db_reads_rps or main.primary:utilization)")
            }
            guard let v = Double(value), v.isFinite else { throw .invalid("'\(text)': expected a plain number after '\(t[op])' for \(name)") }
            column = name
            bound = v
        }
    }

    /// An output to report rather than judge: a comparison.csv metric name or one of `Metric`'s
    /// (ms; a share for `errors`), with an optional request type in brackets (`db_reads_rps`,
    /// `p99_ms[view_product]`, `p99[view_product]`).
    public init(output text: String) throws(SimulationError) {
        self.text = text
        let (name, type) = Self.splitType(text.replacingOccurrences(of: " ", with: ""))
        requestType = type
        bound = 0
        if let metric = Metric(rawValue: name) { self.metric = metric; return }
        guard Self.isColumnName(name) else {
            throw .invalid("'\(text)': expected \(Metric.allCases.map(\.rawValue).joined(separator: ", ")) or a metric of "
                           + "comparison.csv, such as throughput_rps, p99_ms, db_reads_rps or main.primary:utilization")
        }
        column = name
    }

    /// Whether a result has this objective's metric (a comparison.csv metric name must name one
    /// of its rows; a misspelt name would otherwise read as "no data" and fail every point).
    public func isKnown(in result: ScenarioResult) -> Bool {
        guard let column else { return true }
        let type = requestType ?? "all"
        return Comparison.table(result).contains { $0.metric == column && ($0.type == type || (requestType == nil && $0.type == "component")) }
    }

    /// `p99[view_product]` → (`p99`, `view_product`); without brackets, no request type.
    static func splitType(_ text: String) -> (name: String, type: String?) {
        guard let open = text.firstIndex(of: "["), text.hasSuffix("]") else { return (text, nil) }
        return (String(text[..<open]), String(text[text.index(after: open)..<text.index(before: text.endIndex)]))
    }

    /// comparison.csv metric names: `p99_ms`, `db_reads_rps`, `main.primary:utilization`.
    static func isColumnName(_ name: String) -> Bool {
        name.contains("_") || name.contains(":")
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
        guard let metric else {
            let column = column ?? ""
            if let v = Comparison.requestMetrics(counts, seconds: r.seconds).first(where: { $0.0 == column }) { return v.1 }
            guard requestType == nil else { return nil }
            return Comparison.componentMetrics(r, scenario: scenario).first(where: { $0.1 == column })?.2 ?? nil
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

    /// The metric's mean and 95% CI over `result`'s replications; nil when a replication has no
    /// value (nothing completed), so an interval never silently covers fewer replications.
    public func interval(in result: ScenarioResult) -> ConfidenceInterval? {
        let values = result.replications.compactMap { value(in: $0, scenario: result.scenario) }
        return values.count == result.replications.count && !values.isEmpty ? ConfidenceInterval(values) : nil
    }

    private func pct(_ c: RequestTypeCounts, _ p: Double) -> Double? {
        c.latency.count == 0 ? nil : c.latency.percentile(p) / 1e6
    }

    /// Whether a value is strictly on the holding side of the bound.
    func holds(_ value: Double) -> Bool { above ? value > bound : value < bound }

    /// Whether every objective holds for `scenario`, judged against simulation noise: an
    /// objective holds when its 95% confidence interval over the replications lies on the
    /// holding side of the bound, fails when it lies on the other; in between, the scenario is
    /// run again with twice the replications (up to 4× the first, at least 3), then judged by
    /// the mean. A metric without data (nothing completed) fails. Returns the verdict and the
    /// last result. `capacity`, `sensitivity` and their break-even searches all judge this way.
    public static func judge(_ objectives: [ServiceLevelObjective], _ scenario: Scenario, jobs: Int) throws -> (holds: Bool, result: ScenarioResult) {
        let first = max(3, scenario.replications)
        var s = scenario
        s.replications = first
        while true {
            let result = try Runner.run(s, jobs: jobs)
            var undecided = false
            for objective in objectives {
                let values = result.replications.map { objective.value(in: $0, scenario: s) }
                if values.contains(where: { $0 == nil }) { return (false, result) }
                let ci = ConfidenceInterval(values.map { $0! })
                let half = ci.halfWidth ?? 0
                // The CI's end nearer the bound, and the farther one (for `<`: upper and lower).
                let near = objective.above ? ci.mean - half : ci.mean + half
                let far = objective.above ? ci.mean + half : ci.mean - half
                if !objective.holds(far) { return (false, result) }
                if !objective.holds(near) {
                    if s.replications >= 4 * first {
                        if !objective.holds(ci.mean) { return (false, result) }
                    } else {
                        undecided = true
                    }
                }
            }
            if !undecided { return (true, result) }
            s.replications *= 2
        }
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
            let ok = try ServiceLevelObjective.judge(objectives, scaled(scenario, by: factor), jobs: jobs).holds
            progress?(factor, ok)
            return ok
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
