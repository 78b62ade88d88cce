// SPDX-License-Identifier: GPL-3.0-or-later
import CGSL
import Foundation

extension Distribution {
    /// The analytic mean in ns, of the continuous distribution (before rounding to whole ns).
    ///
    /// - `+infinity` where the mean diverges: pareto with shape α ≤ 1.
    /// - `nan` when the parameters are invalid (see ``validate()``).
    /// - normal: the mean of the normal truncated at 0, μ + σ·φ(α)/(1 − Φ(α)) with α = −μ/σ.
    public var mean: Double {
        guard validate() == nil else { return .nan }
        switch self {
        case .constant(let v): return v
        case .exponential(let m): return m
        case .uniform(let a, let b): return (a + b) / 2
        case .normal(let mu, let sd):
            let t = Self.truncatedNormalTerms(mean: mu, sd: sd)
            return mu + sd * t.lambda
        case .lognormal(let mu, let sigma): return exp(mu + sigma * sigma / 2)
        case .gamma(let k, let theta): return k * theta
        case .erlang(_, let m): return m
        case .weibull(let k, let lambda): return lambda * tgamma(1 + 1 / k)
        case .pareto(let alpha, let xm): return alpha <= 1 ? .infinity : alpha * xm / (alpha - 1)
        case .empirical(let e): return e.moments.mean
        }
    }

    /// The analytic variance in ns², of the continuous distribution (before rounding to whole
    /// ns; rounding adds about 1/12 ns²).
    ///
    /// - `+infinity` where the variance diverges: pareto with shape α ≤ 2.
    /// - `nan` when the parameters are invalid (see ``validate()``).
    /// - normal: the variance of the normal truncated at 0, σ²·(1 + αλ − λ²) with α = −μ/σ,
    ///   λ = φ(α)/(1 − Φ(α)).
    /// - empirical values: the population variance of the values (sampling is a bootstrap).
    public var variance: Double {
        guard validate() == nil else { return .nan }
        switch self {
        case .constant: return 0
        case .exponential(let m): return m * m
        case .uniform(let a, let b): return (b - a) * (b - a) / 12
        case .normal(let mu, let sd):
            let t = Self.truncatedNormalTerms(mean: mu, sd: sd)
            return sd * sd * (1 + t.alpha * t.lambda - t.lambda * t.lambda)
        case .lognormal(let mu, let sigma):
            let s2 = sigma * sigma
            return expm1(s2) * exp(2 * mu + s2)
        case .gamma(let k, let theta): return k * theta * theta
        case .erlang(let k, let m): return m * m / Double(k)
        case .weibull(let k, let lambda):
            let g1 = tgamma(1 + 1 / k)
            return lambda * lambda * (tgamma(1 + 2 / k) - g1 * g1)
        case .pareto(let alpha, let xm):
            return alpha <= 2 ? .infinity : xm * xm * alpha / ((alpha - 1) * (alpha - 1) * (alpha - 2))
        case .empirical(let e): return e.moments.variance
        }
    }

    /// The standard deviation in ns (√variance).
    public var standardDeviation: Double { variance.squareRoot() }

    /// α = −μ/σ and the inverse Mills ratio λ = φ(α)/(1 − Φ(α)) of a normal truncated at 0.
    static func truncatedNormalTerms(mean: Double, sd: Double) -> (alpha: Double, lambda: Double) {
        let alpha = -mean / sd
        return (alpha, gsl_ran_ugaussian_pdf(alpha) / gsl_cdf_ugaussian_Q(alpha))
    }

