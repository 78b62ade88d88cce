// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimKernel

/// A consistent-hash ring: 100 virtual nodes per member, each at a stable hash of its name. A
/// key goes to the first member clockwise from the key's hash that is available, so when a
/// member goes away only its keys move. Used by the `consistent_hash` balancer for service
/// instances and for replica reads.
struct HashRing {
    static let virtualNodes = 100
    /// (point, member), sorted by point (ties: member).
    private var points: [(point: UInt64, member: Int32)] = []

    /// A ring over `members`, virtual node v of member m named `name(m, v)`.
    init(members: some Sequence<Int>, name: (Int, Int) -> String) {
        for m in members {
            for v in 0..<Self.virtualNodes { points.append((Self.point(name(m, v)), Int32(m))) }
        }
        points.sort { $0.point < $1.point || ($0.point == $1.point && $0.member < $1.member) }
    }

    /// A virtual node's place. FNV-1a alone leaves names that differ in their last characters on
    /// one short arc (one member's 100 points would sit together and take a share far from
    /// 1/n); SplitMix64's finaliser spreads them over the whole ring.
    static func point(_ name: String) -> UInt64 { StableHash.mix(StableHash.fnv1a64(name)) }

    /// The member for `key`: the first clockwise from its hash for which `available` holds, or
    /// nil. O(log points) to find the start, then one step per unavailable virtual node.
    func member(for key: UInt64, where available: (Int) -> Bool) -> Int? {
        let h = StableHash.mix(key)
        var lo = 0, hi = points.count
        while lo < hi { let mid = (lo + hi) / 2; if points[mid].point < h { lo = mid + 1 } else { hi = mid } }
        for k in 0..<points.count {
            let m = Int(points[(lo + k) % points.count].member)
            if available(m) { return m }
        }
        return nil
    }
}
