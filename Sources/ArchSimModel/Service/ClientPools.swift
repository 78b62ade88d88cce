// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimStats

/// The client connection pools of every service instance (format 1.1 `pools:`): for each
/// instance, each pool it declares, and each shard of that pool's database, a ``Pool`` of
/// `size` connections with a FIFO queue. A query takes a connection before it leaves the
/// instance and gives it back when its answer is back; under `io: async` the worker is free
/// while it waits.
///
/// Flat storage: the pools of instance i are `base[i] ..< base[i] + perInstance[service]`, in
/// the service's pool order, each pool's shards in order. Like ``Pool``, it knows nothing of
/// events.
package struct ClientPools {
    private var pools: [Pool] = []
    /// First pool of each instance.
    private var base: [Int] = []
    /// Per service and database: the offset of that database's pool among an instance's
    /// pools, or -1 (the service has no pool to it).
    private var offset: [[Int]] = []
    /// Per service and database: the wait limit (ns; 0: none).
    private var waitLimit: [[Int64]] = []
    /// Per service: waits for a connection after the warm-up (0 when one was free).
    package private(set) var wait: [LatencyHistogram] = []

    /// `firstInstance[s]`: the first instance of service s; `instances[s]` how many slots it has.
    package init(architecture: Architecture, firstInstance: [Int], slots: [Int]) {
        let databases = architecture.databases
        for (s, service) in architecture.services.enumerated() {
            var offsets = [Int](repeating: -1, count: databases.count)
            var limits = [Int64](repeating: 0, count: databases.count)
            var count = 0
            for pool in service.pools {
                offsets[pool.database] = count
                limits[pool.database] = pool.wait ?? 0
                count += databases[pool.database].shards
            }
            offset.append(offsets)
            waitLimit.append(limits)
            wait.append(LatencyHistogram())
            precondition(firstInstance[s] == base.count, "instances are numbered service by service")
            for _ in 0..<slots[s] {
                base.append(pools.count)
                for pool in service.pools {
                    for _ in 0..<databases[pool.database].shards { pools.append(Pool(slots: pool.size, gauged: false)) }
                }
            }
        }
    }

    /// The pool instance `inst` (of service `s`) uses for shard `shard` of database `d`, or -1.
    @inline(__always) package func pool(instance inst: Int, service s: Int, database d: Int, shard: Int) -> Int {
        let o = offset[s][d]
        return o < 0 ? -1 : base[inst] + o + shard
    }

    /// The wait limit (ns; 0: none) of service `s`'s pool to database `d`.
    @inline(__always) package func waitLimit(service s: Int, database d: Int) -> Int64 { waitLimit[s][d] }

    /// `task` asks pool `p` for a connection: true if it has one now (its wait of 0 recorded
    /// for service `s` when `counted`), else it waits.
    package mutating func acquire(_ task: TaskID, pool p: Int, service s: Int, at now: Int64, counted: Bool) -> Bool {
        guard pools[p].acquire(task, at: now, ignoringBound: true) == .granted else { return false }
        if counted { wait[s].record(0) }
        return true
    }

    /// A connection comes back to pool `p`: the longest waiter gets it (returned with its wait,
    /// recorded for service `s` when `counted`), else it is free.
    package mutating func release(pool p: Int, service s: Int, at now: Int64, counted: Bool) -> (task: TaskID, waited: Int64)? {
        guard case .task(let next, let waited) = pools[p].release(at: now) else { return nil }
        if counted { wait[s].record(waited) }
        return (next, waited)
    }

    /// `task` stops waiting at pool `p` (its wait limit passed): true if it was waiting.
    package mutating func cancel(_ task: TaskID, pool p: Int, at now: Int64) -> Bool { pools[p].cancel(task, at: now) }

    /// Instance `inst` (of service `s`) crashed: the tasks waiting at its pools are gone (the
    /// caller frees them); connections out at databases come back as their answers do.
    package mutating func instanceCrashed(_ inst: Int, service s: Int) {
        let count = (inst + 1 < base.count ? base[inst + 1] : pools.count) - base[inst]
        for p in base[inst] ..< base[inst] + count { pools[p].dropWaiters() }
    }
}
