// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimKernel
import Foundation
import XCTest

/// Each distribution is sampled 400 000 times from a seeded stream and its sample moments are
/// compared with the analytic ones.
///
/// Tolerances: the sample mean must be within 5 standard errors (SE = σ/√n, σ analytic) of the
/// analytic mean; the sample variance within 6 standard errors of the analytic variance, with
/// SE = √((μ₄ − σ⁴)/n) estimated from the sample's fourth central moment (the delta-method SE of
/// a sample variance). For a correct sampler a 5-SE miss has probability ≈ 6·10⁻⁷ per check;
/// a wrong parameterisation (e.g. Weibull/Pareto a and b swapped, σ² for σ) is off by many
/// SEs. Draws are rounded to whole ns; with means of ~10⁶ ns that moves the mean by < 10⁻⁶ SE
/// and the variance by 1/12 ns². Pareto uses α = 6 so that the fourth moment exists.
final class DistributionSamplingTests: XCTestCase {
    static let n = 400_000

    func assertMoments(_ d: Distribution, _ name: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertNil(d.validate(), "\(name): \(d.validate() ?? "")", file: file, line: line)
        let xs = draws(d, n: Self.n, name: name)
        XCTAssertTrue(xs.allSatisfy { $0 >= 0 }, "\(name): negative draw", file: file, line: line)
        let m = SampleMoments(xs)
        let mean = d.mean, variance = d.variance
        XCTAssertTrue(mean.isFinite && variance.isFinite, "\(name): moments", file: file, line: line)
        let meanSE = (variance / Double(Self.n)).squareRoot()
        let zMean = (m.mean - mean) / meanSE
        XCTAssertLessThan(abs(zMean), 5, "\(name): sample mean \(m.mean) vs \(mean) (\(zMean) SE)", file: file, line: line)
        let zVar = (m.variance - variance) / m.varianceStandardError
        XCTAssertLessThan(abs(zVar), 6, "\(name): sample variance \(m.variance) vs \(variance) (\(zVar) SE)",
                          file: file, line: line)
    }

    func testConstant() {
        let d = Distribution.constant(1_500_000)
        let xs = draws(d, n: 1000, name: "c")
        XCTAssertTrue(xs.allSatisfy { $0 == 1_500_000 })
        XCTAssertEqual(d.mean, 1_500_000); XCTAssertEqual(d.variance, 0)
        XCTAssertEqual(withStream(seed: 1, "x") { Distribution.constant(2.6).sample($0) }, 3)
    }

    func testExponential() { assertMoments(.exponential(mean: 2e6), "exponential") }
    func testUniform() { assertMoments(.uniform(min: 1e6, max: 3e6), "uniform") }
    func testNormalBarelyTruncated() { assertMoments(.normal(mean: 5e6, sd: 1e6), "normal") }
    func testNormalHeavilyTruncated() { assertMoments(.normal(mean: 1e6, sd: 2e6), "normal-trunc") }
    func testHalfNormal() {
        let d = Distribution.normal(mean: 0, sd: 1e6)
        XCTAssertEqual(d.mean, 1e6 * (2 / Double.pi).squareRoot(), accuracy: 1e-3)
        XCTAssertEqual(d.variance, 1e12 * (1 - 2 / Double.pi), accuracy: 1)
        assertMoments(d, "half-normal")
    }
    func testLognormal() { assertMoments(.lognormal(mu: log(1e6), sigma: 0.5), "lognormal") }
    func testGamma() {
        assertMoments(.gamma(shape: 0.5, scale: 2e6), "gamma-0.5")
        assertMoments(.gamma(shape: 3.7, scale: 5e5), "gamma-3.7")
    }
    func testErlang() {
        assertMoments(.erlang(k: 1, mean: 1e6), "erlang-1")
        assertMoments(.erlang(k: 4, mean: 3e6), "erlang-4")
    }
    func testWeibull() {
        assertMoments(.weibull(shape: 1.5, scale: 2e6), "weibull-1.5")
        assertMoments(.weibull(shape: 0.8, scale: 1e6), "weibull-0.8")
    }
    func testPareto() {
        assertMoments(.pareto(shape: 6, min: 1e6), "pareto-6")
        let xs = draws(.pareto(shape: 1.2, min: 5e5), n: 10_000, name: "p")
        XCTAssertGreaterThanOrEqual(xs.min()!, 5e5)
    }
    func testEmpiricalValues() {
        let e = EmpiricalDistribution(values: [5e6, 1e6, 2e6, 2e6, 9e6, 3.5e5], source: "test")
        XCTAssertEqual(e.values, [3.5e5, 1e6, 2e6, 2e6, 5e6, 9e6])
        assertMoments(.empirical(e), "empirical-values")
        let xs = draws(.empirical(e), n: 10_000, name: "ev")
        XCTAssertTrue(xs.allSatisfy { e.values.contains($0) })
    }
    func testEmpiricalHistogram() {
        let e = EmpiricalDistribution(binEdges: [0, 1e6, 2e6, 4e6, 8e6], weights: [1, 0, 3, 2], source: "test")
        XCTAssertEqual(e.cumulative, [1, 1, 4, 6])
        assertMoments(.empirical(e), "empirical-histogram")
        let xs = draws(.empirical(e), n: 100_000, name: "eh")
        XCTAssertFalse(xs.contains { $0 > 1e6 && $0 < 2e6 }, "a zero-weight bin was sampled")
        XCTAssertTrue(xs.allSatisfy { $0 >= 0 && $0 <= 8e6 })
        var f = e
        f.weights = [0, 0, 0, 1]
        XCTAssertEqual(f.cumulative, [0, 0, 0, 1])
        XCTAssertTrue(draws(.empirical(f), n: 1000, name: "f").allSatisfy { $0 >= 4e6 })
    }

