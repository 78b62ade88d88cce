// SPDX-License-Identifier: GPL-3.0-or-later

/// Hit ratios from the walk's per-key flows by the characteristic-time approximations
/// (``CheApproximation``): each cache's gets, and each database server's buffer pool.
enum HitRatios {
    /// Per cache and key space, per bucket: the hit ratio of a get, at `rate` requests/s (the
    /// rate matters only with a TTL). A cache's keys of every space share its capacity (its
    /// nodes' capacities together: the key hash spreads them alike). A cache nothing sets never
    /// hits. Gets and sets outside a get's own `on_miss` touch a key; a fill (the set after a
    /// miss) is part of the get that missed.
    static func caches(_ arch: Architecture, _ flows: Flows, buckets: [KeyBuckets], rate: Double) -> [[[Double]?]] {
        var hits = [[[Double]?]](repeating: [[Double]?](repeating: nil, count: buckets.count), count: arch.caches.count)
        for (c, cache) in arch.caches.enumerated() where flows.cacheIsSet[c] && rate > 0 {
            var count: [Double] = [], touch: [Double] = [], delete: [Double] = []
            var spans: [(space: Int, start: Int)] = []
            for k in buckets.indices {
                let gets = flows.cacheGets[c][k], sets = flows.cacheSets[c][k]
                guard gets != nil || sets != nil else { continue }
                spans.append((k, count.count))
                for i in 0..<buckets[k].buckets {
                    count.append(buckets[k].count[i])
                    touch.append(rate * ((gets?[i] ?? 0) + (sets?[i] ?? 0)))
                    delete.append(rate * (flows.cacheDeletes[c][k]?[i] ?? 0))
                }
            }
            guard !count.isEmpty else { continue }
            let ttl = cache.ttl.map { Double($0) / 1e9 }
            var hit: [Double]
            switch cache.eviction {
            case .lfu:
                hit = CheApproximation.lfuHits(count: count, rate: touch, capacity: Double(cache.capacity))
            case .lru, .fifo, .random:
                let policy: CheApproximation.Policy = cache.eviction == .lru ? .lru : .fifoOrRandom
                let t = CheApproximation.characteristicTime(policy: policy, count: count, rate: touch, deleteRate: delete,
                                                            capacity: Double(cache.capacity))
                hit = count.indices.map {
                    CheApproximation.hit(policy: policy, rate: touch[$0], deleteRate: delete[$0], time: t, ttl: ttl)
                }
            }
            for (n, span) in spans.enumerated() {
                let end = n + 1 < spans.count ? spans[n + 1].start : count.count
                hits[c][span.space] = Array(hit[span.start..<end])
            }
        }
        return hits
    }

    /// Per database, role (0 primary, 1 each replica) and key space, per bucket: the buffer
    /// pool's hit ratio of a row's first read (LRU over rows, Che). A server's pool sees its
    /// first touches of rows — reads and writes at the primary; at a replica its share of the
    /// reads and every write (applied) — and rows inserted with `key: new`, each touched once.
    /// Shards are one pool of their capacities together (each key lives on one shard); so are
    /// replicas that take reads by `consistent_hash`.
    static func bufferPools(_ arch: Architecture, _ flows: Flows, buckets: [KeyBuckets]) -> [[[[Double]?]]] {
        let none = [[Double]?](repeating: nil, count: buckets.count)
        var hits = [[[[Double]?]]](repeating: [none, none], count: arch.databases.count)
        for (d, db) in arch.databases.enumerated() {
            for role in 0..<2 {
                let server = role == 0 ? db.primary : db.replica
                guard let pool = server.bufferPool, role == 0 || db.replicaCount > 0 else { continue }
                // Per key: touches by reads and by writes (applied, at a replica).
                var reads = [[Double]?](repeating: nil, count: buckets.count), writes = reads
                var oneTimers = 0.0
                // consistent_hash sends each key's reads to one replica: the replicas are one pool
                // of their capacities together, each key read where it lives, every write applied
                // at every replica (and so held by the others too).
                let replicas = Double(max(1, db.replicaCount))
                let hashed = role == 1 && db.replicaBalancer == .consistentHash && db.replicaCount > 1
                for q in flows.queries[d] {
                    // The primary sees its own queries; a replica its share of the replica reads and every write.
                    let weight: Double
                    if role == 0 { guard !q.replica else { continue }; weight = 1 }
                    else if q.replica { weight = hashed ? 1 : 1 / replicas }
                    else if q.write { weight = 1 }
                    else { continue }
                    switch q.key {
                    case .keyless: continue
                    case .fresh: oneTimers += weight * q.count * (hashed && q.write ? replicas : 1)
                    case .space(let k):
                        var v = (q.write ? writes[k] : reads[k]) ?? [Double](repeating: 0, count: buckets[k].buckets)
                        // At a replica every touch counts: two reads of a request may go to two replicas.
                        for i in v.indices { v[i] += weight * (q.first[i] + (role == 1 ? q.repeats[i] : 0)) }
                        if q.write { writes[k] = v } else { reads[k] = v }
                    }
                }
                var count: [Double] = [], rate: [Double] = []
                for k in buckets.indices where reads[k] != nil || writes[k] != nil {
                    let r = reads[k] ?? [Double](repeating: 0, count: buckets[k].buckets)
                    let w = writes[k] ?? [Double](repeating: 0, count: buckets[k].buckets)
                    count += buckets[k].count
                    rate += r.indices.map { r[$0] + w[$0] }
                    if hashed, writes[k] != nil {
                        count += buckets[k].count.map { $0 * (replicas - 1) }
                        rate += w
                    }
                }
                guard !count.isEmpty else { continue }
                let t = CheApproximation.characteristicTime(policy: .lru, count: count, rate: rate,
                                                            deleteRate: [Double](repeating: 0, count: count.count),
                                                            oneTimers: oneTimers,
                                                            capacity: Double(pool.capacity) * Double(db.shards) * (hashed ? replicas : 1))
                for k in buckets.indices where reads[k] != nil || writes[k] != nil {
                    let r = reads[k] ?? [Double](repeating: 0, count: buckets[k].buckets)
                    let w = writes[k] ?? [Double](repeating: 0, count: buckets[k].buckets)
                    hits[d][role][k] = r.indices.map {
                        CheApproximation.hit(policy: .lru, rate: r[$0] + w[$0], deleteRate: 0, time: t, ttl: nil)
                    }
                }
            }
        }
        return hits
    }
}
