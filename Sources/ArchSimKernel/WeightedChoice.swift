// SPDX-License-Identifier: GPL-3.0-or-later

/// Chooses an index 0..<count with probability proportional to its weight, in O(1) per draw
/// (Walker's alias method, with Vose's numerically stable construction).
///
/// Construction is O(count) and deterministic: it depends only on the weights and their order
/// (plain arrays used as stacks; no Dictionary or Set), so the same weights and the same stream
/// always give the same choices. A draw uses one `index(below:)` and one `uniform()`.
public struct WeightedChoice: Sendable, Equatable {
    /// For column i: the probability of keeping i (otherwise `alias[i]` is chosen).
    public let keep: [Double]
    /// For column i: the index chosen when i is not kept.
    public let alias: [Int]
    /// The weights divided by their sum.
    public let probabilities: [Double]

    /// Number of choices.
    @inlinable public var count: Int { keep.count }

    /// - Precondition: 1 ≤ weights.count ≤ 2³², every weight finite and ≥ 0, sum > 0 and finite.
    public init(weights: [Double]) {
        let n = weights.count
        precondition(n >= 1 && n <= 0xFFFF_FFFF, "WeightedChoice needs between 1 and 2^32 weights")
        precondition(weights.allSatisfy { $0.isFinite && $0 >= 0 }, "WeightedChoice weights must be finite and ≥ 0")
        let total = weights.reduce(0, +)
        precondition(total > 0 && total.isFinite, "WeightedChoice weights must not all be 0")

        probabilities = weights.map { $0 / total }
        var scaled = weights.map { $0 / total * Double(n) }
        var keep = [Double](repeating: 1, count: n)
        var alias = Array(0..<n)
        var small: [Int] = [], large: [Int] = []
        small.reserveCapacity(n); large.reserveCapacity(n)
        for i in 0..<n {
            if scaled[i] < 1 { small.append(i) } else { large.append(i) }
        }
        while !small.isEmpty && !large.isEmpty {
            let s = small.removeLast(), l = large.removeLast()
            keep[s] = scaled[s]
            alias[s] = l
            scaled[l] = (scaled[l] + scaled[s]) - 1
            if scaled[l] < 1 { small.append(l) } else { large.append(l) }
        }
        // Whatever is left is 1 up to rounding. A zero weight must never be kept, so a leftover
        // zero (which rounding alone cannot produce, but be safe) aliases the heaviest choice.
        let heaviest = weights.indices.max { weights[$0] < weights[$1] }!
        for i in large { keep[i] = 1 }
        for i in small {
            if weights[i] > 0 { keep[i] = 1 } else { keep[i] = 0; alias[i] = heaviest }
        }
        self.keep = keep
        self.alias = alias
    }

    /// An index in 0..<count, chosen with probability weights[i] / Σ weights. O(1).
    @inlinable public func sample(_ stream: RandomStream) -> Int {
        let i = stream.index(below: keep.count)
        return stream.uniform() < keep[i] ? i : alias[i]
    }
}
