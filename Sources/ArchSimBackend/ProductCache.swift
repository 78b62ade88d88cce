// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimKernel
import ArchSimModel
import Foundation

/// The in-process product cache (cache-aside): the simulator's own ``CacheStore`` decides
/// which keys stay (LRU, LFU, FIFO or random eviction, lazy TTL), and a dictionary holds their
/// values. One lock guards both; every operation is O(1) expected, and sub-microsecond.
///
/// `CacheStore` does not report which key it evicted, so the values of evicted keys stay in the
/// dictionary until it reaches twice the capacity, when one sweep over the store's live keys
/// drops them (O(capacity) every ≥ capacity sets: amortised O(1)).
public final class ProductCache: @unchecked Sendable {
    private let lock = NSLock()
    private var store: CacheStore
    private var values: [UInt64: Catalogue.Product] = [:]
    private let ttl: Int64?
    // The random policy's stream lives as long as the store.
    private let streams: RandomStreams

    public init(capacity: Int, eviction: EvictionPolicy, ttl: Int64? = nil, seed: UInt64 = 1) {
        streams = RandomStreams(seed: seed)
        store = CacheStore(capacity: capacity, eviction: eviction, stream: streams.stream("backend.cache.eviction"))
        self.ttl = ttl
    }

    public var capacity: Int { store.capacity }

    public func get(_ id: Int64) -> Catalogue.Product? {
        let now = monotonicNanoseconds()
        lock.lock(); defer { lock.unlock() }
        guard store.get(UInt64(id), now: now) else { return nil }
        return values[UInt64(id)]
    }

    public func set(_ product: Catalogue.Product) {
        let now = monotonicNanoseconds()
        let expires = ttl.map { now + $0 } ?? Int64.max
        lock.lock(); defer { lock.unlock() }
        store.set(UInt64(product.id), expiresAt: expires, now: now)
        guard store.capacity > 0 else { return }
        values[UInt64(product.id)] = product
        if values.count >= 2 * store.capacity {
            var live: [UInt64: Catalogue.Product] = [:]
            live.reserveCapacity(store.count)
            for entry in store.entries { if let v = values[entry.key] { live[entry.key] = v } }
            values = live
        }
    }

    /// Invalidation: the key is gone until the next set.
    public func delete(_ id: Int64) {
        lock.lock(); defer { lock.unlock() }
        store.delete(UInt64(id))
        values[UInt64(id)] = nil
    }

    public struct Stats: Codable, Sendable {
        public var entries: Int
        public var capacity: Int
        public var gets: Int
        public var hits: Int
        public var hitRatio: Double
        public var evictions: Int
        enum CodingKeys: String, CodingKey {
            case entries, capacity, gets, hits, evictions
            case hitRatio = "hit_ratio"
        }
    }

    public func stats() -> Stats {
        lock.lock(); defer { lock.unlock() }
        let c = store.counters
        return Stats(entries: store.count, capacity: store.capacity, gets: c.gets, hits: c.hits, hitRatio: c.hitRatio,
                     evictions: c.evictions)
    }

    public func resetCounters() { lock.lock(); store.resetCounters(); lock.unlock() }
}
