// SPDX-License-Identifier: GPL-3.0-or-later

/// A probability distribution of a duration, as written in a scenario (`exponential(mean=2ms)`).
///
/// Parameters that are durations are in **nanoseconds** (as `Double`); shapes are plain numbers.
/// A distribution is plain data: `sample(_:)` draws from a ``RandomStream`` and returns whole
/// nanoseconds (never negative). `mean` and `variance` are the analytic moments (in ns and ns²)
/// where they exist, so tests can compare samples with them.
public enum Distribution: Sendable, Equatable {
    /// Always the same value (ns).
    case constant(Double)
    /// Exponential with the given mean (ns).
    case exponential(mean: Double)
    /// Uniform on [min, max] (ns).
    case uniform(min: Double, max: Double)
    /// Normal with mean and standard deviation (ns), truncated at 0 (redrawn while negative).
    case normal(mean: Double, sd: Double)
    /// Lognormal: ln(X in ns) is normal with mean `mu` and standard deviation `sigma`.
    /// Build it with ``lognormal(median:p99:)`` or ``lognormal(mean:sd:)``.
    case lognormal(mu: Double, sigma: Double)
    /// Gamma with shape k and scale θ (ns); mean kθ. See ``gamma(shape:mean:)``.
    case gamma(shape: Double, scale: Double)
    /// Erlang-k with the given mean (ns): the sum of k exponentials of mean `mean / k`.
    case erlang(k: Int, mean: Double)
    /// Weibull with shape k and scale λ (ns).
    case weibull(shape: Double, scale: Double)
    /// Pareto (type I) with shape α and minimum x_m (ns).
    case pareto(shape: Double, min: Double)
    /// Samples a measured distribution (values or a histogram, in ns).
    case empirical(EmpiricalDistribution)
}

/// A measured distribution: either raw values (sampled uniformly, i.e. bootstrap) or a
/// histogram (a bin is chosen by weight, then a value uniformly inside it).
public struct EmpiricalDistribution: Sendable, Equatable {
    /// Raw values in ns, sorted ascending; empty when `binEdges` is used.
    public var values: [Double]
    /// Histogram bin edges in ns (count = weights.count + 1), ascending; empty for raw values.
    public var binEdges: [Double]
    /// Histogram bin weights (non-negative, not all zero); empty for raw values.
    /// Setting it recomputes ``cumulative``.
    public var weights: [Double] { didSet { cumulative = Self.runningSums(weights) } }
    /// Running sums of `weights` (`cumulative[i] = weights[0] + … + weights[i]`), computed once
    /// when the distribution is built so that sampling a bin is a binary search with no
    /// allocation. Empty for raw values.
    public private(set) var cumulative: [Double]
    /// Where it was read from, for messages.
    public var source: String

    public init(values: [Double], source: String) {
        self.values = values.sorted(); self.binEdges = []; self.weights = []; self.cumulative = []
        self.source = source
    }
    public init(binEdges: [Double], weights: [Double], source: String) {
        self.values = []; self.binEdges = binEdges; self.weights = weights
        self.cumulative = Self.runningSums(weights); self.source = source
    }

    static func runningSums(_ w: [Double]) -> [Double] {
        var sums: [Double] = []
        sums.reserveCapacity(w.count)
        var total = 0.0
        for x in w { total += x; sums.append(total) }
        return sums
    }
}
