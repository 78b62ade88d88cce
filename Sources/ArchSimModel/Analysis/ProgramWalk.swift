// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimKernel

/// A database query class found by the walk: who issues it, where it goes, which rows it
/// touches. Counts are per request of the whole mix.
struct QueryFlow {
    enum Key: Equatable {
        /// No row: the query costs its time alone and goes to shard 0.
        case keyless
        /// A fresh row (`key: new`): touched once, never again.
        case fresh
        /// A row of this key space.
        case space(Int)
    }
    var service: Int
    /// Served by the replicas (a read that may go to one), else by the primary.
    var replica: Bool
    var write: Bool
    var lock: Bool
    var key: Key
    /// Queries per request.
    var count = 0.0
    /// For `.space`: per bucket of the space, each key's first touches of its row at the server
    /// per request (a touch the buffer pool's LRU sees, and a read that may miss).
    var first: [Double] = []
    /// Per bucket, each key's further touches by the same request at the same server (the row is
    /// in memory: they hit).
    var repeats: [Double] = []

    /// Whether `other` is the same class (its counts can be added).
    func sameClass(_ other: QueryFlow) -> Bool {
        service == other.service && replica == other.replica && write == other.write && lock == other.lock && key == other.key
    }
}

/// What the requests ask of each component, per request of the mix: the result of walking
/// every request type's program (`Service/Program.swift` runs the same steps), weighted by the
/// mix and, key by key, by the key's popularity and the caches' per-key hit ratios.
struct Flows {
    /// Executions of each operation: [service][operation].
    var visits: [[Double]]
    /// CPU work (s), per service.
    var cpu: [Double]
    /// Time a worker is held (s), per service: the whole operation when blocking, its CPU when async.
    var workerHold: [Double]
    /// Operations per cache, and those without a key (they go to node 0).
    var cacheOps: [Double]
    var cacheKeyless: [Double]
    /// Gets of requests without a key, per cache (they always miss).
    var cacheKeylessGets: [Double]
    /// Per cache and key space, per bucket: each key's gets, fills (a set in the get's own
    /// `on_miss`), other sets and deletes per request.
    var cacheGets: [[[Double]?]]
    var cacheFills: [[[Double]?]]
    var cacheSets: [[[Double]?]]
    var cacheDeletes: [[[Double]?]]
    /// Query classes per database.
    var queries: [[QueryFlow]]
    /// Messages between components (each a network hop) per request.
    var hops = 0.0
    /// Time (s) in `delay` steps per request.
    var delay = 0.0
    /// Whether a request forks (`parallel`).
    var forks = false
    /// Whether a cache has a `cache_set` anywhere.
    var cacheIsSet: [Bool]

    init(_ arch: Architecture, spaces: Int) {
        visits = arch.services.map { [Double](repeating: 0, count: $0.operations.count) }
        cpu = [Double](repeating: 0, count: arch.services.count)
        workerHold = cpu
        cacheOps = [Double](repeating: 0, count: arch.caches.count)
        cacheKeyless = cacheOps
        cacheKeylessGets = cacheOps
        cacheGets = [[[Double]?]](repeating: [[Double]?](repeating: nil, count: spaces), count: arch.caches.count)
        cacheFills = cacheGets; cacheSets = cacheGets; cacheDeletes = cacheGets
        queries = [[QueryFlow]](repeating: [], count: arch.databases.count)
        cacheIsSet = [Bool](repeating: false, count: arch.caches.count)
    }
}

/// Mean waits and stretches at the stations, per visit (s), that a walk adds to a request's
/// time. ``none(_:)`` gives the time without contention (the minimum response).
struct StationWaits {
    /// Per service: the wait for a worker, and the factor CPU work is stretched by (cores or host).
    var worker: [Double]
    var cpuStretch: [Double]
    /// Per cache: the wait for a node's worker.
    var cacheNode: [Double]
    /// Per database and role (0 primary, 1 replica): the wait for a connection, for a disk
    /// (per miss), and the stretch of query times on a host.
    var connection: [[Double]]
    var disk: [[Double]]
    var queryStretch: [[Double]]
    /// Per database: a write's commit time (s) after it executes.
    var commit: [Double]
    /// Per service and database: the wait for a client-pool connection.
    var pool: [[Double]]

