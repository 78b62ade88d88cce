// SPDX-License-Identifier: GPL-3.0-or-later
import Foundation

/// Hit ratios of a cache under the independent reference model (each key referenced as a
/// Poisson process of its own rate), by the characteristic-time approximations: Che, Tung and
/// Wang (2002) for LRU; Fricker, Robert and Roberts (2012) for FIFO and RANDOM; the static top-C
/// optimum for LFU (an upper bound). Validated against the cache store in
/// `Tests/ArchSimModelTests/CacheStoreTests+Theory.swift` (within one point).
///
/// Keys come in groups of equal rate (``KeyBuckets``): `count[i]` keys, each touched at
/// `rate[i]` per second (a get, or a set that does not fill a miss) and deleted at
/// `deleteRate[i]` per second. `oneTimers` per second are keys touched once and never again
/// (rows inserted with `key: new`): each stays for the characteristic time T.
///
/// LRU with TTL and deletes (entries expire `ttl` after their set; a delete removes one; expiry
/// is lazy, so an expired entry takes space until a reference or an eviction): an entry, once
/// set, is found by every reference until the first gap between references longer than T
/// (eviction), its TTL, or a delete — whichever comes first; the next reference misses and sets
/// it again. With A(t) = P(no gap > T in [0, t]), a cycle holds H = r ∫₀^ttl A(t) e^{-δt} dt hits
/// and one miss: hit = H / (1 + H). A(t) = 1 before T, drops by e^{-rT} at T and then follows
/// A'(t) = −r e^{-rT} A(t − T). Without TTL this is r/(r+δ) (1 − e^{-(r+δ)T}): Che's formula
/// when δ = 0. The space an entry takes does not depend on the TTL (expiry is lazy).
public enum CheApproximation {
    public enum Policy: Sendable { case lru, fifoOrRandom, lfu }

    /// The characteristic time (s) T at which the expected keys present fill `capacity`;
    /// `.infinity` when every key fits. Bisection to relative 1e-13. O(groups × 100).
    public static func characteristicTime(policy: Policy, count: [Double], rate: [Double], deleteRate: [Double],
                                          oneTimers: Double = 0, capacity: Double) -> Double {
        func present(_ t: Double) -> Double {
            var total = oneTimers > 0 ? oneTimers * t : 0
            for i in count.indices where rate[i] > 0 {
                total += count[i] * occupancy(policy: policy, rate: rate[i], deleteRate: deleteRate[i], time: t)
            }
            return total
        }
        if oneTimers == 0 && present(.infinity) <= capacity { return .infinity }
        var lo = 0.0, hi = 1e-6
        while present(hi) < capacity {
            lo = hi; hi *= 4
            if hi > 1e15 { return .infinity }
        }
        for _ in 0..<200 where hi - lo > 1e-13 * hi {
            let mid = 0.5 * (lo + hi)
            if present(mid) < capacity { lo = mid } else { hi = mid }
        }
        return 0.5 * (lo + hi)
    }

    /// The probability a key touched at `rate` (deleted at `deleteRate`) is present (LRU) or
    /// stored (FIFO, RANDOM) with characteristic time `time` (s, may be infinite).
    static func occupancy(policy: Policy, rate r: Double, deleteRate d: Double, time t: Double) -> Double {
        switch policy {
        case .lru, .lfu:
            let q = r + d
            return t.isInfinite ? r / q : r / q * -expm1(-q * t)
        case .fifoOrRandom:
            return t.isInfinite ? 1 : r * t / (1 + r * t)
        }
    }

    /// The hit ratio of the references of a key touched at `rate` per second: LRU with TTL and
    /// deletes as in the type's description; FIFO and RANDOM ignore TTL and deletes (an upper
    /// bound).
    public static func hit(policy: Policy, rate r: Double, deleteRate d: Double, time t: Double, ttl: Double?) -> Double {
        guard r > 0 else { return 0 }
        switch policy {
        case .fifoOrRandom: return t.isInfinite ? 1 : r * t / (1 + r * t)
        case .lfu: return t.isInfinite ? 1 : 0   // decided by rank: see ``lfuHits(count:rate:capacity:)``
        case .lru: break
        }
        guard let ttl else { return occupancy(policy: .lru, rate: r, deleteRate: d, time: t) }
        let hits = r * survivingTime(rate: r, time: t, ttl: ttl, deleteRate: d)
        return hits / (1 + hits)
    }

    /// ∫₀^ttl A(t) e^{-δt} dt (s): how long a set entry stays fresh and unevicted, on average.
    static func survivingTime(rate r: Double, time T: Double, ttl L: Double, deleteRate d: Double) -> Double {
        func decayed(_ a: Double, _ b: Double) -> Double { d > 0 ? (exp(-d * a) - exp(-d * b)) / d : b - a }
        // Never evicted before its TTL: no gap longer than T fits in [0, L], or hot enough that
        // one does with probability below 1e-17.
        if T.isInfinite || L <= T || r * T > 40 { return decayed(0, L) }
        // A on a grid of step h = T/m, at most `intervals` characteristic times; after that A
        // decays geometrically (its asymptotic regime), extrapolated from the last interval.
        let m = 16, intervals = 64
        let h = T / Double(m)
        let drop = exp(-r * T)
        let steps = min(Int((L / h).rounded(.down)), m * intervals)
        var left = [Double](repeating: 1, count: steps + 1)   // A just before grid point j
        func right(_ j: Int) -> Double { j == m ? 1 - drop : left[j] }
        var integral = 0.0
        for j in 1...steps {
            if j > m {
                let k0 = j - m - 1, k1 = j - m
                left[j] = right(j - 1) - r * drop * h * 0.5 * (right(k0) + left[k1])
                if left[j] < 0 { left[j] = 0 }
            }
            integral += 0.5 * h * (right(j - 1) * exp(-d * Double(j - 1) * h) + left[j] * exp(-d * Double(j) * h))
        }
        let end = Double(steps) * h
        guard end < L else { return integral }
        let last = right(steps)
        if steps < m * intervals {
            // L falls inside the last grid step.
            return integral + last * decayed(end, L)
        }
        let before = left[steps - m] > 0 ? left[steps - m] : 1
        let gamma = last > 0 ? max(0, log(before / last) / T) : .infinity
        guard gamma.isFinite else { return integral }
        let k = gamma + d
        let rest = k > 0 ? -expm1(-k * (L - end)) / k : L - end
        return integral + last * exp(-d * end) * rest
    }

    /// LFU's static optimum: the `capacity` keys of highest rate always present. Returns each
    /// group's hit ratio (1, 0, or the share of a group cut by the capacity). O(groups log groups).
    public static func lfuHits(count: [Double], rate: [Double], capacity: Double) -> [Double] {
        var hits = [Double](repeating: 0, count: count.count)
        var left = capacity
        for i in count.indices.sorted(by: { rate[$0] != rate[$1] ? rate[$0] > rate[$1] : $0 < $1 }) where left > 0 && rate[i] > 0 {
            hits[i] = min(1, left / count[i])
            left -= count[i]
        }
        return hits
    }
}
