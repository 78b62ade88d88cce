// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimCalibration
import ArchSimKernel
import ArchSimScenario
import Foundation
import XCTest

/// Maximum-likelihood fits recover the parameters of samples drawn from known distributions,
/// and AIC ranks the true family first.
final class DistributionFitTests: XCTestCase {
    func sample(_ d: Distribution, n: Int = 20_000, seed: UInt64 = 11) -> [Double] {
        let streams = RandomStreams(seed: seed)
        let s = streams.stream("fit")
        return (0..<n).map { _ in Double(d.sample(s)) }
    }

    func testTrueFamilyWinsAndParametersAreRecovered() {
        let cases: [(Distribution, String)] = [
            (.exponential(mean: 200_000), "exponential"),
            (.lognormal(median: 300_000, p99: 2_000_000), "lognormal"),
            (.gamma(shape: 3, mean: 500_000), "gamma"),
            (.weibull(shape: 2.5, scale: 400_000), "weibull"),
            (.pareto(shape: 2.5, min: 100_000), "pareto"),
        ]
        for (truth, family) in cases {
            let fits = DistributionFit.fits(sample(truth))
            XCTAssertEqual(fits.first?.family, family, "\(truth): \(fits.map { "\($0.family) \($0.aic)" })")
            guard let best = fits.first else { continue }
            XCTAssertEqual(best.distribution.mean, truth.mean, accuracy: 0.03 * truth.mean, "\(family) mean")
            switch (best.distribution, truth) {
            case (.gamma(let k, _), .gamma(let k0, _)): XCTAssertEqual(k, k0, accuracy: 0.1 * k0)
            case (.weibull(let k, let l), .weibull(let k0, let l0)):
                XCTAssertEqual(k, k0, accuracy: 0.05 * k0); XCTAssertEqual(l, l0, accuracy: 0.02 * l0)
            case (.lognormal(let mu, let s), .lognormal(let mu0, let s0)):
                XCTAssertEqual(mu, mu0, accuracy: 0.02); XCTAssertEqual(s, s0, accuracy: 0.02)
            case (.pareto(let a, _), .pareto(let a0, _)): XCTAssertEqual(a, a0, accuracy: 0.1 * a0)
            default: break
            }
        }
    }

    func testAICIsTwoKMinusTwoLogLikelihood() {
        let fits = DistributionFit.fits(sample(.exponential(mean: 1000), n: 500))
        for f in fits { XCTAssertEqual(f.aic, 2 * Double(f.parameters) - 2 * f.logLikelihood, accuracy: 1e-9) }
        XCTAssertEqual(fits.map(\.aic), fits.map(\.aic).sorted())
        // Exponential MLE: ln L = −n ln(mean) − n.
        let x = sample(.exponential(mean: 1000), n: 500)
        let mean = x.reduce(0, +) / 500
        let exp = fits.first { $0.family == "exponential" }!
        XCTAssertEqual(exp.logLikelihood, -500 * log(mean) - 500, accuracy: 1e-6)
    }

    func testScaledAndRoundedForScenario() throws {
        let d = Distribution.lognormal(median: 200_000, p99: 800_000)
        XCTAssertEqual(d.scaled(by: 0.5).mean, d.mean * 0.5, accuracy: 1e-6 * d.mean)
        XCTAssertEqual(Distribution.gamma(shape: 2, scale: 1500).scaled(by: 2).mean, 6000, accuracy: 1e-9)
        let writer = ScenarioWriter()
        XCTAssertEqual(try writer.distribution(Distribution.exponential(mean: 1234.4).roundedForScenario), "exponential(mean=1.234us)")
        XCTAssertEqual(try writer.distribution(Distribution.weibull(shape: 1.5000001, scale: 2_000_000.2).roundedForScenario),
                       "weibull(shape=1.5, scale=2ms)")
        XCTAssertEqual(try writer.distribution(d.scaled(by: 0.5).roundedForScenario), "lognormal(median=100us, p99=400us)")
        XCTAssertEqual(Distribution.exponential(mean: 0.2).roundedForScenario, .exponential(mean: 1), "positive stays positive")
    }

    func testDegenerateSamples() {
        XCTAssertTrue(DistributionFit.fits([5]).isEmpty)
        let constant = DistributionFit.fits(Array(repeating: 1000, count: 50))
        XCTAssertTrue(constant.allSatisfy { $0.logLikelihood.isFinite })
        XCTAssertFalse(DistributionFit.fits([0, 0, 10, 20]).isEmpty, "zeros are nudged, not fatal")
    }
}
