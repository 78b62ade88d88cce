// SPDX-License-Identifier: GPL-3.0-or-later

/// A tournament tree over `count` small integer loads (a balancer's open connections per rank):
/// the least load, and the first rank holding it from a rotating start, in O(log count); a
/// load's change in O(log count).
///
/// `firstLeast(from:)` answers exactly what a scan answers — the first rank at or after `start`
/// with the least load, else the first before `start` — so a balancer can switch between the
/// scan (few members) and the tree (many) without changing a single choice.
public struct MinTree {
    /// Leaves at `size + rank`; node `i`'s value is the least of its children's; `size` is a
    /// power of two; unused leaves hold `Int32.max`.
    private var nodes: [Int32]
    private let size: Int
    public let count: Int

    /// A tree over `loads` (ranks 0..<loads.count).
    public init(_ loads: [Int32]) {
        count = loads.count
        var size = 1
        while size < max(1, count) { size <<= 1 }
        self.size = size
        nodes = Array(repeating: .max, count: 2 * size)
        for (rank, load) in loads.enumerated() { nodes[size + rank] = load }
        var i = size - 1
        while i >= 1 { nodes[i] = min(nodes[2 * i], nodes[2 * i + 1]); i -= 1 }
    }

    /// The load at `rank`.
    @inline(__always) public subscript(rank: Int) -> Int32 { nodes[size + rank] }

    /// The least load (`Int32.max` when empty).
    @inline(__always) public var least: Int32 { nodes[1] }

    /// Sets the load at `rank`.
    public mutating func set(_ rank: Int, to load: Int32) {
        precondition(rank >= 0 && rank < count, "MinTree rank out of range")
        var i = size + rank
        nodes[i] = load
        i >>= 1
        while i >= 1 {
            let m = min(nodes[2 * i], nodes[2 * i + 1])
            if nodes[i] == m { break }  // the ancestors' minima do not change either
            nodes[i] = m
            i >>= 1
        }
    }

    /// The first rank at or after `start` with the least load, else the first rank before
    /// `start` with it; nil when the tree is empty.
    public func firstLeast(from start: Int) -> Int? {
        guard count > 0 else { return nil }
        let m = nodes[1]
        return first(from: start, atMost: m) ?? first(from: 0, atMost: m)
    }

    /// The first rank at or after `start` whose load is at most `m`.
    private func first(from start: Int, atMost m: Int32) -> Int? {
        guard start < count else { return nil }
        var i = size + start
        if nodes[i] > m {
            // Climb until a right sibling, covering ranks just after those checked, holds one.
            while true {
                if i == 1 { return nil }
                if i & 1 == 0 && nodes[i + 1] <= m { i += 1; break }
                i >>= 1
            }
            // Descend to its leftmost leaf with a load at most `m`.
            while i < size {
                i <<= 1
                if nodes[i] > m { i += 1 }
            }
        }
        return i - size
    }
}
