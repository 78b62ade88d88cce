// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimKernel
import XCTest

/// Samples are truncated at 10⁶ h, whatever the tail: `clock + sample` cannot overflow.
final class SampleClampTests: XCTestCase {
    func testMaximumIsOneMillionHours() {
        XCTAssertEqual(Distribution.maximumSample, 1_000_000 * 3600 * 1_000_000_000)
    }

    func testHugeAndInfiniteDrawsAreClamped() {
        let huge: [Distribution] = [
            .constant(1e30), .constant(.infinity),
            .pareto(shape: 0.001, min: 1e6), .weibull(shape: 0.01, scale: 3.6e12),
            .normal(mean: 1, sd: 3.6e18), .lognormal(mu: 60, sigma: 30), .exponential(mean: 1e300),
        ]
        for d in huge {
            let xs = draws(d, n: 2_000, name: "clamp")
            XCTAssert(xs.allSatisfy { $0 >= 0 && $0 <= Double(Distribution.maximumSample) }, "\(d)")
        }
        XCTAssertEqual(withStream(seed: 1, "x") { Distribution.constant(1e30).sample($0) }, Distribution.maximumSample)
        XCTAssertEqual(withStream(seed: 1, "x") { Distribution.pareto(shape: 1e-6, min: 1).sample($0) }, Distribution.maximumSample)
    }

    func testValuesBelowTheMaximumAreUnchanged() {
        XCTAssertEqual(withStream(seed: 1, "x") { Distribution.constant(3.6e18 - 1024).sample($0) }, 3_600_000_000_000_000_000 - 1024)
        XCTAssertEqual(withStream(seed: 1, "x") { Distribution.constant(.nan).sample($0) }, 0)
    }
}
