// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimKernel
import ArchSimModel
import Foundation

/// A deliberately simple model of ``CacheStore``'s documented semantics: one array of items,
/// victims found by a linear scan. O(capacity) per call. Removal swaps the last item into the
/// hole and eviction refills the victim's position, as the store does with its slots, so that
/// random eviction (`items[stream.index(below: count)]`) can be compared exactly too.
struct CacheReferenceModel {
    struct Item {
        var key: UInt64
        var expiresAt: Int64
        var inserted: Int
        var lastUse: Int
        var frequency: Int
    }

    let capacity: Int
    let policy: EvictionPolicy
    let stream: RandomStream
    private(set) var items: [Item] = []
    private(set) var evictions = 0
    private(set) var expirations = 0
    private var tick = 0

    init(capacity: Int, policy: EvictionPolicy, stream: RandomStream) {
        self.capacity = capacity; self.policy = policy; self.stream = stream
    }

    var count: Int { items.count }

    mutating func get(_ key: UInt64, now: Int64) -> Bool {
        guard let i = items.firstIndex(where: { $0.key == key }) else { return false }
        if items[i].expiresAt <= now { expirations += 1; removeAt(i); return false }
        use(i)
        return true
    }

    mutating func set(_ key: UInt64, expiresAt: Int64, now: Int64) {
        if capacity == 0 { return }
        if let i = items.firstIndex(where: { $0.key == key }) {
            if items[i].expiresAt > now { items[i].expiresAt = expiresAt; use(i); return }
            expirations += 1
            removeAt(i)
        }
        tick += 1
        let item = Item(key: key, expiresAt: expiresAt, inserted: tick, lastUse: tick, frequency: 1)
        if items.count < capacity { items.append(item); return }
        items[victim()] = item
        evictions += 1
    }

    mutating func delete(_ key: UInt64) -> Bool {
        guard let i = items.firstIndex(where: { $0.key == key }) else { return false }
        removeAt(i)
        return true
    }

    mutating func removeAll() { items.removeAll() }

    /// Keys in the order the policy would evict them (RANDOM: position order).
    var keysInEvictionOrder: [UInt64] {
        switch policy {
        case .lru: return items.sorted { $0.lastUse < $1.lastUse }.map(\.key)
        case .fifo: return items.sorted { $0.inserted < $1.inserted }.map(\.key)
        case .lfu: return items.sorted { ($0.frequency, $0.lastUse) < ($1.frequency, $1.lastUse) }.map(\.key)
        case .random: return items.map(\.key)
        }
    }

    private mutating func use(_ i: Int) {
        tick += 1
        items[i].lastUse = tick
        items[i].frequency += 1
    }

    private func victim() -> Int {
        switch policy {
        case .lru: return items.indices.min { items[$0].lastUse < items[$1].lastUse }!
        case .fifo: return items.indices.min { items[$0].inserted < items[$1].inserted }!
        case .lfu: return items.indices.min { (items[$0].frequency, items[$0].lastUse) < (items[$1].frequency, items[$1].lastUse) }!
        case .random: return stream.index(below: items.count)
        }
    }

    private mutating func removeAt(_ i: Int) {
        items[i] = items[items.count - 1]
        items.removeLast()
    }
}

/// Hit-ratio approximations for a cache under the independent reference model, with key
/// popularities `p` (summing to 1) and capacity `c`. Characteristic times T by bisection.
enum CacheTheory {
    /// Zipf popularities p_i ∝ (i+1)^−s, i = 0..<n.
    static func zipf(count n: Int, s: Double) -> [Double] {
        let w = (1...n).map { pow(Double($0), -s) }
        let h = w.reversed().reduce(0, +)
        return w.map { $0 / h }
    }

    /// The T > 0 with f(T) = target, f increasing (bisection in Double to relative 1e-13).
    static func solve(_ target: Double, _ f: (Double) -> Double) -> Double {
        var lo = 0.0, hi = 1.0
        while f(hi) < target { lo = hi; hi *= 2 }
        while hi - lo > 1e-13 * hi {
            let mid = 0.5 * (lo + hi)
            if f(mid) < target { lo = mid } else { hi = mid }
        }
        return 0.5 * (lo + hi)
    }

    /// LRU, Che's approximation: Σ (1 − e^{−p_i T}) = c; hit = Σ p_i (1 − e^{−p_i T}).
    static func lruChe(_ p: [Double], capacity c: Int) -> (t: Double, hit: Double) {
        let t = solve(Double(c)) { t in p.reduce(0) { $0 + -expm1(-$1 * t) } }
        return (t, p.reduce(0) { $0 + $1 * -expm1(-$1 * t) })
    }

    /// FIFO and RANDOM (Gelenbe; Fricker, Robert, Roberts 2012): Σ p_i T/(1 + p_i T) = c;
    /// hit = Σ p_i · p_i T/(1 + p_i T).
    static func fifoRandom(_ p: [Double], capacity c: Int) -> (t: Double, hit: Double) {
        let t = solve(Double(c)) { t in p.reduce(0) { $0 + $1 * t / (1 + $1 * t) } }
        return (t, p.reduce(0) { $0 + $1 * ($1 * t / (1 + $1 * t)) })
    }

    /// The static optimum under IRM: the c most popular keys always cached (p sorted descending).
    static func topC(_ p: [Double], capacity c: Int) -> Double { p.prefix(c).reduce(0, +) }
}

/// `count` Zipf(n, s) key ids drawn from a stream seeded by (`seed`, `name`).
func cacheZipfTrace(count: Int, keys n: Int, s: Double, seed: UInt64, name: String) -> [Int32] {
    let streams = RandomStreams(seed: seed)
    return withExtendedLifetime(streams) {
        let stream = streams.stream(name)
        let zipf = ZipfSampler(count: n, s: s)
        var trace = [Int32]()
        trace.reserveCapacity(count)
        for _ in 0..<count { trace.append(Int32(zipf.sample(stream))) }
        return trace
    }
}
