// SPDX-License-Identifier: GPL-3.0-or-later
import XCTest
import ArchSimModel

/// The autoscaler's decisions: ⌈serving × utilisation / target⌉ within [min, max], no draining
/// while instances start.
final class AutoscalerTests: XCTestCase {
    static let s: Int64 = 1_000_000_000
    let policy = Autoscale(min: 2, max: 10, targetUtilization: 0.5, interval: 30 * s, warmup: 60 * s)

    /// ∫ busy dt for `busy` workers busy for `span` seconds.
    func integral(_ busy: Double, _ span: Int64) -> Double { busy * Double(span * Self.s) }

    func testScalesToTheTargetUtilisation() {
        var a = Autoscaler(policy: policy, workers: 10)
        // 4 instances × 10 workers, 36 busy on average over 30 s: utilisation 0.9 → ⌈4 × 0.9 / 0.5⌉ = 8.
        XCTAssertEqual(a.decide(at: 30 * Self.s, busyIntegral: integral(36, 30), serving: 4, starting: 0), .start(4))
        // Next interval: 8 serving, 8 busy: 0.1 → ⌈1.6⌉ = 2.
        XCTAssertEqual(a.decide(at: 60 * Self.s, busyIntegral: integral(36, 30) + integral(8, 30), serving: 8, starting: 0),
                       .drain(6))
    }

    func testStaysWithinMinAndMax() {
        var a = Autoscaler(policy: policy, workers: 10)
        XCTAssertEqual(a.decide(at: 30 * Self.s, busyIntegral: integral(60, 30), serving: 6, starting: 0), .start(4),
                       "utilisation 1: ⌈12⌉, capped at max 10")
        var b = Autoscaler(policy: policy, workers: 10)
        XCTAssertEqual(b.decide(at: 30 * Self.s, busyIntegral: 0, serving: 4, starting: 0), .drain(2), "never below min 2")
    }

    func testDoesNotDrainWhileInstancesStart() {
        var a = Autoscaler(policy: policy, workers: 10)
        XCTAssertEqual(a.decide(at: 30 * Self.s, busyIntegral: 0, serving: 4, starting: 2), .hold)
    }

    func testHoldsAtTheTarget() {
        var a = Autoscaler(policy: policy, workers: 10)
        XCTAssertEqual(a.decide(at: 30 * Self.s, busyIntegral: integral(20, 30), serving: 4, starting: 0), .hold,
                       "utilisation 0.5 = target: ⌈4⌉ = 4")
    }

    func testCountsStartingInstancesTowardTheDesiredNumber() {
        var a = Autoscaler(policy: policy, workers: 10)
        XCTAssertEqual(a.decide(at: 30 * Self.s, busyIntegral: integral(36, 30), serving: 4, starting: 3), .start(1))
    }
}
