// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimKernel
import Foundation

/// Maximum-likelihood fits of the scenario format's distributions to a sample of durations,
/// ranked by AIC (2k − 2 ln L; lower is better).
///
/// Families and their estimators: exponential (mean), normal (mean, sd; the format truncates at
/// 0, ignored here as calibration samples are far from 0 in sd units or the fit loses anyway),
/// lognormal (mean and sd of ln x), gamma (Minka's fixed point on the shape, then the scale),
/// Weibull (Newton on the shape's profile equation), Pareto (min = the sample minimum, shape
/// = n / Σ ln(x/min)). Likelihoods are in ns, so they compare across families.
public struct DistributionFit: Sendable {
    public var family: String
    public var distribution: Distribution
    /// Free parameters.
    public var parameters: Int
    public var logLikelihood: Double
    public var aic: Double { 2 * Double(parameters) - 2 * logLikelihood }

    /// Every family that fits `samples` (ns, all > 0; zeros are nudged to 1 ns), best AIC first.
    /// O(n) per family (gamma and Weibull: O(n) per iteration, ≤ 100 iterations).
    public static func fits(_ samples: [Double]) -> [DistributionFit] {
        let x = samples.map { max($0, 1) }
        guard x.count >= 2 else { return [] }
        let n = Double(x.count)
        let mean = x.reduce(0, +) / n
        let logs = x.map { Foundation.log($0) }
        let sumLog = logs.reduce(0, +)
        var out: [DistributionFit] = []

        // Exponential.
        out.append(.init(family: "exponential", distribution: .exponential(mean: mean), parameters: 1,
                         logLikelihood: -n * Foundation.log(mean) - n))
        // Normal.
        let variance = x.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / n
        if variance > 0 {
            let ll = -0.5 * n * Foundation.log(2 * .pi * variance) - 0.5 * n
            out.append(.init(family: "normal", distribution: .normal(mean: mean, sd: variance.squareRoot()), parameters: 2, logLikelihood: ll))
        }
        // Lognormal.
        let mu = sumLog / n
        let s2 = logs.reduce(0) { $0 + ($1 - mu) * ($1 - mu) } / n
        if s2 > 0 {
            let ll = -sumLog - 0.5 * n * Foundation.log(2 * .pi * s2) - 0.5 * n
            out.append(.init(family: "lognormal", distribution: .lognormal(mu: mu, sigma: s2.squareRoot()), parameters: 2, logLikelihood: ll))
        }
        // Gamma: s = ln(mean) − mean(ln x) > 0; Minka's generalised Newton update of the shape.
        let s = Foundation.log(mean) - sumLog / n
        if s > 1e-12 {
            var k = (3 - s + ((s - 3) * (s - 3) + 24 * s).squareRoot()) / (12 * s)
            for _ in 0..<100 {
                let num = Foundation.log(k) - digamma(k) - s
                let den = k * k * (1 / k - trigamma(k))
                let next = 1 / (1 / k + num / den)
                if !next.isFinite || next <= 0 { break }
                if abs(next - k) < 1e-10 * k { k = next; break }
                k = next
            }
            let theta = mean / k
            let ll = (k - 1) * sumLog - n * mean / theta - n * k * Foundation.log(theta) - n * lgamma(k)
            if ll.isFinite {
                out.append(.init(family: "gamma", distribution: .gamma(shape: k, scale: theta), parameters: 2, logLikelihood: ll))
            }
        }
        // Weibull: solve Σ x^k ln x / Σ x^k − 1/k − mean(ln x) = 0 for k (Newton, scaled x).
        if let w = weibull(x, logs: logs) { out.append(w) }
        // Pareto.
        let lo = x.min()!
        let sumRel = logs.reduce(0) { $0 + $1 - Foundation.log(lo) }
        if sumRel > 0 {
            let alpha = n / sumRel
            let ll = n * Foundation.log(alpha) + n * alpha * Foundation.log(lo) - (alpha + 1) * sumLog
            out.append(.init(family: "pareto", distribution: .pareto(shape: alpha, min: lo), parameters: 2, logLikelihood: ll))
        }
        return out.filter { $0.logLikelihood.isFinite }.sorted { $0.aic < $1.aic }
    }

