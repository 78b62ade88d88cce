// SPDX-License-Identifier: GPL-3.0-or-later
import Foundation

extension Distribution {
    /// z such that Φ(z) = 0.99 for the standard normal.
    public static let z99 = 2.326_347_874_040_840_8

    /// Lognormal with the given median and 99th percentile (ns): μ = ln(median),
    /// σ = ln(p99 / median) / z₀.₉₉. Needs 0 < median < p99.
    public static func lognormal(median: Double, p99: Double) -> Distribution {
        precondition(median > 0 && p99 > median, "lognormal needs 0 < median < p99")
        return .lognormal(mu: Foundation.log(median), sigma: Foundation.log(p99 / median) / z99)
    }

    /// Lognormal with the given mean and standard deviation (ns):
    /// σ² = ln(1 + sd²/mean²), μ = ln(mean) − σ²/2. Needs mean > 0, sd > 0.
    public static func lognormal(mean: Double, sd: Double) -> Distribution {
        precondition(mean > 0 && sd > 0, "lognormal needs mean > 0 and sd > 0")
        let s2 = Foundation.log(1 + (sd * sd) / (mean * mean))
        return .lognormal(mu: Foundation.log(mean) - s2 / 2, sigma: s2.squareRoot())
    }

    /// Gamma with the given shape k and mean (ns): scale θ = mean / k.
    public static func gamma(shape: Double, mean: Double) -> Distribution {
        precondition(shape > 0 && mean > 0, "gamma needs shape > 0 and mean > 0")
        return .gamma(shape: shape, scale: mean / shape)
    }
}
