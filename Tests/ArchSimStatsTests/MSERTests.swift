// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimStats
import XCTest

/// MSER-5 finds the end of a known transient, keeps a stationary series whole, and says when a
/// series never settles.
final class MSERTests: XCTestCase {
    /// Uniform noise in [-1, 1) from a fixed linear congruential generator (repeatable).
    static func noise(_ count: Int, seed: UInt64) -> [Double] {
        var x = seed
        return (0..<count).map { _ in
            x = x &* 6364136223846793005 &+ 1442695040888963407
            return Double(x >> 11) / Double(1 << 53) * 2 - 1
        }
    }

    func testTruncatesAKnownTransient() {
        for seed in UInt64(1)...20 {
            // 100 observations far from the steady level, then 900 around it.
            let series = Self.noise(1000, seed: seed).enumerated().map { i, e in (i < 100 ? 20.0 : 10.0) + e }
            let m = MSER(series)!
            // Never before the transient's end (a level-20 batch kept would cost far more than
            // it saves); noise may carry it a few batches past.
            XCTAssertGreaterThanOrEqual(m.truncation, 100, "seed \(seed)")
            XCTAssertLessThanOrEqual(m.truncation, 200, "seed \(seed)")
            XCTAssertFalse(m.atLimit)
        }
    }

    func testKeepsMostOfAStationarySeries() {
        var truncations: [Int] = []
        for seed in UInt64(1)...20 {
            let m = MSER(Self.noise(1000, seed: seed).map { 10 + $0 })!
            XCTAssertFalse(m.atLimit, "seed \(seed)")
            truncations.append(m.truncation)
        }
        // Noise alone moves the truncation a little, never far.
        XCTAssertLessThan(truncations.max()!, 300)
        XCTAssertLessThan(Double(truncations.reduce(0, +)) / 20, 100)
    }

    func testATrendNeverSettles() {
        let m = MSER((0..<1000).map { Double($0) + MSERTests.noise(1, seed: UInt64($0 + 1))[0] })!
        XCTAssertTrue(m.atLimit)
        XCTAssertEqual(m.truncation, 500)
    }

    func testTooShortASeriesHasNoAnswer() {
        XCTAssertNil(MSER([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19]))
        XCTAssertNotNil(MSER(Array(repeating: 1, count: 20)))
        XCTAssertEqual(MSER(Array(repeating: 1, count: 20))?.truncation, 0)
    }
}