    /// A plain-language description of what is wrong with the parameters, or nil when they are
    /// usable. Checks finiteness, signs and orderings, e.g. a negative mean, σ ≤ 0, k < 1,
    /// min > max, an empty empirical distribution.
    public func validate() -> String? {
        func positive(_ x: Double, _ what: String) -> String? {
            x.isFinite && x > 0 ? nil : "\(what) must be a finite number greater than 0 (got \(x))"
        }
        func nonNegative(_ x: Double, _ what: String) -> String? {
            x.isFinite && x >= 0 ? nil : "\(what) must be a finite number ≥ 0 (got \(x))"
        }
        switch self {
        case .constant(let v):
            return nonNegative(v, "the constant value")
        case .exponential(let m):
            return positive(m, "the exponential mean")
        case .uniform(let a, let b):
            if let p = nonNegative(a, "the uniform min") ?? nonNegative(b, "the uniform max") { return p }
            return a <= b ? nil : "the uniform min (\(a)) is greater than its max (\(b))"
        case .normal(let mu, let sd):
            return nonNegative(mu, "the normal mean") ?? positive(sd, "the normal standard deviation")
        case .lognormal(let mu, let sigma):
            if !mu.isFinite { return "the lognormal mu must be a finite number (got \(mu))" }
            return positive(sigma, "the lognormal sigma")
        case .gamma(let k, let theta):
            return positive(k, "the gamma shape") ?? positive(theta, "the gamma scale")
        case .erlang(let k, let m):
            if k < 1 { return "the Erlang k must be a whole number ≥ 1 (got \(k))" }
            return positive(m, "the Erlang mean")
        case .weibull(let k, let lambda):
            return positive(k, "the Weibull shape") ?? positive(lambda, "the Weibull scale")
        case .pareto(let alpha, let xm):
            return positive(alpha, "the Pareto shape") ?? positive(xm, "the Pareto minimum")
        case .empirical(let e):
            return e.validate()
        }
    }
}

extension EmpiricalDistribution {
    /// Mean (ns) and variance (ns²) of what ``Distribution/sample(_:)`` draws (before rounding).
    /// Raw values: the values' mean and population variance. Histogram: the mixture of uniform
    /// bins, Σ pᵢ((bᵢ−aᵢ)²/12 + (midᵢ − mean)²).
    public var moments: (mean: Double, variance: Double) {
        if !values.isEmpty {
            let n = Double(values.count)
            let m = values.reduce(0, +) / n
            let v = values.reduce(0) { $0 + ($1 - m) * ($1 - m) } / n
            return (m, v)
        }
        guard let total = cumulative.last, total > 0, binEdges.count == weights.count + 1 else {
            return (.nan, .nan)
        }
        var m = 0.0
        for i in weights.indices { m += weights[i] / total * (binEdges[i] + binEdges[i + 1]) / 2 }
        var v = 0.0
        for i in weights.indices {
            let a = binEdges[i], b = binEdges[i + 1], mid = (a + b) / 2
            v += weights[i] / total * ((b - a) * (b - a) / 12 + (mid - m) * (mid - m))
        }
        return (m, v)
    }

    /// A plain-language problem with the data, or nil.
    public func validate() -> String? {
        let from = source.isEmpty ? "" : " (from \(source))"
        if !values.isEmpty {
            if !binEdges.isEmpty || !weights.isEmpty {
                return "an empirical distribution\(from) has both raw values and a histogram"
            }
            if let bad = values.first(where: { !($0.isFinite && $0 >= 0) }) {
                return "an empirical distribution\(from) has a value that is negative or not a number (\(bad))"
            }
            return nil
        }
        if weights.isEmpty {
            return "an empirical distribution\(from) is empty: it has neither values nor histogram bins"
        }
        if binEdges.count != weights.count + 1 {
            return "an empirical histogram\(from) has \(weights.count) weights but \(binEdges.count) bin edges; it needs one more edge than weights"
        }
        if let bad = binEdges.first(where: { !($0.isFinite && $0 >= 0) }) {
            return "an empirical histogram\(from) has a bin edge that is negative or not a number (\(bad))"
        }
        for i in 1..<binEdges.count where binEdges[i] < binEdges[i - 1] {
            return "the bin edges of an empirical histogram\(from) are not ascending (\(binEdges[i - 1]) then \(binEdges[i]))"
        }
        if let bad = weights.first(where: { !($0.isFinite && $0 >= 0) }) {
            return "an empirical histogram\(from) has a weight that is negative or not a number (\(bad))"
        }
        if !(cumulative.last.map { $0 > 0 && $0.isFinite } ?? false) {
            return "the weights of an empirical histogram\(from) are all zero (or their sum is not finite)"
        }
        return nil
    }
}