    func testMomentEdgeCases() {
        XCTAssertEqual(Distribution.pareto(shape: 1, min: 1).mean, .infinity)
        XCTAssertEqual(Distribution.pareto(shape: 1.5, min: 1).mean, 3, accuracy: 1e-12)
        XCTAssertEqual(Distribution.pareto(shape: 2, min: 1).variance, .infinity)
        XCTAssertTrue(Distribution.exponential(mean: -1).mean.isNaN)
        XCTAssertEqual(Distribution.erlang(k: 2, mean: 4).variance, 8)
        XCTAssertEqual(Distribution.weibull(shape: 1, scale: 3).mean, 3, accuracy: 1e-12)
        XCTAssertEqual(Distribution.weibull(shape: 1, scale: 3).variance, 9, accuracy: 1e-9)
    }

    func testValidate() {
        XCTAssertNil(Distribution.uniform(min: 2, max: 2).validate())
        XCTAssertNotNil(Distribution.uniform(min: 3, max: 2).validate())
        XCTAssertNotNil(Distribution.exponential(mean: -1).validate())
        XCTAssertNotNil(Distribution.exponential(mean: .nan).validate())
        XCTAssertNotNil(Distribution.constant(-1).validate())
        XCTAssertNotNil(Distribution.normal(mean: -1, sd: 1).validate())
        XCTAssertNotNil(Distribution.normal(mean: 1, sd: 0).validate())
        XCTAssertNotNil(Distribution.lognormal(mu: 1, sigma: 0).validate())
        XCTAssertNotNil(Distribution.lognormal(mu: .infinity, sigma: 1).validate())
        XCTAssertNotNil(Distribution.gamma(shape: 0, scale: 1).validate())
        XCTAssertNotNil(Distribution.erlang(k: 0, mean: 1).validate())
        XCTAssertNotNil(Distribution.weibull(shape: 1, scale: -1).validate())
        XCTAssertNotNil(Distribution.pareto(shape: 2, min: 0).validate())
        XCTAssertNotNil(Distribution.empirical(EmpiricalDistribution(values: [], source: "x")).validate())
        XCTAssertNotNil(Distribution.empirical(EmpiricalDistribution(values: [1, -2], source: "x")).validate())
        XCTAssertNotNil(Distribution.empirical(EmpiricalDistribution(binEdges: [0, 1], weights: [0], source: "x")).validate())
        XCTAssertNotNil(Distribution.empirical(EmpiricalDistribution(binEdges: [0, 1], weights: [1, 1], source: "x")).validate())
        XCTAssertNotNil(Distribution.empirical(EmpiricalDistribution(binEdges: [0, 2, 1], weights: [1, 1], source: "x")).validate())
        XCTAssertNotNil(Distribution.empirical(EmpiricalDistribution(binEdges: [0, 1, 2], weights: [1, -1], source: "x")).validate())
        XCTAssertNil(Distribution.empirical(EmpiricalDistribution(binEdges: [0, 1, 2], weights: [1, 0], source: "x")).validate())
        let message = Distribution.uniform(min: 3, max: 2).validate() ?? ""
        XCTAssertTrue(message.contains("greater than"), message)
    }

