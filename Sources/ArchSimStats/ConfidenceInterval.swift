// SPDX-License-Identifier: GPL-3.0-or-later
import CGSL

/// Mean and Student-t confidence interval of independent replications' values.
public struct ConfidenceInterval: Sendable, Equatable {
    public var mean: Double
    /// Half-width of the interval; nil with fewer than two values.
    public var halfWidth: Double?
    public var count: Int

    /// The `level` (default 0.95) two-sided interval: mean ± t(level, n−1) · s / √n.
    public init(_ values: [Double], level: Double = 0.95) {
        count = values.count
        guard !values.isEmpty else { mean = 0; halfWidth = nil; return }
        let n = Double(values.count)
        // Sum in a fixed order: results must not depend on anything but the values.
        mean = values.reduce(0, +) / n
        guard values.count >= 2 else { halfWidth = nil; return }
        let ss = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
        let sd = (ss / (n - 1)).squareRoot()
        halfWidth = Self.tQuantile(1 - (1 - level) / 2, degreesOfFreedom: n - 1) * sd / n.squareRoot()
    }

    /// The Student-t quantile (GSL's inverse CDF).
    public static func tQuantile(_ p: Double, degreesOfFreedom nu: Double) -> Double {
        gsl_cdf_tdist_Pinv(p, nu)
    }
}
