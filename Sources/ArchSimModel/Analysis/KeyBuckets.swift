// SPDX-License-Identifier: GPL-3.0-or-later
import Foundation

/// A key space's popularity in buckets of keys of (nearly) equal popularity, so that sums over
/// keys — Che's characteristic-time equation, a node's share of the traffic — cost the number
/// of buckets, not the number of keys (10⁸ keys: ~17,000 buckets).
///
/// Zipf: the `head` most popular keys one by one (bucket b is the key of rank b + 1, id b), then
/// the ranks above in buckets whose last rank is at most 2% above the first (each key of a
/// bucket gets the bucket's mean probability; within a bucket it varies by at most 2% × s).
/// Uniform: its keys one by one when there are at most `headKeys`, else one bucket of them all.
public struct KeyBuckets: Sendable, Equatable {
    /// Keys in each bucket.
    public private(set) var count: [Double] = []
    /// The probability of each key of the bucket (so Σ count × probability = 1).
    public private(set) var probability: [Double] = []
    /// Buckets 0..<exactKeys hold one key each, whose id is the bucket's index.
    public private(set) var exactKeys = 0

    /// Keys of a Zipf space kept one by one: enough that a single hot key's node or shard is
    /// found exactly (a key past rank 16,384 of Zipf(0.99) over 10⁸ keys has p < 4 × 10⁻⁶).
    public static let headKeys = 16_384
    /// The ratio of a tail bucket's last rank to its first, at most.
    static let tailRatio = 1.02

    /// Buckets of `space`. O(min(count, headKeys) + log(count)).
    public init(_ space: KeySpace) {
        switch space.popularity {
        case .uniform where space.count <= Self.headKeys:
            // Few keys: one by one, so that a hash's uneven split of them is seen.
            count = [Double](repeating: 1, count: space.count)
            probability = [Double](repeating: 1 / Double(space.count), count: space.count)
            exactKeys = space.count
        case .uniform:
            count = [Double(space.count)]
            probability = [1 / Double(space.count)]
        case .zipf(let s):
            let n = space.count
            exactKeys = min(n, Self.headKeys)
            var weight: [Double] = []
            for r in 1...exactKeys {
                count.append(1)
                weight.append(pow(Double(r), -s))
            }
            // Tail ranks a..<b: the sum of r^-s by the midpoint rule on [a − ½, b − ½], accurate
            // to O(s² a^(-s-2)) per key here (a > 16,384).
            var a = exactKeys + 1
            while a <= n {
                let b = min(n + 1, max(a + 1, Int((Double(a) * Self.tailRatio).rounded(.down))))
                let keys = Double(b - a)
                count.append(keys)
                weight.append(Self.integral(from: Double(a) - 0.5, to: Double(b) - 0.5, s: s) / keys)
                a = b
            }
            var total = 0.0
            for i in weight.indices { total += count[i] * weight[i] }
            probability = weight.map { $0 / total }
        }
    }

    /// ∫ x^-s dx from `lo` to `hi`.
    static func integral(from lo: Double, to hi: Double, s: Double) -> Double {
        abs(s - 1) < 1e-12 ? log(hi / lo) : (pow(hi, 1 - s) - pow(lo, 1 - s)) / (1 - s)
    }

    public var buckets: Int { count.count }
}
