// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimStats
import Foundation

/// Whether a run's warm-up looks long enough: MSER-5 on its timeseries, warm-up windows
/// included — the replications' mean, window by window, of the requests in flight and of the
/// windowed median latency.
///
/// MSER-5 moves its truncation a little on noise alone, so a truncation past the warm-up is
/// reported only when it matters: the measured windows it would also discard (from the warm-up
/// to the truncation) differ from the rest beyond noise (a t test at 99.9%), and keeping them
/// moves the series' mean over the measured windows by more than 1%. A truncation at half the
/// run (MSER's limit) that passes that test, or whose second half still trends, means the
/// series did not settle within the run: an overloaded system, or a run too short to tell.
///
/// Only for workloads meant to be steady: a constant open rate or a closed population, no
/// faults. A profile or a fault makes the series move on purpose.
public struct WarmupCheck: Sendable, Equatable {
    /// Where the series settles (ns of simulated time from the start), in whole windows.
    public var settlesAt: Int64
    /// The series that decided: "requests in flight" or "median latency".
    public var series: String
    /// False when MSER-5's truncation is at half the run.
    public var settled: Bool
    /// The run's own warm-up (ns).
    public var warmup: Int64
    /// How far the measured windows' mean is from the settled one (a share of the settled mean).
    public var bias: Double

    /// Nil when the warm-up looks long enough, the workload is not meant to be steady, or the
    /// run has fewer than 20 windows.
    public init?(_ result: ScenarioResult) {
        let s = result.scenario
        guard s.faults.isEmpty else { return nil }
        if case .open(_, .profile) = s.workload.arrivals { return nil }
        let windows = result.replications.map(\.timeseries.count).min() ?? 0
        guard windows >= 20, !result.replications.isEmpty else { return nil }
        let n = Double(result.replications.count)
        func mean(_ f: (WindowRow) -> Double) -> [Double] {
            (0..<windows).map { w in result.replications.reduce(0) { $0 + f($1.timeseries[w]) } / n }
        }
        // Windows that start inside the warm-up (the run counts only requests that arrive
        // after it) are discarded anyway.
        let measuredFrom = Int((s.warmup + s.window - 1) / s.window)
        var worst: (truncation: Int, atLimit: Bool, series: String, bias: Double)?
        for (name, series) in [("requests in flight", mean { Double($0.inFlight) }), ("median latency", mean(\.p50))] {
            guard let mser = MSER(series) else { continue }
            // At MSER's limit the series may still be growing past a long warm-up: the measured
            // windows' second half is then tested for a trend.
            let truncation = mser.atLimit ? max(mser.truncation, measuredFrom + (series.count - measuredFrom) / 2) : mser.truncation
            guard truncation > measuredFrom,
                  let bias = Self.bias(series, measuredFrom: measuredFrom, truncation: truncation, atLimit: mser.atLimit) else { continue }
            if worst == nil || truncation > worst!.truncation { worst = (truncation, mser.atLimit, name, bias) }
        }
        guard let worst else { return nil }
        series = worst.series
        settled = !worst.atLimit
        settlesAt = Int64(worst.truncation) * s.window
        warmup = s.warmup
        bias = worst.bias
    }

    /// The relative bias of keeping windows measuredFrom..<truncation, or nil when they are
    /// within noise or move the mean by 1% or less. Noise: the difference between their mean and
    /// the rest's must pass a t test at 99.9% (two-sided, the standard error from the rest's
    /// 5-window batch means); at MSER's limit, a trend in the rest's batch means (the slope's t
    /// test at 99.9%) also counts — a queue that grows all run.
    static func bias(_ series: [Double], measuredFrom: Int, truncation: Int, atLimit: Bool) -> Double? {
        let removed = series[measuredFrom..<truncation], kept = series[truncation...]
        let batch = 5
        let batches = kept.count / batch
        guard batches >= 3 else { return nil }
        let start = kept.startIndex
        let means = (0..<batches).map { b in series[(start + b * batch)..<(start + (b + 1) * batch)].reduce(0, +) / Double(batch) }
        let m = means.reduce(0, +) / Double(batches)
        let sd = (means.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(batches - 1)).squareRoot()
        let keptMean = kept.reduce(0, +) / Double(kept.count), removedMean = removed.reduce(0, +) / Double(removed.count)
        let standardError = sd * (Double(batch) / Double(removed.count) + Double(batch) / Double(kept.count)).squareRoot()
        var significant = abs(removedMean - keptMean) > ConfidenceInterval.tQuantile(0.9995, degreesOfFreedom: Double(batches - 1)) * standardError
        if atLimit && !significant && batches >= 4 {
            // Least-squares slope of the batch means on their index, and its t statistic.
            let x = (0..<batches).map(Double.init), xm = x.reduce(0, +) / Double(batches)
            let sxx = x.reduce(0) { $0 + ($1 - xm) * ($1 - xm) }
            let slope = zip(x, means).reduce(0) { $0 + ($1.0 - xm) * ($1.1 - m) } / sxx
            let residual = zip(x, means).reduce(0) { $0 + pow($1.1 - m - slope * ($1.0 - xm), 2) } / Double(batches - 2)
            let t = residual == 0 ? (slope == 0 ? 0 : .infinity) : abs(slope) / (residual / sxx).squareRoot()
            significant = t > ConfidenceInterval.tQuantile(0.9995, degreesOfFreedom: Double(batches - 2))
        }
        guard significant, keptMean != 0 else { return nil }
        let measuredMean = series[measuredFrom...].reduce(0, +) / Double(series.count - measuredFrom)
        let bias = abs(measuredMean - keptMean) / abs(keptMean)
        return bias > 0.01 ? bias : nil
    }
}
