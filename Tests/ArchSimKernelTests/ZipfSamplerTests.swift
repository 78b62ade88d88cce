// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimKernel
import CGSL
import XCTest

final class ZipfSamplerTests: XCTestCase {
    /// Chi-square goodness of fit of ranks 1…20 individually plus the tail (ranks 21…1000) against
    /// the exact probabilities r^−s / H(1000, s), 21 cells (20 degrees of freedom), 10⁶ draws.
    /// Fails if the p-value is below 10⁻⁴. Each of the first 5 ranks is also checked to be within
    /// 5 binomial standard errors of its expected frequency.
    func testGoodnessOfFit() {
        let n = 1000, draws = 1_000_000, cells = 20
        for s in [0.5, 0.99, 1.0, 1.5] {
            let zipf = ZipfSampler(count: n, s: s)
            var counts = [Int](repeating: 0, count: n)
            withStream(seed: 42, "zipf.\(s)") { stream in
                for _ in 0..<draws {
                    let id = zipf.sample(stream)
                    counts[id] += 1   // traps if out of range
                }
            }
            let h = ZipfSampler.harmonic(count: n, s: s)
            var expected = (1...cells).map { Double(draws) * pow(Double($0), -s) / h }
            expected.append(Double(draws) - expected.reduce(0, +))
            var observed = counts[0..<cells].map(Double.init)
            observed.append(Double(counts[cells...].reduce(0, +)))
            var chi2 = 0.0
            for i in expected.indices { chi2 += (observed[i] - expected[i]) * (observed[i] - expected[i]) / expected[i] }
            let p = gsl_cdf_chisq_Q(chi2, Double(cells))
            XCTAssertGreaterThan(p, 1e-4, "s = \(s): chi² = \(chi2), p = \(p)")
            for r in 1...5 {
                let pr = ZipfSampler.probability(rank: r, count: n, s: s)
                let se = (Double(draws) * pr * (1 - pr)).squareRoot()
                XCTAssertEqual(Double(counts[r - 1]), Double(draws) * pr, accuracy: 5 * se, "s = \(s), rank \(r)")
            }
        }
    }

    func testSmallAndExtremeCounts() { withStream(seed: 1, "z") { stream in
        let one = ZipfSampler(count: 1, s: 1)
        for _ in 0..<1000 { XCTAssertEqual(one.sample(stream), 0) }
        // n = 2, s = 1: P(0) = 2/3.
        let two = ZipfSampler(count: 2, s: 1)
        var zeros = 0
        let m = 300_000
        for _ in 0..<m { zeros += two.sample(stream) == 0 ? 1 : 0 }
        XCTAssertEqual(Double(zeros) / Double(m), 2.0 / 3, accuracy: 5 * (2.0 / 9 / Double(m)).squareRoot())
        for (count, s) in [(1_000_000_000, 0.5), (1_000_000_000, 1.0), (1_000_000_000, 2.5), (1000, 0.01), (1000, 8)] {
            let z = ZipfSampler(count: count, s: s)
            for _ in 0..<100_000 {
                let id = z.sample(stream)
                XCTAssertTrue(id >= 0 && id < count)
            }
        }
    } }

    func testProbabilityHelpers() {
        XCTAssertEqual(ZipfSampler.harmonic(count: 4, s: 1), 1 + 0.5 + 1.0 / 3 + 0.25, accuracy: 1e-15)
        XCTAssertEqual(ZipfSampler.harmonic(count: 3, s: 2), 1 + 0.25 + 1.0 / 9, accuracy: 1e-15)
        let total = (1...100).reduce(0.0) { $0 + ZipfSampler.probability(rank: $1, count: 100, s: 0.7) }
        XCTAssertEqual(total, 1, accuracy: 1e-12)
    }

    func testDeterministic() {
        let z = ZipfSampler(count: 1_000_000, s: 0.99)
        withStream(seed: 5, "k") { a in
            withStream(seed: 5, "k") { b in
                for _ in 0..<10_000 { XCTAssertEqual(z.sample(a), z.sample(b)) }
            }
        }
    }

    /// A million draws over 10⁷ and 10⁶ keys; prints ns per draw. The bound only catches a
    /// draw that is not O(1) (e.g. a linear scan would take milliseconds per draw).
    func testDrawCost() {
        for (count, s) in [(10_000_000, 0.99), (1_000_000, 0.99), (1_000_000, 1.2)] {
            let z = ZipfSampler(count: count, s: s)
            let r = withStream(seed: 9, "cost.\(count).\(s)") { stream in
                nanosecondsPerCall(1_000_000) { Int64(z.sample(stream)) }
            }

            print("draw cost: zipf n=\(count) s=\(s) \(String(format: "%.1f", r.ns)) ns (sink \(r.sink % 10))")
            XCTAssertLessThan(r.ns, 2_000)
        }
    }
}
