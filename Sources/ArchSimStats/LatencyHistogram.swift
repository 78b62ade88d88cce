// SPDX-License-Identifier: GPL-3.0-or-later
import Histogram

/// Latencies in nanoseconds, with percentiles to within 0.1% relative error (HdrHistogram,
/// three significant digits), an exact count, sum and maximum.
///
/// Memory is fixed (about 300 KB, whatever the number of values); `record` is O(1) and does not
/// allocate. Values above one day are clamped to one day.
public struct LatencyHistogram: Sendable {
    /// Largest trackable value: one day in ns.
    public static let highest: UInt64 = 86_400_000_000_000
    @usableFromInline var histogram: Histogram<UInt64>
    /// Number of values recorded.
    public var count: UInt64 = 0
    /// Exact sum of the values (ns), for the mean.
    public var sum: Double = 0
    /// Exact largest value (ns).
    public var max: Int64 = 0

    public init() {
        histogram = Histogram<UInt64>(lowestDiscernibleValue: 1, highestTrackableValue: Self.highest,
                                      numberOfSignificantValueDigits: .three)
    }

    /// Records one value (ns, ≥ 0). O(1).
    @inlinable public mutating func record(_ nanoseconds: Int64) {
        let v = nanoseconds < 0 ? 0 : nanoseconds
        _ = histogram.record(Swift.min(UInt64(v), Self.highest))
        count &+= 1
        sum += Double(v)
        if v > max { max = v }
    }

    /// Mean (ns); 0 when empty.
    public var mean: Double { count == 0 ? 0 : sum / Double(count) }

    /// The value (ns) at or below which `percent`% of the values fall; 0 when empty. O(buckets).
    public func percentile(_ percent: Double) -> Double {
        guard count > 0 else { return 0 }
        if percent >= 100 { return Double(max) }
        // HdrHistogram reports the highest value equivalent to the bucket; the bucket's middle
        // is the unbiased estimate (error ≤ half a bucket, 0.05%).
        let v = histogram.valueAtPercentile(percent)
        return Double(histogram.medianEquivalentForValue(v)).clamped(upTo: Double(max))
    }

    /// Adds another histogram's values. O(buckets).
    public mutating func add(_ other: LatencyHistogram) {
        histogram.add(other.histogram)
        count &+= other.count
        sum += other.sum
        max = Swift.max(max, other.max)
    }

    /// Forgets every value. O(buckets).
    public mutating func reset() {
        histogram.reset(); count = 0; sum = 0; max = 0
    }
}

extension Double {
    fileprivate func clamped(upTo limit: Double) -> Double { self > limit ? limit : self }
}
