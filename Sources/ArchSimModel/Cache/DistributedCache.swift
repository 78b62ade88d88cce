// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimKernel

/// A distributed cache (a Redis cluster, say): `nodes` cache nodes, each holding its share of
/// the capacity; a key lives on the node its stable hash picks (never Swift's `Hasher`).
///
/// An operation takes the cache's latency (× a slow fault's factor) plus a network hop each way.
/// A crashed node is emptied; while down every get misses and sets and deletes do nothing, so
/// its keys miss until refilled.
struct DistributedCache {
    /// What a cache step does to its key.
    enum Operation { case get, set, delete }

    let name: String
    private(set) var nodes: [CacheNode]
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

    /// Performs `operation` on `key` at `now`: the node's state changes when the operation is
    /// made. Returns whether a get hit, and the operation's latency (the cache's latency × the
    /// node's slow factor; network hops not included). A request without a key misses and
    /// stores nothing. `counted`: after the warm-up (counts gets, hits and operations).
    mutating func perform(_ operation: Operation, key: UInt64?, at now: Int64, counted: Bool) -> (hit: Bool, latency: Int64) {
        var latency = self.latency.sample()
        guard let key else {
            if operation == .get && counted { nodes[0].gets += 1 }
            return (false, latency)
        }
        let n = node(of: key)
        if nodes[n].slowFactor != 1 { latency = Distribution.saturatingNanoseconds(Double(latency) * nodes[n].slowFactor) }
        if counted { nodes[n].operations += 1 }
        let up = !nodes[n].down
        var hit = false
        switch operation {
        case .get:
            hit = up && nodes[n].store.get(key, now: now)
            if counted { nodes[n].gets += 1; if hit { nodes[n].hits += 1 } }
        case .set:
            if up { nodes[n].store.set(key, expiresAt: ttl.map { now + $0 } ?? Int64.max, now: now) }
        case .delete:
            if up { _ = nodes[n].store.delete(key) }
        }
        return (hit, latency)
    }

    // MARK: Faults

    /// Node `n` crashes: it is emptied; while down every get misses and sets and deletes do nothing.
    mutating func crash(node n: Int) {
        nodes[n].down = true
        nodes[n].store.removeAll()
    }

    mutating func recover(node n: Int) { nodes[n].down = false }

    /// Node `n`'s latency is multiplied by `factor` (1: normal again).
    mutating func slow(node n: Int, by factor: Double) { nodes[n].slowFactor = factor }

    /// What the cache measured after the warm-up, per node.
    var result: CacheResult {
        CacheResult(nodes: nodes.map { CacheNodeResult(gets: $0.gets, hits: $0.hits, operations: $0.operations) })
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
