// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimStats

/// Adds replications until every chosen metric's 95% confidence interval is narrow enough
/// (`--precision 2%`): its half-width at most `relative` × its mean, in every scenario.
///
/// Replications are added in index order (0, 1, 2, …) and each replication's random streams
/// depend on its index alone, so the outcome — how many replications, and every number — is the
/// same whatever `jobs` is. Scenarios run side by side (`compare`) keep one count, so their
/// replications stay paired (common random numbers).
///
/// The count grows from the scenarios' own replications (at least 3) towards the estimate
/// n · (half-width / target)², at most doubling per round (a half-width from few replications is
/// itself noisy), up to `maxReplications`. Sequential stopping makes the final interval slightly
/// optimistic (it stops when the noise happens to be low); the target is a precision, not a
/// guarantee of coverage.
public struct PrecisionTarget: Sendable {
    /// What must be precise: `mean` (of all requests) by default; any `--output` metric.
    public var metrics: [ServiceLevelObjective]
    /// Largest relative half-width, e.g. 0.02.
    public var relative: Double
    public var maxReplications: Int

    public init(metrics: [ServiceLevelObjective], relative: Double, maxReplications: Int) {
        self.metrics = metrics; self.relative = relative; self.maxReplications = maxReplications
    }

    /// One metric's interval in one scenario after the last round.
    public struct Width: Sendable {
        public var scenario: String
        public var metric: String
        public var mean: Double?
        public var halfWidth: Double?
        /// Half-width over |mean|; 0 when both are 0 (a metric that never varies, e.g. no errors).
        public var relative: Double? {
            guard let mean, let halfWidth else { return nil }
            if halfWidth == 0 { return 0 }
            return mean == 0 ? .infinity : halfWidth / abs(mean)
        }
    }

    public struct Outcome: Sendable {
        public var results: [ScenarioResult]
        public var widths: [Width]
        /// True when every width met the target; false when `maxReplications` stopped it.
        public var reached: Bool
        /// The target it was run to.
        public var relative: Double
        public var replications: Int { results.first?.replications.count ?? 0 }
    }

    /// The widths of every metric in every result.
    public func widths(_ results: [ScenarioResult]) -> [Width] {
        results.flatMap { result in
            metrics.map { metric in
                let ci = metric.interval(in: result)
                return Width(scenario: result.name, metric: metric.text, mean: ci?.mean, halfWidth: ci?.halfWidth)
            }
        }
    }

    /// The replications the next round should reach from `n`, or nil when the target is met.
    func next(after n: Int, widths: [Width]) -> Int? {
        let worst = widths.map { $0.relative ?? .infinity }.max() ?? 0
        guard worst > relative else { return nil }
        // In Double: the ratio may be huge (a mean near 0 with some spread).
        let estimate = worst.isFinite ? (Double(n) * (worst / relative) * (worst / relative)).rounded(.up) : Double(2 * n)
        return min(maxReplications, max(n + 1, Int(min(Double(2 * n), estimate))))
    }

    /// Runs `scenarios` with the same growing number of replications until precise or capped
    /// (never fewer than the scenarios' own replications, at least 3; the cap rises to them).
    /// `round` hears each round's replication count before it runs (and may refuse it by
    /// throwing); `checkFirst` sees the first round's results (to refuse a metric they lack
    /// before running more).
    public func run(_ scenarios: [Scenario], jobs: Int, round: ((Int) throws -> Void)? = nil,
                    checkFirst: (([ScenarioResult]) throws -> Void)? = nil,
                    progress: (@Sendable (Runner.Progress) -> Void)? = nil) throws -> Outcome {
        var n = max(3, scenarios.map(\.replications).max() ?? 1)
        var target = self
        target.maxReplications = max(maxReplications, n)
        var done: [[ReplicationResult]] = Array(repeating: [], count: scenarios.count)
        var first = true
        while true {
            try round?(n)
            var results: [ScenarioResult] = []
            for (i, scenario) in scenarios.enumerated() {
                done[i] += try Runner.run(scenario, replications: done[i].count..<n, jobs: jobs, progress: progress)
                var s = scenario
                s.replications = n
                results.append(ScenarioResult(scenario: s, replications: done[i]))
            }
            if first { try checkFirst?(results); first = false }
            let widths = target.widths(results)
            guard n < target.maxReplications, let more = target.next(after: n, widths: widths) else {
                return Outcome(results: results, widths: widths, reached: target.next(after: n, widths: widths) == nil,
                               relative: relative)
            }
            n = more
        }
    }
}
