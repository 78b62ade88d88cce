// SPDX-License-Identifier: GPL-3.0-or-later
import CGSL

extension Distribution {
    /// Draws one value in whole nanoseconds: ≥ 0, rounded to nearest, and at most
    /// ``maximumSample`` (10⁶ h). O(1), and O(log bins) for an empirical histogram. Never
    /// allocates.
    ///
    /// Samples are **truncated** at ``maximumSample``: a draw above it (a heavy tail such as
    /// `pareto(shape=0.001, …)` or `weibull(shape=0.01, …)`, or an infinite draw) returns the
    /// maximum itself. The scenario format bounds every duration by the same 10⁶ h, so a
    /// distribution whose parameters read can always be sampled, and `clock + sample` stays
    /// far below `Int64.max` (≈ 2.56 × 10⁶ h) while the clock is within a run. The analytic
    /// moments (`mean`, `variance`) are those of the untruncated distribution; they differ
    /// only when the tail past 10⁶ h carries weight.
    ///
    /// Parameter conventions (GSL):
    /// - normal: `mean + gsl_ran_gaussian(sd)`, redrawn while negative (truncation at 0). With a
    ///   valid (non-negative) mean at least half of the draws are accepted; with an invalid
    ///   negative mean the loop gives up after 10 000 redraws and returns 0.
    /// - erlang(k, mean): `gsl_ran_gamma(k, mean / k)`.
    /// - weibull: `gsl_ran_weibull(a: scale, b: shape)`; pareto: `gsl_ran_pareto(a: shape, b: min)`.
    /// - empirical values: one of the values, uniformly; histogram: a bin by weight, then
    ///   uniformly inside the bin.
    ///
    /// Parameters are not checked here (see ``validate()``).
    @inlinable public func sample(_ stream: RandomStream) -> Int64 {
        let r = stream.rng
        let x: Double
        switch self {
        case .constant(let v): x = v
        case .exponential(let mean): x = gsl_ran_exponential(r, mean)
        case .uniform(let lo, let hi): x = gsl_ran_flat(r, lo, hi)
        case .normal(let mean, let sd): x = Distribution.truncatedNormal(r, mean: mean, sd: sd)
        case .lognormal(let mu, let sigma): x = gsl_ran_lognormal(r, mu, sigma)
        case .gamma(let k, let theta): x = gsl_ran_gamma(r, k, theta)
        case .erlang(let k, let mean): x = gsl_ran_gamma(r, Double(k), mean / Double(k))
        case .weibull(let k, let lambda): x = gsl_ran_weibull(r, lambda, k)
        case .pareto(let alpha, let xm): x = gsl_ran_pareto(r, alpha, xm)
        case .empirical(let e): x = e.sampleValue(stream)
        }
        return Distribution.wholeNanoseconds(x)
    }

    /// The largest sample, in ns: 10⁶ hours.
    public static let maximumSample: Int64 = 3_600_000_000_000_000_000

    /// A time computed from samples (a sample stretched by a `slow` factor, the gap between
    /// constant-rate arrivals) in whole ns, cut off like a sample: 0 for negative or NaN,
    /// ``maximumSample`` when larger (never a trapping conversion).
    @inlinable public static func saturatingNanoseconds(_ x: Double) -> Int64 {
        guard x > 0 else { return 0 }
        guard x < 3.6e18 else { return maximumSample }
        return Int64(x.rounded())
    }

    /// `x` rounded to whole ns; 0 for negative or NaN, ``maximumSample`` when larger.
    @inlinable static func wholeNanoseconds(_ x: Double) -> Int64 {
        guard x > 0 else { return 0 }
        guard x < 3.6e18 else { return maximumSample }
        // Half up: x > 0 here, and adding ½ then truncating avoids a libm call per draw.
        return Int64(x + 0.5)
    }

    /// Normal truncated at 0 by rejection.
    @inlinable static func truncatedNormal(_ r: UnsafeMutablePointer<gsl_rng>, mean: Double, sd: Double) -> Double {
        var x = mean + gsl_ran_gaussian(r, sd)
        var tries = 0
        while x < 0 {
            tries += 1
            if tries > 10_000 { return 0 }
            x = mean + gsl_ran_gaussian(r, sd)
        }
        return x
    }
}

extension EmpiricalDistribution {
    /// One value in ns (not rounded): a raw value chosen uniformly, or a histogram bin chosen by
    /// weight (binary search in ``cumulative``) and a point uniform inside it. 0 when empty.
    @inlinable public func sampleValue(_ stream: RandomStream) -> Double {
        if !values.isEmpty {
            return values.withUnsafeBufferPointer { $0[stream.index(below: $0.count)] }
        }
        return cumulative.withUnsafeBufferPointer { cum -> Double in
            guard let total = cum.last, total > 0, binEdges.count > cum.count else { return 0 }
            let u = stream.uniform() * total
            // First bin whose running sum exceeds u (zero-weight bins are never chosen).
            var lo = 0, hi = cum.count - 1
            while lo < hi {
                let mid = (lo &+ hi) >> 1
                if cum[mid] > u { hi = mid } else { lo = mid &+ 1 }
            }
            return binEdges.withUnsafeBufferPointer { edges in
                let a = edges[lo], b = edges[lo &+ 1]
                return a + stream.uniform() * (b - a)
            }
        }
    }
}