    static func weibull(_ x: [Double], logs: [Double]) -> DistributionFit? {
        let n = Double(x.count)
        let scaleRef = x.reduce(0, +) / n
        let y = x.map { $0 / scaleRef }  // scale-free: avoids overflow of x^k
        let ly = y.map { Foundation.log($0) }
        let meanLog = ly.reduce(0, +) / n
        var k = 1.0
        for _ in 0..<100 {
            var a = 0.0, b = 0.0, c = 0.0
            for (v, l) in zip(y, ly) { let p = Foundation.pow(v, k); a += p; b += p * l; c += p * l * l }
            let f = b / a - 1 / k - meanLog
            let df = (c * a - b * b) / (a * a) + 1 / (k * k)
            let next = k - f / df
            if !next.isFinite || next <= 0 { k = max(k / 2, 1e-3); continue }
            if abs(next - k) < 1e-10 * k { k = next; break }
            k = next
        }
        let lambdaY = Foundation.pow(y.reduce(0) { $0 + Foundation.pow($1, k) } / n, 1 / k)
        let lambda = lambdaY * scaleRef
        let sumLog = logs.reduce(0, +)
        let sumPow = x.reduce(0) { $0 + Foundation.pow($1 / lambda, k) }
        let ll = n * Foundation.log(k) - n * k * Foundation.log(lambda) + (k - 1) * sumLog - sumPow
        guard ll.isFinite else { return nil }
        return DistributionFit(family: "weibull", distribution: .weibull(shape: k, scale: lambda), parameters: 2, logLikelihood: ll)
    }

    /// ψ(x) for x > 0: recurrence up to x ≥ 6, then the asymptotic series. |error| < 1e-12.
    static func digamma(_ x: Double) -> Double {
        var x = x, r = 0.0
        while x < 6 { r -= 1 / x; x += 1 }
        let f = 1 / (x * x)
        return r + Foundation.log(x) - 0.5 / x - f * (1.0 / 12 - f * (1.0 / 120 - f * (1.0 / 252 - f * (1.0 / 240 - f / 132))))
    }

    /// ψ′(x) for x > 0, the same way.
    static func trigamma(_ x: Double) -> Double {
        var x = x, r = 0.0
        while x < 6 { r += 1 / (x * x); x += 1 }
        let f = 1 / (x * x)
        return r + 1 / x + f / 2 + f / x * (1.0 / 6 - f * (1.0 / 30 - f * (1.0 / 42 - f / 30)))
    }
}

extension Distribution {
    /// The distribution of `factor × X`. Every family of the format is a scale family, except
    /// Pareto's shape and the empirical sample, which are scaled value by value.
    public func scaled(by factor: Double) -> Distribution {
        switch self {
        case .constant(let v): return .constant(v * factor)
        case .exponential(let m): return .exponential(mean: m * factor)
        case .uniform(let a, let b): return .uniform(min: a * factor, max: b * factor)
        case .normal(let m, let s): return .normal(mean: m * factor, sd: s * factor)
        case .lognormal(let mu, let sigma): return .lognormal(mu: mu + Foundation.log(factor), sigma: sigma)
        case .gamma(let k, let theta): return .gamma(shape: k, scale: theta * factor)
        case .erlang(let k, let m): return .erlang(k: k, mean: m * factor)
        case .weibull(let k, let l): return .weibull(shape: k, scale: l * factor)
        case .pareto(let a, let lo): return .pareto(shape: a, min: lo * factor)
        case .empirical(var e):
            e.values = e.values.map { $0 * factor }
            e.binEdges = e.binEdges.map { $0 * factor }
            return .empirical(e)
        }
    }

    /// The precision calibration writes: durations rounded to whole nanoseconds (at least 1 where
    /// the format needs a positive value), shapes to 6 significant digits; a lognormal keeps its
    /// median and p99 so rounded. Empirical distributions stay as they are.
    public var roundedForScenario: Distribution {
        func ns(_ v: Double) -> Double { max(1, v.rounded()) }
        func shape(_ v: Double) -> Double { Double(String(format: "%.6g", v)) ?? v }
        switch self {
        case .constant(let v): return .constant(max(0, v.rounded()))
        case .exponential(let m): return .exponential(mean: ns(m))
        case .uniform(let a, let b): return .uniform(min: max(0, a.rounded()), max: max(0, b.rounded()))
        case .normal(let m, let s): return .normal(mean: ns(m), sd: max(0, s.rounded()))
        case .lognormal(let mu, let sigma):
            let median = ns(Foundation.exp(mu))
            return .lognormal(median: median, p99: max(median + 1, ns(Foundation.exp(mu + Distribution.z99 * sigma))))
        case .gamma(let k, let theta): return .gamma(shape: shape(k), scale: ns(theta))
        case .erlang(let k, let m): return .erlang(k: k, mean: ns(m))
        case .weibull(let k, let l): return .weibull(shape: shape(k), scale: ns(l))
        case .pareto(let a, let lo): return .pareto(shape: shape(a), min: ns(lo))
        case .empirical: return self
        }
    }
}
