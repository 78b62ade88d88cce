// SPDX-License-Identifier: GPL-3.0-or-later

/// Latencies in nanoseconds with percentiles to within 0.1% relative error: an HdrHistogram
/// layout with three significant digits (2,048 sub-buckets; every power-of-two range above
/// 2,048 ns is split into 1,024 equal buckets), plus an exact count, sum and maximum.
///
/// It is the HdrHistogram algorithm specialised for `Int64` nanoseconds: `record` is a few
/// integer instructions; the generic hdrhistogram-swift package runs unspecialised code per
/// value here (measured: 10% of a whole M/M/1 run). Counts are kept only for the range of
/// values seen, whole powers of two at a time (8 KB each): an empty histogram costs nothing, one
/// of latencies between 1 and 50 ms about 56 KB, the whole range from 1 ns to a day 310 KB —
/// so a model with 10,000 request types does not need 3 GB. `record` allocates only when a
/// value falls outside the range seen so far. Values above one day are clamped to one day.
public struct LatencyHistogram: Sendable {
    /// Largest trackable value: one day in ns.
    public static let highest: Int64 = 86_400_000_000_000
    public static let subBucketBits = 11                  // 2,048 sub-buckets
    public static let halfCount = 1 << (subBucketBits - 1) // 1,024
    public static let length = index(of: highest) + 1                      // 38,912 counts

    /// Counts of indices `base ..< base + counts.count` (a whole number of 1,024-count chunks).
    @usableFromInline var counts: [UInt64] = []
    @usableFromInline var base = 0
    /// Range of indices ever touched since the last reset, so `reset` and queries skip the rest.
    @usableFromInline var lowIndex = Int.max
    @usableFromInline var highIndex = -1
    /// Number of values recorded.
    public var count: UInt64 = 0
    /// Exact sum of the values (ns), for the mean.
    public var sum: Double = 0
    /// Exact largest value (ns).
    public var max: Int64 = 0

    public init() {}

    /// Widens `counts` to hold index `i` (and the chunks between). Amortised: only a value
    /// outside every range seen so far gets here.
    @usableFromInline @inline(never) mutating func include(_ i: Int) {
        let chunk = Self.halfCount
        let low = i / chunk * chunk, high = Swift.min(Self.length, (i / chunk + 1) * chunk)
        if counts.isEmpty {
            base = low
            counts = Array(repeating: 0, count: high - low)
            return
        }
        if low < base {
            counts.insert(contentsOf: repeatElement(0, count: base - low), at: 0)
            base = low
        }
        if high > base + counts.count { counts.append(contentsOf: repeatElement(0, count: high - base - counts.count)) }
    }

    /// Counts kept (memory: 8 bytes each).
    public var countsKept: Int { counts.count }

    /// The count at index `i` (0 outside the range kept).
    @inlinable func count(at i: Int) -> UInt64 {
        let j = i &- base
        return j >= 0 && j < counts.count ? counts[j] : 0
    }

    /// The counts index of a value: bucket = how many times it must be halved to fit in
    /// 2,048; within the bucket, the value's top 11 bits.
    @inlinable public static func index(of v: Int64) -> Int {
        let u = UInt64(v)
        let bucket = Swift.max(0, 63 - (u | UInt64(2 * halfCount - 1)).leadingZeroBitCount - (subBucketBits - 1))
        return bucket * halfCount + Int(u >> UInt64(bucket))
    }

    /// The lowest value of an index's bucket and the bucket's width.
    public static func range(of index: Int) -> (low: Int64, width: Int64) {
        var bucket = index / halfCount - 1
        var sub = index - bucket * halfCount
        if bucket < 0 { bucket = 0; sub = index }
        return (Int64(sub) << Int64(bucket), Int64(1) << Int64(bucket))
    }

    /// Records one value (ns, ≥ 0). O(1), no allocation.
    @inlinable public mutating func record(_ nanoseconds: Int64) {
        let v = Swift.min(Swift.max(nanoseconds, 0), Self.highest)
        let i = Self.index(of: v)
        var j = i &- base
        if j < 0 || j >= counts.count {
            include(i)
            j = i - base
        }
        counts[j] &+= 1
        if i < lowIndex { lowIndex = i }
        if i > highIndex { highIndex = i }
        count &+= 1
        sum += Double(v)
        if v > max { max = v }
    }

    /// Mean (ns); 0 when empty.
    public var mean: Double { count == 0 ? 0 : sum / Double(count) }

    /// The value (ns) at or below which `percent`% of the values fall: the middle of the bucket
    /// holding the value of that rank (error ≤ half a bucket, 0.05%), never above the maximum.
    /// 0 when empty. O(buckets touched).
    public func percentile(_ percent: Double) -> Double { percentiles([percent])[0] }

    /// Several percentiles (ascending `percents`) in one pass over the buckets; same values as
    /// ``percentile(_:)`` for each.
    public func percentiles(_ percents: [Double]) -> [Double] {
        guard count > 0 else { return percents.map { _ in 0 } }
        var out: [Double] = []
        out.reserveCapacity(percents.count)
        var seen: UInt64 = 0
        var i = lowIndex
        counts.withUnsafeBufferPointer { c in
            // Every touched index lies in `counts` (lowIndex ≥ base, highIndex < base + count).
            let c = UnsafeBufferPointer(rebasing: c[(lowIndex - base)...(highIndex - base)])
            let first = lowIndex
            for percent in percents {
                if percent >= 100 { out.append(Double(max)); continue }
                // Rank of the wanted value, 1-based, as HdrHistogram: ceil(p/100 · n), at least 1.
                let rank = Swift.max(1, UInt64((percent / 100 * Double(count)).rounded(.up)))
                // Whole blocks of 16 counts first (a short sum the compiler vectorises), then
                // bucket by bucket inside the block that reaches the rank: the same bucket as a
                // plain scan, in a fraction of the steps over a sparse window's wide range.
                while i &+ 16 <= highIndex &+ 1 {
                    var block: UInt64 = 0
                    for k in 0..<16 { block &+= c[i &- first &+ k] }
                    if seen &+ block >= rank { break }
                    seen &+= block; i &+= 16
                }
                while i <= highIndex && seen + c[i - first] < rank { seen &+= c[i - first]; i += 1 }
                if i > highIndex { out.append(Double(max)); continue }
                let (low, width) = Self.range(of: i)
                out.append(Swift.min(Double(low) + Double(width - 1) / 2, Double(max)))
            }
        }
        return out
    }

    /// Adds another histogram's values. O(buckets touched).
    public mutating func add(_ other: LatencyHistogram) {
        guard other.count > 0 else { return }
        include(other.lowIndex)
        include(other.highIndex)
        for i in other.lowIndex...other.highIndex { counts[i - base] &+= other.count(at: i) }
        lowIndex = Swift.min(lowIndex, other.lowIndex)
        highIndex = Swift.max(highIndex, other.highIndex)
        count &+= other.count
        sum += other.sum
        max = Swift.max(max, other.max)
    }

    /// Forgets every value. O(buckets touched).
    public mutating func reset() {
        if highIndex >= lowIndex {
            let range = (lowIndex - base)...(highIndex - base)
            counts.withUnsafeMutableBufferPointer { c in UnsafeMutableBufferPointer(rebasing: c[range]).update(repeating: 0) }
        }
        lowIndex = Int.max; highIndex = -1; count = 0; sum = 0; max = 0
    }
}
