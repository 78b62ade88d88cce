// SPDX-License-Identifier: GPL-3.0-or-later
import XCTest
import ArchSimStats

final class LatencyHistogramTests: XCTestCase {
    /// Percentiles within 0.1% of the exact order statistic, over values spanning ns to minutes.
    func testPercentilesWithinOneTenthOfAPercent() {
        var h = LatencyHistogram()
        var values: [Int64] = []
        var x: UInt64 = 0x9E37_79B9_7F4A_7C15
        for _ in 0..<200_000 {
            x = x &* 6364136223846793005 &+ 1442695040888963407
            // Log-uniform from 1 µs to ~100 s.
            let u = Double(x >> 11) / Double(1 << 53)
            let v = Int64(exp(log(1e3) + u * (log(1e11) - log(1e3))))
            values.append(v); h.record(v)
        }
        values.sort()
        for p in [1.0, 10, 50, 90, 95, 99, 99.9, 99.99] {
            let rank = max(1, Int((p / 100 * Double(values.count)).rounded(.up)))
            let exact = Double(values[rank - 1])
            XCTAssertEqual(h.percentile(p), exact, accuracy: exact * 0.001, "p\(p)")
        }
        XCTAssertEqual(h.percentile(100), Double(values.last!))
        let ps = [1.0, 10, 50, 90, 95, 99, 99.9, 99.99, 100]
        XCTAssertEqual(h.percentiles(ps), ps.map { h.percentile($0) }, "one pass gives the same values")
        XCTAssertEqual(h.count, 200_000)
        XCTAssertEqual(h.mean, Double(values.reduce(0, +)) / 200_000, accuracy: 1e-6 * h.mean)
    }

    /// Percentiles skip whole blocks of counts: for few values over a wide range (a timeseries
    /// window), of 1 to 300 values, every rank gives the bucket of the value of that rank (the
    /// brute-force reference over the sorted values), at block edges and after a reset.
    func testPercentilesOfSparseHistogramsMatchTheSortedValues() {
        var state: UInt64 = 99
        func next() -> UInt64 { state = state &* 6364136223846793005 &+ 1442695040888963407; return state >> 11 }
        var h = LatencyHistogram()
        for n in 1...300 {
            h.reset()
            var values: [Int64] = []
            for _ in 0..<n {
                // Log-uniform over 1 µs … 100 ms, or a cluster inside one block of 16 buckets.
                let v = n % 7 == 0 ? Int64(50_000 + next() % 40) : Int64(exp(log(1e3) + Double(next() % 1_000_000) / 1e6 * log(1e5)))
                values.append(v); h.record(v)
            }
            values.sort()
            let ranks = Array(Set([1, 2, n / 2, n - 1, n, Int(next() % UInt64(n)) + 1].filter { $0 >= 1 && $0 <= n })).sorted()
            let ps = ranks.map { 100 * (Double($0) - 0.5) / Double(n) }
            let expected = ranks.map { r -> Double in
                let (low, width) = LatencyHistogram.range(of: LatencyHistogram.index(of: values[r - 1]))
                return min(Double(low) + Double(width - 1) / 2, Double(values.last!))
            }
            XCTAssertEqual(h.percentiles(ps), expected, "n \(n), ranks \(ranks)")
        }
    }

    /// Counts are kept only for the powers of two the values span, grown both ways as values
    /// arrive: the percentiles are those of the whole layout (a brute-force reference over the
    /// sorted values), merging disjoint histograms works, and a narrow histogram stays small.
    func testRangeKeptFollowsTheValues() {
        var state: UInt64 = 12345
        func next() -> UInt64 { state = state &* 6364136223846793005 &+ 1442695040888963407; return state >> 11 }
        var a = LatencyHistogram(), b = LatencyHistogram()
        var values: [Int64] = []
        for k in 0..<20_000 {
            // Values from 1 µs to ~1 s, arriving high and low in turn.
            let v = Int64(1_000 + next() % (k % 2 == 0 ? 1_000_000_000 : 100_000))
            values.append(v)
            if k % 3 == 0 { b.record(v) } else { a.record(v) }
        }
        a.add(b)
        values.sort()
        for p in [1.0, 10, 50, 90, 99, 99.9] {
            let rank = max(1, Int((p / 100 * Double(values.count)).rounded(.up)))
            let (low, width) = LatencyHistogram.range(of: LatencyHistogram.index(of: values[rank - 1]))
            let expected = min(Double(low) + Double(width - 1) / 2, Double(values.last!))
            XCTAssertEqual(a.percentile(p), expected, "p\(p)")
        }
        XCTAssertEqual(a.percentiles([50, 99]), [a.percentile(50), a.percentile(99)])
        XCTAssertEqual(a.count, 20_000)
        // 1–50 ms spans 6 powers of two: 6 chunks of 1,024 counts, not 38,912.
        var narrow = LatencyHistogram()
        for v in stride(from: Int64(1_000_000), through: 50_000_000, by: 1000) { narrow.record(v) }
        XCTAssertLessThanOrEqual(narrow.countsKept, 7 * LatencyHistogram.halfCount)
        narrow.reset()
        XCTAssertEqual(narrow.count, 0)
        narrow.record(5)
        XCTAssertEqual(narrow.percentile(50), 5)
    }

