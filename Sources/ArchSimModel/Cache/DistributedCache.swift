// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimKernel
import ArchSimStats

/// A distributed cache (a Redis cluster, say): `nodes` cache nodes, each holding its share of
/// the capacity; a key lives on the node its stable hash picks (never Swift's `Hasher`).
///
/// An operation takes the cache's latency (× a slow fault's factor) plus a network hop each way.
/// With a `service` time (format 1.1), a node serves `workers` operations at once, FIFO: an
/// operation travels half its latency, waits for a worker, holds it for `service` (when its
/// effect on the node happens), and travels the other half back — a hot key saturates its node.
/// A crashed node is emptied; while down every get misses and sets and deletes do nothing, so
/// its keys miss until refilled.
struct DistributedCache {
    /// What a cache step does to its key.
    enum Operation { case get, set, delete }

    let name: String
    private(set) var nodes: [CacheNode]
    let latency: Sampler
    /// Node throughput: each operation's time on a node's worker; nil = none.
    let service: Sampler?
    let ttl: Int64?
    /// Mixed into key hashes so two caches spread the same keys differently.
    let salt: UInt64

    init(_ cache: Cache, streams: RandomStreams) {
        name = cache.name
        latency = Sampler(distribution: cache.latency, stream: streams.stream("cache.\(cache.name).latency"))
        service = cache.service.map { Sampler(distribution: $0, stream: streams.stream("cache.\(cache.name).service")) }
        let workers = cache.workers ?? Int.max
        ttl = cache.ttl
        salt = StableHash.fnv1a64(cache.name)
        nodes = (0..<cache.nodes).map { n in
            // Capacity split over nodes; the first `capacity % nodes` nodes hold one more.
            let share = cache.capacity / cache.nodes + (n < cache.capacity % cache.nodes ? 1 : 0)
            return CacheNode(store: CacheStore(capacity: share, eviction: cache.eviction,
                                               stream: streams.stream("cache.\(cache.name).\(n).eviction")),
                             workers: cache.service == nil ? nil : Pool(slots: workers))
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
        let n = node(for: key)
        // A keyless operation touches no node: no node's slowdown applies to it.
        if key != nil && nodes[n].slowFactor != 1 {
            latency = Distribution.saturatingNanoseconds(Double(latency) * nodes[n].slowFactor)
        }
        return (apply(operation, key: key, node: n, at: now, counted: counted), latency)
    }

    /// `operation` on `key` at node `n` changes the node's state now; returns whether a get hit.
    /// A keyless operation misses and stores nothing (a keyless get counts at node 0).
    mutating func apply(_ operation: Operation, key: UInt64?, node n: Int, at now: Int64, counted: Bool) -> Bool {
        guard let key else {
            if operation == .get && counted { nodes[0].gets += 1 }
            return false
        }
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
        return hit
    }

    // MARK: Node throughput (`workers`, `service`)

    /// Whether operations queue at their node (the cache has a `service` time).
    var queues: Bool { service != nil }

    /// The node of an operation's key (a keyless operation: node 0).
    @inline(__always) func node(for key: UInt64?) -> Int { key.map(node(of:)) ?? 0 }

    /// An operation's round trip to node `n` (× the node's slow factor).
    mutating func roundTrip(node n: Int) -> Int64 {
        let latency = self.latency.sample()
        return nodes[n].slowFactor == 1 ? latency : Distribution.saturatingNanoseconds(Double(latency) * nodes[n].slowFactor)
    }

    /// `task`'s operation reaches node `n`: true if it has a worker now, else it waits (FIFO).
    mutating func arrive(_ task: TaskID, node n: Int, at now: Int64) -> Bool {
        nodes[n].workers!.acquire(task, at: now) == .granted
    }

    /// An operation that waited `waited` ns starts on a worker of node `n`: its service time.
    mutating func startService(node n: Int, waited: Int64, counted: Bool) -> Int64 {
        if counted { nodes[n].wait.record(waited) }
        let time = service!.sample()
        return nodes[n].slowFactor == 1 ? time : Distribution.saturatingNanoseconds(Double(time) * nodes[n].slowFactor)
    }

    /// An operation's service at node `n` ended: the worker goes to the longest waiter, if any.
    mutating func finishService(node n: Int, at now: Int64) -> Pool.Handoff { nodes[n].workers!.release(at: now) }

    mutating func restartGauges(at now: Int64) {
        for n in nodes.indices { nodes[n].workers?.restartGauges(at: now) }
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
    func result(end: Int64) -> CacheResult {
        CacheResult(nodes: nodes.map { node in
            var r = CacheNodeResult(gets: node.gets, hits: node.hits, operations: node.operations)
            if let workers = node.workers {
                r.utilization = workers.slots == Int.max ? nil : workers.busyGauge.mean(until: end) / Double(workers.slots)
                r.meanWaitMs = node.wait.mean / 1e6
                r.p99WaitMs = node.wait.count > 0 ? node.wait.percentile(99) / 1e6 : 0
                r.meanQueueLength = workers.queueGauge.mean(until: end)
            }
            return r
        })
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
    /// Node throughput: its workers and the waits for them (only with a `service` time).
    var workers: Pool?
    var wait = LatencyHistogram()
}
