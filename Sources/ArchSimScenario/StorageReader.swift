// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimKernel
import ArchSimModel

extension ScenarioReader {
    /// `caches:` — name -> `{nodes, capacity, eviction, ttl, latency}`, in file order. A cache
    /// with a bad field is still listed (with defaults) so references to it resolve.
    func caches(_ c: Cursor) -> [Cache] {
        guard let m = map(c, allowNull: true) else { return [] }
        var result: [Cache] = []
        for entry in m.entries {
            _ = name(entry, "cache")
            var cache = Cache(name: entry.name, capacity: 1)
            defer { result.append(cache) }
            guard let f = map(entry.value, expected: "a cache {capacity: …}") else { continue }
            f.checkKeys(FormatKeys.cache.names, diagnostics)
            if let v = f["nodes"] { cache.nodes = count(v, maximum: Limits.cacheNodes) ?? 1 }
            if let v = f.require("capacity", diagnostics, "entries, all nodes together"),
               let capacity = count(v, maximum: Limits.cacheCapacity, why: "below 2^31") {
                cache.capacity = capacity
                if capacity < cache.nodes {
                    report(v, "capacity \(capacity) is less than nodes \(cache.nodes); each node needs room for at least one entry")
                }
            }
            if let v = f["eviction"] { cache.eviction = choice(v, EvictionPolicy.self) ?? .lru }
            if let v = f["ttl"] { cache.ttl = duration(v, allowZero: false) }
            if let v = f["latency"] { cache.latency = distribution(v) ?? .constant(0) }
            if let v = f["cost"] { cache.cost = cost(v) }
            if let v = f["workers"] {
                cache.workers = count(v, maximum: Limits.workers)
                if f["service"] == nil { report(v, "workers needs a service time (service: constant(10us), say): without it an operation holds no worker") }
            }
            if let v = f["service"] { cache.service = distribution(v) }
        }
        return result
    }

    /// `databases:` — name -> primary, replicas, reads_from, replication_lag, replica_balancer,
    /// failover.
    func databases(_ c: Cursor) -> [Database] {
        guard let m = map(c, allowNull: true) else { return [] }
        var result: [Database] = []
        let placeholder = DatabaseServer(connections: 1, read: .constant(0), write: .constant(0))
        var shardsSoFar = 0
        for entry in m.entries {
            _ = name(entry, "database")
            var database = Database(name: entry.name, primary: placeholder)
            defer { result.append(database) }
            guard let f = map(entry.value, expected: "a database {primary: …}") else { continue }
            f.checkKeys(FormatKeys.database.names, diagnostics)
            if let v = f.require("primary", diagnostics), let p = map(v, expected: "a server {connections, read, write}") {
                p.checkKeys(FormatKeys.primary.names, diagnostics)
                let connections = p.require("connections", diagnostics).flatMap { count($0, maximum: Limits.connections) }
                let read = p.require("read", diagnostics, "a distribution").flatMap(distribution)
                let write = p.require("write", diagnostics, "a distribution").flatMap(distribution)
                database.primary = DatabaseServer(connections: connections ?? 1, read: read ?? .constant(0), write: write ?? .constant(0))
                storageKeys(p, into: &database.primary)
            }
            // Replicas default to the primary's server: same connections, reads, and writes applied as fast.
            database.replica = database.primary
            // False when `replicas` is written but its count does not read (already reported).
            var replicaCountRead = true
            if let v = f["replicas"] {
                var count: Int?
                if v.node.text != nil {
                    count = replicaCount(v)
                } else if let r = map(v, expected: "{count, connections, read, apply, apply_workers} or a replica count") {
                    r.checkKeys(FormatKeys.replicas.names, diagnostics)
                    count = r.require("count", diagnostics).flatMap(replicaCount)
                    if let x = r["connections"] { database.replica.connections = self.count(x, maximum: Limits.connections) ?? 1 }
                    if let x = r["read"], let d = distribution(x) { database.replica.read = d }
                    if let x = r["apply"], let d = distribution(x) { database.replica.write = d }
                    if let x = r["apply_workers"], let n = integer(x, minimum: 1, "an integer ≥ 1", maximum: Limits.connections) {
                        database.applyWorkers = n
                    }
                    storageKeys(r, into: &database.replica)
                    if r["connections"] != nil, r["max_connections"] == nil, let max = database.replica.maxConnections,
                       max < database.replica.connections {
                        report(r["connections"]!, "replicas.connections \(database.replica.connections) is more than the "
                               + "max_connections \(max) they take from the primary; give replicas their own max_connections")
                    }
                }
                database.replicaCount = count ?? 0
                replicaCountRead = count != nil
            }
            database.readsFrom = database.replicaCount > 0 ? .replicas : .primary
            if let v = f["reads_from"], let source = choice(v, ReadSource.self) {
                database.readsFrom = source
                if source == .replicas, database.replicaCount == 0 {
                    report(v, "reads_from: replicas needs replicas (replicas.count > 0)")
                }
            }
            if let v = f["replication_lag"], let d = distribution(v) { database.replicationLag = d }
            if let v = f["shards"], let n = count(v, maximum: Limits.shards) {
                database.shards = n
                shardsSoFar += n
                if shardsSoFar > Limits.totalShards {
                    report(v, "the databases have \(shardsSoFar) shards in all so far; at most \(Limits.format(Limits.totalShards)) (the engine numbers replica sets in 16 bits)")
                }
            } else {
                shardsSoFar += 1
            }
            if let v = f["replica_balancer"], let b = balancer(v) { database.replicaBalancer = b }
            if let v = f["failover"] {
                database.failoverAfter = failover(v)
                if replicaCountRead, database.replicaCount == 0 {
                    report(v, "failover needs a replica to promote (replicas.count > 0)")
                }
            }
        }
        return result
    }

    /// A server's version 1.1 keys: `max_connections`, `buffer_pool`, `disks`, `commit`.
    private func storageKeys(_ m: MapReader, into server: inout DatabaseServer) {
        if let v = m["host"] { server.host = hostReference(v) }
        if let v = m["cost"] {
            server.cost = cost(v)
            if server.host != nil { report(v, "a database server on a host has no cost of its own: the host's cost covers what runs on it") }
        }
        if let v = m["max_connections"], let n = count(v, maximum: Limits.connections) {
            server.maxConnections = n
            if n < server.connections {
                report(v, "max_connections \(n) is less than connections \(server.connections): it counts queries executing and waiting")
            }
        }
        if let v = m["buffer_pool"], let b = map(v, expected: "a buffer pool {capacity, miss}") {
            b.checkKeys(FormatKeys.bufferPool.names, diagnostics)
            let capacity = b.require("capacity", diagnostics, "rows kept in memory").flatMap {
                count($0, maximum: Limits.cacheCapacity, why: "below 2^31")
            }
            let miss = b.require("miss", diagnostics, "a distribution").flatMap(distribution)
            if let capacity, let miss { server.bufferPool = BufferPool(capacity: capacity, miss: miss) }
        }
        if let v = m["disks"], let n = count(v, maximum: Limits.connections) { server.disks = n }
        if let v = m["commit"], let c = map(v, expected: "a commit {flush, group}") {
            c.checkKeys(FormatKeys.commit.names, diagnostics)
            let flush = c.require("flush", diagnostics, "a distribution").flatMap(distribution)
            let group = c["group"].flatMap(boolean) ?? false
            if let flush { server.commit = CommitLog(flush: flush, group: group) }
        }
    }

    private func replicaCount(_ c: Cursor) -> Int? {
        integer(c, minimum: 0, "a non-negative integer", maximum: Limits.replicas)
    }
}