    func testSmallValuesAreExact() {
        var h = LatencyHistogram()
        for v in 0..<2048 { h.record(Int64(v)) }
        XCTAssertEqual(h.percentile(50), 1023)
        XCTAssertEqual(h.percentile(0.0001), 0)
    }

    /// Every bucket's range holds exactly the values that map to it (the index/range pair is consistent).
    func testIndexAndRangeAgree() {
        for v in [Int64(0), 1, 2047, 2048, 2049, 4095, 4096, 1_000_000, 123_456_789, LatencyHistogram.highest] {
            let (low, width) = LatencyHistogram.range(of: LatencyHistogram.index(of: v))
            XCTAssert(low <= v && v < low + width, "value \(v) outside [\(low), \(low + width))")
            XCTAssertLessThanOrEqual(Double(width), max(1, Double(v) / 1024), "bucket too wide at \(v)")
        }
    }

    func testAddAndReset() {
        var a = LatencyHistogram(), b = LatencyHistogram()
        for v in 1...1000 { a.record(Int64(v) * 1000) }
        for v in 1001...2000 { b.record(Int64(v) * 1000) }
        a.add(b)
        XCTAssertEqual(a.count, 2000)
        XCTAssertEqual(a.percentile(50), 1_000_000, accuracy: 1000)
        XCTAssertEqual(a.max, 2_000_000)
        a.reset()
        XCTAssertEqual(a.count, 0)
        XCTAssertEqual(a.percentile(50), 0)
        a.record(5)
        XCTAssertEqual(a.percentile(50), 5)
    }
}

final class TimeWeightedTests: XCTestCase {
    func testMeanOfSteps() {
        var g = TimeWeighted(at: 0)
        g.set(2, at: 0)      // 2 for 10 ns
        g.set(4, at: 10)     // 4 for 30 ns
        g.add(-4, at: 40)    // 0 for 60 ns
        XCTAssertEqual(g.mean(until: 100), (2.0 * 10 + 4 * 30) / 100, accuracy: 1e-12)
        g.restart(at: 100)
        g.set(1, at: 150)
        XCTAssertEqual(g.mean(until: 200), 0.5, accuracy: 1e-12)
    }
}

final class ConfidenceIntervalTests: XCTestCase {
    func testStudentT() {
        // t(0.975, 4) = 2.776445105 (tables).
        XCTAssertEqual(ConfidenceInterval.tQuantile(0.975, degreesOfFreedom: 4), 2.776445105, accuracy: 1e-8)
        let ci = ConfidenceInterval([1, 2, 3, 4, 5])
        XCTAssertEqual(ci.mean, 3)
        XCTAssertEqual(ci.halfWidth!, 2.776445105 * (2.5).squareRoot() / (5.0).squareRoot(), accuracy: 1e-8)
        XCTAssertNil(ConfidenceInterval([7]).halfWidth)
    }

    /// Coverage: over many samples of 5 normal-ish values, the 95% interval holds the true mean
    /// about 95% of the time (binomial SE 0.7% over 1,000 trials; we accept 92–98%).
    func testCoverage() {
        var x: UInt64 = 12345
        func uniform() -> Double { x = x &* 6364136223846793005 &+ 1442695040888963407; return Double(x >> 11) / Double(1 << 53) }
        var covered = 0
        for _ in 0..<1000 {
            // Sum of 12 uniforms − 6: approximately standard normal.
            let values = (0..<5).map { _ in (0..<12).map { _ in uniform() }.reduce(0, +) - 6 }
            let ci = ConfidenceInterval(values)
            if abs(ci.mean) <= ci.halfWidth! { covered += 1 }
        }
        XCTAssert((920...980).contains(covered), "coverage \(covered)/1000")
    }
}
