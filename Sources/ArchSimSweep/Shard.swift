// SPDX-License-Identifier: GPL-3.0-or-later

/// Shard K of N of a sweep: point i (0-based, in plan order) belongs to shard i mod N + 1, so
/// the shards are disjoint, cover every point and differ in size by at most one.
public struct Shard: Sendable, Equatable, CustomStringConvertible {
    /// 1-based: 1 ≤ k ≤ n.
    public let k: Int
    public let n: Int

    public init?(k: Int, n: Int) {
        guard n >= 1, (1...n).contains(k) else { return nil }
        self.k = k; self.n = n
    }

    /// Parses `K/N`, e.g. `2/3`; nil unless 1 ≤ K ≤ N.
    public init?(parsing text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let k = Int(parts[0]), let n = Int(parts[1]) else { return nil }
        self.init(k: k, n: n)
    }

    /// Whether point `i` is this shard's.
    public func contains(_ i: Int) -> Bool { i % n == k - 1 }

    public var description: String { "\(k)/\(n)" }
}