    static func none(_ arch: Architecture) -> StationWaits {
        let services = arch.services.count, dbs = arch.databases.count
        return StationWaits(worker: .init(repeating: 0, count: services), cpuStretch: .init(repeating: 1, count: services),
                            cacheNode: .init(repeating: 0, count: arch.caches.count),
                            connection: .init(repeating: [0, 0], count: dbs), disk: .init(repeating: [0, 0], count: dbs),
                            queryStretch: .init(repeating: [1, 1], count: dbs),
                            commit: arch.databases.map { $0.primary.commit?.flush.mean ?? 0 }.map { $0 / 1e9 },
                            pool: .init(repeating: .init(repeating: 0, count: dbs), count: services))
    }
}

/// Walks every request type's program once: counts what each component is asked (``Flows``) and
/// returns the mean response (s) with the given waits. Times are means in seconds; a parallel
/// step takes its slowest branch's mean (below the mean of the maximum, so a lower bound).
///
/// Keys are followed bucket by bucket (``KeyBuckets``): a path's weight is a vector, each
/// bucket's entry the probability the path runs for a request whose key is in that bucket, so
/// a cache's `on_miss` sees the cold keys the cache misses, not the average. Rows touched twice
/// by one request at one server are touched once for the buffer pool; the second touch hits.
/// O(steps × buckets) per request type.
struct ProgramWalk {
    let arch: Architecture
    let workload: Workload
    let buckets: [KeyBuckets]
    /// Per cache and key space, per bucket: the hit ratio of a get (nil: no hits).
    var cacheHit: [[[Double]?]]
    /// Per database, role and key space, per bucket: the buffer-pool hit ratio of a first read
    /// (nil: every read hits).
    var poolHit: [[[[Double]?]]]
    var waits: StationWaits
    private(set) var flows: Flows

    /// One path through a request's program: its weights per bucket of the request's key space
    /// (one entry for a keyless request), and which rows it has touched.
    struct Path {
        var space: Int?
        var weights: [Double]
        var service = 0
        var inBranch = false
        /// Caches whose `on_miss` the path is in.
        var missing: [Int] = []
        /// Per database: the probability, per bucket, that the request's row at the primary was
        /// touched already; per database and key space (other than the request's): the same
        /// for the step key of that space, one number.
        var touched: [[Double]?]
        var spaceTouched: [[Double]]
    }

    init(scenario: Scenario, buckets: [KeyBuckets]) {
        arch = scenario.architecture
        workload = scenario.workload
        self.buckets = buckets
        let spaces = workload.keySpaces.count
        cacheHit = [[[Double]?]](repeating: [[Double]?](repeating: nil, count: spaces), count: arch.caches.count)
        poolHit = [[[[Double]?]]](repeating: [[[Double]?]](repeating: [[Double]?](repeating: nil, count: spaces), count: 2),
                                  count: arch.databases.count)
        waits = .none(arch)
        flows = Flows(arch, spaces: spaces)
    }

    /// Walks every request type; returns the mean response of a request of the mix (s).
    mutating func run() -> Double {
        flows = Flows(arch, spaces: workload.keySpaces.count)
        let total = workload.requestTypes.reduce(0) { $0 + $1.weight }
        var response = 0.0
        for (t, type) in workload.requestTypes.enumerated() where total > 0 && type.weight > 0 {
            let share = type.weight / total
            let n = type.keySpace.map { buckets[$0].buckets } ?? 1
            var path = Path(space: type.keySpace, weights: [Double](repeating: share, count: n),
                            touched: [[Double]?](repeating: nil, count: arch.databases.count),
                            spaceTouched: [[Double]](repeating: [Double](repeating: 0, count: workload.keySpaces.count),
                                                     count: arch.databases.count))
            let route = arch.routes[t]
            response += operation(route.service, route.operation, &path)
        }
        return response
    }

    /// The expected number of executions of `path` per request.
    func mass(_ path: Path) -> Double {
        guard let k = path.space else { return path.weights[0] }
        let b = buckets[k]
        var m = 0.0
        for i in path.weights.indices { m += b.count[i] * b.probability[i] * path.weights[i] }
        return m
    }

