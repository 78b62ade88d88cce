// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimKernel

/// A distributed cache (a Redis cluster, say): `nodes` cache nodes, each holding its share of
/// the capacity; a key lives on the node its stable hash picks (never Swift's `Hasher`).
///
/// An operation takes the cache's latency (× a slow fault's factor) plus a network hop each way.
/// A crashed node is emptied; while down every get misses and sets and deletes do nothing, so
/// its keys miss until refilled.
struct DistributedCache {
    let name: String
    var nodes: [CacheNode]
    let latency: Sampler
    let ttl: Int64?
    /// Mixed into key hashes so two caches spread the same keys differently.
    let salt: UInt64

    init(_ cache: Cache, streams: RandomStreams) {
        name = cache.name
        latency = Sampler(distribution: cache.latency, stream: streams.stream("cache.\(cache.name).latency"))
        ttl = cache.ttl
        salt = StableHash.fnv1a64(cache.name)
        nodes = (0..<cache.nodes).map { n in
            // Capacity split over nodes; the first `capacity % nodes` nodes hold one more.
            let share = cache.capacity / cache.nodes + (n < cache.capacity % cache.nodes ? 1 : 0)
            return CacheNode(store: CacheStore(capacity: share, eviction: cache.eviction,
                                               stream: streams.stream("cache.\(cache.name).\(n).eviction")))
        }
    }

    /// The node holding `key`. O(1).
    @inline(__always) func node(of key: UInt64) -> Int {
        Int(StableHash.mix(key ^ salt) % UInt64(nodes.count))
    }
}

/// One cache node: its entries and whether it is up.
struct CacheNode {
    var store: CacheStore
    var down = false
    var slowFactor = 1.0
    /// Gets and hits after the warm-up.
    var gets = 0
    var hits = 0
    var operations = 0
}