    func testSaturation() {
        // Pareto with a tiny shape overflows Int64; the draw saturates instead of trapping.
        withStream(seed: 3, "p") { s in
            for _ in 0..<1000 { XCTAssertGreaterThanOrEqual(Distribution.pareto(shape: 0.01, min: 1).sample(s), 1) }
        }
    }

    // MARK: Parameter conversions

    func testLognormalFromMedianAndP99() {
        let d = Distribution.lognormal(median: 2e6, p99: 2e7)
        var xs = draws(d, n: Self.n, name: "lmp")
        xs.sort()
        let n = Double(Self.n)
        // The fraction of draws ≤ the median / p99 is binomial: 5 SE = 5·√(p(1−p)/n).
        let belowMedian = Double(xs.partitioningIndex { $0 > 2e6 }) / n
        XCTAssertEqual(belowMedian, 0.5, accuracy: 5 * (0.25 / n).squareRoot())
        let belowP99 = Double(xs.partitioningIndex { $0 > 2e7 }) / n
        XCTAssertEqual(belowP99, 0.99, accuracy: 5 * (0.99 * 0.01 / n).squareRoot())
        XCTAssertEqual(xs[Self.n / 2] / 2e6, 1, accuracy: 0.01)
        XCTAssertEqual(xs[Int(0.99 * n)] / 2e7, 1, accuracy: 0.03)
    }

    func testLognormalFromMeanAndSD() {
        let d = Distribution.lognormal(mean: 3e6, sd: 1.5e6)
        XCTAssertEqual(d.mean, 3e6, accuracy: 1e-3)
        XCTAssertEqual(d.standardDeviation, 1.5e6, accuracy: 1e-3)
        let m = SampleMoments(draws(d, n: Self.n, name: "lms"))
        XCTAssertEqual(m.mean, 3e6, accuracy: 5 * 1.5e6 / Double(Self.n).squareRoot())
        XCTAssertEqual(m.variance, 1.5e6 * 1.5e6, accuracy: 6 * m.varianceStandardError)
    }

    func testGammaFromShapeAndMean() {
        let d = Distribution.gamma(shape: 2.5, mean: 4e6)
        XCTAssertEqual(d.mean, 4e6, accuracy: 1e-6)
        let m = SampleMoments(draws(d, n: Self.n, name: "gm"))
        XCTAssertEqual(m.mean, 4e6, accuracy: 5 * (d.variance / Double(Self.n)).squareRoot())
    }

    // MARK: Determinism and cost

    func testSameSeedSameDraws() {
        let d = Distribution.lognormal(mu: 13, sigma: 1)
        XCTAssertEqual(draws(d, n: 1000, name: "a", seed: 7), draws(d, n: 1000, name: "a", seed: 7))
        XCTAssertNotEqual(draws(d, n: 1000, name: "a", seed: 7), draws(d, n: 1000, name: "b", seed: 7))
        XCTAssertNotEqual(draws(d, n: 1000, name: "a", seed: 7), draws(d, n: 1000, name: "a", seed: 8))
    }

    /// Prints ns per draw (release build); the bound only catches pathologies.
    func testDrawCost() {
        withStream(seed: 11, "cost") { s in
        let cases: [(String, Distribution)] = [
            ("exponential", .exponential(mean: 1e6)),
            ("lognormal", .lognormal(mu: 13, sigma: 1)),
            ("normal", .normal(mean: 1e6, sd: 3e5)),
            ("gamma", .gamma(shape: 2.5, scale: 1e6)),
            ("histogram", .empirical(EmpiricalDistribution(binEdges: (0...64).map { Double($0) * 1e5 },
                                                          weights: (0..<64).map { Double($0 % 7 + 1) }, source: "t"))),
        ]
        for (name, d) in cases {
            let r = nanosecondsPerCall(1_000_000) { d.sample(s) }
            print("draw cost: \(name) \(String(format: "%.1f", r.ns)) ns (sink \(r.sink % 10))")
            XCTAssertLessThan(r.ns, 5_000, name)
        }
        }
    }
}

extension Array {
    /// The first index whose element satisfies `belongs` (the array is partitioned by it).
    func partitioningIndex(where belongs: (Element) -> Bool) -> Int {
        var lo = 0, hi = count
        while lo < hi {
            let mid = (lo + hi) / 2
            if belongs(self[mid]) { hi = mid } else { lo = mid + 1 }
        }
        return lo
    }
}