    // MARK: Operations and steps

    private mutating func operation(_ s: Int, _ o: Int, _ path: inout Path) -> Double {
        let m = mass(path)
        flows.visits[s][o] += m
        let service = arch.services[s]
        let caller = path.service, branch = path.inBranch
        path.service = s; path.inBranch = false
        defer { path.service = caller; path.inBranch = branch }
        var cpuTime = 0.0
        if let cpu = service.operations[o].cpu {
            flows.cpu[s] += m * cpu.mean / 1e9
            cpuTime = m * cpu.mean / 1e9 * waits.cpuStretch[s]
        }
        let body = steps(service.operations[o].steps, &path)
        // Blocking: the worker is held for the whole operation; async: for its CPU (the CPU steps
        // add theirs as they run).
        flows.workerHold[s] += service.io == .blocking ? cpuTime + body : cpuTime
        return m * waits.worker[s] + cpuTime + body
    }

    private mutating func steps(_ steps: [Step], _ path: inout Path) -> Double {
        var time = 0.0
        for step in steps { time += self.step(step, &path) }
        return time
    }

    private mutating func step(_ step: Step, _ path: inout Path) -> Double {
        let m = mass(path)
        let hop = arch.hop.mean / 1e9
        switch step {
        case .cpu(let d):
            let s = path.service
            flows.cpu[s] += m * d.mean / 1e9
            let time = m * d.mean / 1e9 * waits.cpuStretch[s]
            guard arch.services[s].io == .async, !path.inBranch else { return time }
            // An async task takes a worker again to compute (a branch computes without one).
            flows.workerHold[s] += time
            return time + m * waits.worker[s]
        case .delay(let d):
            flows.delay += m * d.mean / 1e9
            return m * d.mean / 1e9
        case .call(let ref, _):
            flows.hops += 2 * m
            return 2 * m * hop + operation(ref.service, ref.operation, &path)
        case .parallel(let branches):
            flows.forks = true
            var slowest = 0.0
            let branch = path.inBranch
            path.inBranch = true
            for b in branches { slowest = max(slowest, self.step(b, &path)) }
            path.inBranch = branch
            return slowest
        case .cacheGet(let c, let onMiss):
            let time = cacheOperation(c, .get, path)
            if path.space == nil { flows.cacheKeylessGets[c] += m }
            var inner = path
            var miss = 1.0
            if let k = path.space, let hit = cacheHit[c][k] {
                for i in inner.weights.indices { inner.weights[i] *= 1 - hit[i] }
                miss = m > 0 ? mass(inner) / m : 1
            }
            inner.missing.append(c)
            let missTime = steps(onMiss, &inner)
            // Touched after the get: as before on a hit, as at the end of on_miss on a miss.
            for d in path.touched.indices {
                if let after = inner.touched[d] {
                    let before = path.touched[d] ?? [Double](repeating: 0, count: after.count)
                    let hit = path.space.flatMap { cacheHit[c][$0] }
                    path.touched[d] = after.indices.map { i in before[i] + (1 - (hit?[i] ?? 0)) * (after[i] - before[i]) }
                }
                for k in path.spaceTouched[d].indices {
                    path.spaceTouched[d][k] += miss * (inner.spaceTouched[d][k] - path.spaceTouched[d][k])
                }
            }
            return time + missTime
        case .cacheSet(let c):
            flows.cacheIsSet[c] = true
            return cacheOperation(c, path.missing.contains(c) ? .fill : .set, path)
        case .cacheDelete(let c):
            return cacheOperation(c, .delete, path)
        case .dbRead(let d, let strong, let row):
            return query(d, write: false, strong: strong, row: row, &path)
        case .dbWrite(let d, let row):
            return query(d, write: true, strong: true, row: row, &path)
        }
    }

    /// What a cache step does to its key; a fill is a set in the `on_miss` of a get of the same cache.
    enum CacheTouch { case get, fill, set, delete }

