// SPDX-License-Identifier: GPL-3.0-or-later

/// MSER-5 (White, 1997; White, Cobb and Spratt, 2000): where to truncate an output series so
/// that what is left has the smallest marginal standard error. The series is cut into batches
/// of 5 observations; for each candidate truncation d (in batches) the statistic is
/// Σ_{i≥d} (Y_i − Ȳ_d)² / (k − d)², with Y_i the batch means, k their count and Ȳ_d the mean
/// of those kept. Candidates stop at half the batches: a minimum there means the series has not
/// settled within the run (`atLimit`), and the run is too short to tell its warm-up.
///
/// Cost: O(n) time, O(n / batch) memory.
public struct MSER: Sendable, Equatable {
    /// Observations to discard (a multiple of `batch`).
    public var truncation: Int
    /// True when the minimum is at the last candidate, half the series.
    public var atLimit: Bool

    /// Nil for a series of fewer than 4 batches.
    public init?(_ series: [Double], batch: Int = 5) {
        precondition(batch >= 1, "MSER: a batch has at least one observation")
        let k = series.count / batch
        guard k >= 4 else { return nil }
        // Batch means, centred on their overall mean so that the sums of squares do not cancel.
        var means = (0..<k).map { b in series[b * batch..<(b + 1) * batch].reduce(0, +) / Double(batch) }
        let centre = means.reduce(0, +) / Double(k)
        means = means.map { $0 - centre }
        // Suffix sums: the candidates d = last … 0, each O(1).
        var sum = 0.0, squares = 0.0
        var best = (d: 0, value: Double.infinity)
        let last = k / 2
        for i in stride(from: k - 1, through: 0, by: -1) {
            sum += means[i]; squares += means[i] * means[i]
            guard i <= last else { continue }
            let kept = Double(k - i)
            let value = (squares - sum * sum / kept) / (kept * kept)
            // `<=` so that ties go to the earlier truncation (the loop runs backwards).
            if value <= best.value { best = (i, value) }
        }
        truncation = best.d * batch
        atLimit = best.d == last
    }
}
