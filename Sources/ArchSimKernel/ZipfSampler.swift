// SPDX-License-Identifier: GPL-3.0-or-later
import Foundation

/// Draws key ids 0..<count by rank popularity: P(id = r − 1) = r^−s / H(count, s) for rank
/// r = 1…count (id 0 is the most popular key).
///
/// Rejection-inversion (W. Hörmann and G. Derflinger, "Rejection-inversion to generate variates
/// from monotone discrete distributions", ACM TOMACS 6(3), 1996), in the form used by Apache
/// Commons RNG's `RejectionInversionZipfSampler`: the hat integral H(x) = (x^(1−s) − 1)/(1 − s)
/// has a limit (ln x) at s = 1, so every exponent s > 0 works (s < 1, s = 1, s > 1). Setup is
/// O(1) (no harmonic sum), and a draw costs O(1) expected time for any count: the acceptance
/// probability is bounded below independently of count. Uses about one uniform, one exp and
/// one log per draw.
public struct ZipfSampler: Sendable, Equatable {
    /// Number of keys.
    public let count: Int
    /// The exponent s (> 0).
    public let s: Double
    /// H(1.5) − 1 (= H(1.5) − h(1)): the upper end of the inverted range.
    @usableFromInline let hIntegralX1: Double
    /// H(count + 0.5): the lower end of the inverted range.
    @usableFromInline let hIntegralN: Double
    /// Squeeze: when k − x ≤ this, k is accepted without evaluating H(k + 0.5).
    @usableFromInline let squeeze: Double

    /// - Precondition: `count ≥ 1` and `s` finite and > 0.
    public init(count n: Int, s: Double) {
        precondition(n >= 1, "ZipfSampler needs count ≥ 1 (got \(n))")
        precondition(s.isFinite && s > 0, "ZipfSampler needs a finite exponent s > 0 (got \(s))")
        self.count = n
        self.s = s
        hIntegralX1 = Self.hIntegral(1.5, s) - 1
        hIntegralN = Self.hIntegral(Double(n) + 0.5, s)
        squeeze = 2 - Self.hIntegralInverse(Self.hIntegral(2.5, s) - Self.h(2, s), s)
    }

    /// A key id in 0..<count. O(1) expected.
    @inlinable public func sample(_ stream: RandomStream) -> Int {
        let n = Double(count)
        while true {
            let u = hIntegralN + stream.uniform() * (hIntegralX1 - hIntegralN)
            // u is in (H(1.5) − 1, H(n + 0.5)]
            let x = Self.hIntegralInverse(u, s)
            var k = (x + 0.5).rounded(.down)
            if k < 1 { k = 1 } else if k > n { k = n }
            // Accept k if u lies under the histogram bar of k (the area H(k+½) − h(k) … H(k+½)).
            if k - x <= squeeze || u >= Self.hIntegral(k + 0.5, s) - Self.h(k, s) {
                return Int(k) - 1
            }
        }
    }

    // MARK: The hat function and its integral

    /// h(x) = x^−s.
    @inlinable static func h(_ x: Double, _ s: Double) -> Double { exp(-s * log(x)) }

    /// H(x) = (x^(1−s) − 1)/(1 − s), with limit ln x at s = 1.
    @inlinable static func hIntegral(_ x: Double, _ s: Double) -> Double {
        let logX = log(x)
        return helper2((1 - s) * logX) * logX
    }

    /// The inverse of H.
    @inlinable static func hIntegralInverse(_ x: Double, _ s: Double) -> Double {
        var t = x * (1 - s)
        if t < -1 { t = -1 }  // rounding could push it below; H's range ends at −1/(1−s)
        return exp(helper1(t) * x)
    }

    /// ln(1 + x)/x, accurate near 0.
    @inlinable static func helper1(_ x: Double) -> Double {
        abs(x) > 1e-8 ? log1p(x) / x : 1 - x * (0.5 - x * (1.0 / 3 - 0.25 * x))
    }

    /// (eˣ − 1)/x, accurate near 0.
    @inlinable static func helper2(_ x: Double) -> Double {
        abs(x) > 1e-8 ? expm1(x) / x : 1 + x * 0.5 * (1 + x * (1.0 / 3) * (1 + 0.25 * x))
    }

    // MARK: Exact probabilities (for tests and reports)

    /// The generalized harmonic number H(n, s) = Σ_{r=1}^{n} r^−s, summed smallest term first.
    /// O(n): meant for tests and moderate n.
    public static func harmonic(count n: Int, s: Double) -> Double {
        var sum = 0.0
        var r = n
        while r >= 1 { sum += pow(Double(r), -s); r -= 1 }
        return sum
    }

    /// P(rank r) = r^−s / H(count, s) for 1-based `rank` (key id `rank − 1`). O(count).
    public static func probability(rank: Int, count: Int, s: Double) -> Double {
        precondition(rank >= 1 && rank <= count, "rank must be in 1...count")
        return pow(Double(rank), -s) / harmonic(count: count, s: s)
    }
}