    /// A cache operation on the request's key, counted per key; its time.
    private mutating func cacheOperation(_ c: Int, _ touch: CacheTouch, _ path: Path) -> Double {
        let m = mass(path)
        flows.cacheOps[c] += m
        flows.hops += 2 * m
        if let k = path.space {
            let b = buckets[k]
            func add(_ perKey: [Double]?) -> [Double] {
                var v = perKey ?? [Double](repeating: 0, count: b.buckets)
                for i in v.indices { v[i] += b.probability[i] * path.weights[i] }
                return v
            }
            switch touch {
            case .get: flows.cacheGets[c][k] = add(flows.cacheGets[c][k])
            case .fill: flows.cacheFills[c][k] = add(flows.cacheFills[c][k])
            case .set: flows.cacheSets[c][k] = add(flows.cacheSets[c][k])
            case .delete: flows.cacheDeletes[c][k] = add(flows.cacheDeletes[c][k])
            }
        } else {
            flows.cacheKeyless[c] += m
        }
        let cache = arch.caches[c]
        let node = (cache.service?.mean ?? 0) / 1e9 + (cache.service == nil ? 0 : waits.cacheNode[c])
        return m * (2 * arch.hop.mean / 1e9 + cache.latency.mean / 1e9 + node)
    }

    /// A database query: its class and rows counted; its time (hops, client pool, connection,
    /// execution, disk reads of missed rows, commit).
    private mutating func query(_ d: Int, write: Bool, strong: Bool, row: RowAccess, _ path: inout Path) -> Double {
        let db = arch.databases[d]
        let m = mass(path)
        let replica = !write && !strong && db.readsFrom == .replicas && db.replicaCount > 0
        let role = replica ? 1 : 0
        let server = replica ? db.replica : db.primary
        flows.hops += 2 * m
        var flow = QueryFlow(service: path.service, replica: replica, write: write, lock: row.lock != nil, key: .keyless, count: m)
        var misses = 0.0
        // The row's key space, and whether it is the request's own key.
        let space: Int?
        switch row.key {
        case .new: space = nil; flow.key = .fresh
        case .request: space = path.space
        case .space(let k): space = k
        }
        if let k = space {
            flow.key = .space(k)
            let b = buckets[k]
            let own = k == path.space
            // Each key's touches per request (bucket by bucket), and the share touched already.
            var perKey = [Double](repeating: 0, count: b.buckets)
            var touched = [Double](repeating: 0, count: b.buckets)
            if own {
                for i in perKey.indices { perKey[i] = b.probability[i] * path.weights[i] }
                if !replica, let t = path.touched[d] { touched = t }
            } else {
                for i in perKey.indices { perKey[i] = b.probability[i] * m }
                if !replica { touched = [Double](repeating: path.spaceTouched[d][k], count: b.buckets) }
            }
            flow.first = perKey.indices.map { perKey[$0] * (1 - touched[$0]) }
            flow.repeats = perKey.indices.map { perKey[$0] * touched[$0] }
            if !replica {
                if own { path.touched[d] = [Double](repeating: 1, count: b.buckets) } else { path.spaceTouched[d][k] = 1 }
            }
            if !write, server.bufferPool != nil, let hit = poolHit[d][role][k] {
                for i in hit.indices { misses += b.count[i] * flow.first[i] * (1 - hit[i]) }
            }
        } else if flow.key == .fresh && !write && server.bufferPool != nil {
            misses = m   // a row never written is never in memory
        }
        record(flow, database: d)
        let hop = arch.hop.mean / 1e9
        let stretch = waits.queryStretch[d][role]
        var time = m * (2 * hop + waits.pool[path.service][d] + waits.connection[d][role])
        if write {
            time += m * (server.write.mean / 1e9 * stretch + waits.commit[d])
        } else {
            time += m * server.read.mean / 1e9 * stretch
            if let pool = server.bufferPool { time += misses * (pool.miss.mean / 1e9 + waits.disk[d][role]) }
        }
        return time
    }

    private mutating func record(_ flow: QueryFlow, database d: Int) {
        guard let i = flows.queries[d].firstIndex(where: { $0.sameClass(flow) }) else {
            flows.queries[d].append(flow)
            return
        }
        flows.queries[d][i].count += flow.count
        for j in flow.first.indices {
            flows.queries[d][i].first[j] += flow.first[j]
            flows.queries[d][i].repeats[j] += flow.repeats[j]
        }
    }
}
