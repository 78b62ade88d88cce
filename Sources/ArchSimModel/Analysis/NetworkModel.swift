// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimKernel

/// The stations of a scenario's queueing network, from the walk's flows and the hit ratios, and
/// the mean waits at them at a given rate (for the response estimate).
///
/// Per database, shard by shard: a primary's queries are its reads (a read that missed its
/// buffer pool adds a disk read) and writes (a write holds its connection through its commit's
/// flush); a replica's are its share of the replica reads and the apply of every write. Query
/// times are CPU work when the server is on a host, a plain wait holding the connection
/// otherwise. Each station is the most loaded shard's.
struct NetworkModel {
    private(set) var stations: [AnalysisStation] = []
    /// Station indices, to find the waits of what a walk visits.
    private var workers: [Int?], cpu: [Int?], cacheNodes: [Int?], logs: [Int?]
    private var connections: [[Int?]], disks: [[Int?]], pools: [[Int?]]
    /// CPU demand (s per request) of each machine of each host kind.
    private(set) var machineDemand: [[Double]]
    /// Per service on a host: the share of its instances on each machine.
    private var serviceMachines: [[Double]]
    /// Per database and role: the machine of its most loaded server (host kind, machine).
    private var serverMachine: [[(host: Int, machine: Int)?]]
    /// Per database: commits per request at the shard with the most.
    private var commits: [Double]
    /// Replica connection stations whose apply workers may fall behind: the station, its apply
    /// workers' station, its demand of reads alone, and the connections the applies would keep.
    private var behind: [(station: Int, applies: Int, reads: Double, reserved: Double)] = []
    private let arch: Architecture

    init(_ scenario: Scenario, flows: Flows, cacheHit: [[[Double]?]], poolHit: [[[[Double]?]]], buckets: [KeyBuckets]) {
        arch = scenario.architecture
        let services = arch.services.count, dbs = arch.databases.count
        workers = .init(repeating: nil, count: services); cpu = workers
        cacheNodes = .init(repeating: nil, count: arch.caches.count)
        logs = .init(repeating: nil, count: dbs)
        connections = .init(repeating: [nil, nil], count: dbs); disks = connections
        pools = .init(repeating: .init(repeating: nil, count: dbs), count: services)
        machineDemand = arch.hosts.map { [Double](repeating: 0, count: $0.count) }
        serviceMachines = .init(repeating: [], count: services)
        serverMachine = .init(repeating: [nil, nil], count: dbs)
        commits = .init(repeating: 0, count: dbs)
        addServices(flows)
        addCaches(flows, buckets: buckets, spaces: scenario.workload.keySpaces)
        for d in arch.databases.indices {
            addDatabase(d, flows: flows, poolHit: poolHit, buckets: buckets, spaces: scenario.workload.keySpaces)
        }
        addHosts()
    }

    /// Instances a service's bound counts: its autoscaler's most, when it has one.
    static func instances(_ s: Service) -> Int { max(1, s.instances, s.autoscale?.max ?? 0) }

    static func isExponential(_ d: Distribution) -> Bool {
        switch d {
        case .exponential: return true
        case .erlang(let k, _): return k == 1
        case .gamma(let shape, _), .weibull(let shape, _): return shape == 1
        default: return false
        }
    }

    // MARK: Services

    private mutating func addServices(_ flows: Flows) {
        for (s, service) in arch.services.enumerated() {
            let visits = flows.visits[s].reduce(0, +)
            guard visits > 0 else { continue }
            let n = Self.instances(service)
            // The CPU is a pure wait under the worker unless cores or a host share it.
            let shared = service.cores != nil || service.host != nil
            let holding = shared || flows.workerHold[s] > flows.cpu[s] * (1 + 1e-9) + 1e-15
            var cpuTimes: [Distribution] = []
            func collect(_ steps: [Step]) {
                for step in steps {
                    switch step {
                    case .cpu(let d): cpuTimes.append(d)
                    case .parallel(let branches): collect(branches)
                    case .cacheGet(_, let onMiss): collect(onMiss)
                    default: break
                    }
                }
            }
            for (o, op) in service.operations.enumerated() where flows.visits[s][o] > 0 {
                if let c = op.cpu { cpuTimes.append(c) }
                collect(op.steps)
            }
            let oneExponential = !cpuTimes.isEmpty && cpuTimes.allSatisfy(Self.isExponential)
                && Set(cpuTimes.map(\.mean)).count == 1
            workers[s] = add(AnalysisStation(name: service.name, kind: .workers, servers: n * service.workers, visits: visits,
                                             demand: flows.workerHold[s], holding: holding,
                                             productForm: !holding && oneExponential,
                                             note: service.autoscale == nil ? "" : "at most \(n) instances (autoscale)"))
            if let cores = service.cores, flows.cpu[s] > 0 {
                cpu[s] = add(AnalysisStation(name: "\(service.name).cpu", kind: .cpu, servers: n * cores, visits: visits,
                                             demand: flows.cpu[s], holding: false, productForm: true))
            }
            if let h = service.host {
                let machines = arch.hosts[h].count
                var share = [Double](repeating: 0, count: machines)
                for i in 0..<n { share[i % machines] += 1 / Double(n) }
                serviceMachines[s] = share
                for m in 0..<machines { machineDemand[h][m] += share[m] * flows.cpu[s] }
            }
        }
    }

    // MARK: Caches

    private mutating func addCaches(_ flows: Flows, buckets: [KeyBuckets], spaces: [KeySpace]) {
        for (c, cache) in arch.caches.enumerated() where flows.cacheOps[c] > 0 {
            guard let service = cache.service, let workers = cache.workers else { continue }   // no node queue: a delay
            var load = [Double](repeating: 0, count: cache.nodes)
            load[0] += flows.cacheKeyless[c]
            let salt = StableHash.fnv1a64(cache.name)
            for k in spaces.indices {
                var ops: [Double]? = nil
                for perKey in [flows.cacheGets[c][k], flows.cacheFills[c][k], flows.cacheSets[c][k], flows.cacheDeletes[c][k]] {
                    guard let perKey else { continue }
                    var sum = ops ?? [Double](repeating: 0, count: perKey.count)
                    for i in sum.indices { sum[i] += perKey[i] }
                    ops = sum
                }
                guard let ops else { continue }
                let split = KeyPlacement.split(ops, buckets: buckets[k], space: k, parts: cache.nodes) {
                    Int(StableHash.mix($0 ^ salt) % UInt64(cache.nodes))
                }
                for n in load.indices { load[n] += split[n] }
            }
            let hot = Self.argmax(load)
            cacheNodes[c] = add(AnalysisStation(name: cache.nodes > 1 ? "\(cache.name)[\(hot)]" : cache.name, kind: .cacheNode,
                                                servers: workers, visits: load[hot], demand: load[hot] * service.mean / 1e9,
                                                holding: false, productForm: Self.isExponential(service),
                                                note: cache.nodes > 1 ? "busiest of \(cache.nodes) nodes" : ""))
        }
    }

    // MARK: Databases

    private mutating func addDatabase(_ d: Int, flows: Flows, poolHit: [[[[Double]?]]], buckets: [KeyBuckets], spaces: [KeySpace]) {
        let db = arch.databases[d]
        guard !flows.queries[d].isEmpty else { return }
        let shards = db.shards, replicas = db.replicaCount
        let zero = [Double](repeating: 0, count: shards)
        var primaryReads = zero, primaryMisses = zero, writes = zero, replicaReads = zero, replicaMisses = zero
        var poolTime = [[Double]](repeating: zero, count: arch.services.count)
        var poolVisits = poolTime
        var lockRows: [(space: Int, perKey: [Double])] = []
        let hop = arch.hop.mean / 1e9
        let flush = (db.primary.commit?.flush.mean ?? 0) / 1e9
        for q in flows.queries[d] {
            let role = q.replica ? 1 : 0
            let server = q.replica ? db.replica : db.primary
            let missTime = (server.bufferPool?.miss.mean ?? 0) / 1e9
            let reads = !q.write && server.bufferPool != nil
            var count: [Double], misses = zero
            switch q.key {
            case .keyless:
                count = zero; count[0] = q.count
            case .fresh:
                count = KeyPlacement.even(q.count, parts: shards)
                if reads { misses = count }
            case .space(let k):
                let all = q.first.indices.map { q.first[$0] + q.repeats[$0] }
                count = KeyPlacement.split(all, buckets: buckets[k], space: k, parts: shards) { Database.shard(of: $0, shards: shards) }
                if reads, let hit = poolHit[d][role][k] {
                    let missed = q.first.indices.map { q.first[$0] * (1 - hit[$0]) }
                    misses = KeyPlacement.split(missed, buckets: buckets[k], space: k, parts: shards) { Database.shard(of: $0, shards: shards) }
                }
                if q.write && q.lock {
                    if let i = lockRows.firstIndex(where: { $0.space == k }) {
                        for j in all.indices { lockRows[i].perKey[j] += all[j] }
                    } else {
                        lockRows.append((k, all))
                    }
                }
            }
            for s in 0..<shards {
                if q.write { writes[s] += count[s] }
                else if q.replica { replicaReads[s] += count[s]; replicaMisses[s] += misses[s] }
                else { primaryReads[s] += count[s]; primaryMisses[s] += misses[s] }
            }
            if arch.services[q.service].pools.contains(where: { $0.database == d }) {
                let execution = q.write ? db.primary.write.mean / 1e9 + flush : server.read.mean / 1e9
                for s in 0..<shards {
                    poolVisits[q.service][s] += count[s]
                    poolTime[q.service][s] += count[s] * (2 * hop + execution) + misses[s] * missTime
                }
            }
        }
        let name = { (shard: Int, server: Int) in db.serverName(shard: shard, server: server) }
        let shardNote = shards > 1 ? "busiest of \(shards) shards" : ""

        // The primary: connections, disks, redo log.
        let p = db.primary
        let pRead = p.read.mean / 1e9, pWrite = p.write.mean / 1e9, pMiss = (p.bufferPool?.miss.mean ?? 0) / 1e9
        let primaryConnections = (0..<shards).map { primaryReads[$0] * pRead + primaryMisses[$0] * pMiss + writes[$0] * (pWrite + flush) }
        let locks = !lockRows.isEmpty
        var hot = Self.argmax(primaryConnections)
        let readsAndWrites = (0..<shards).contains { primaryReads[$0] > 0 } && (0..<shards).contains { writes[$0] > 0 }
        let plain = p.bufferPool == nil && p.commit == nil && !locks && p.host == nil
            && (!readsAndWrites || p.read == p.write) && Self.isExponential(readsAndWrites || writes[hot] == 0 ? p.read : p.write)
        if primaryConnections[hot] > 0 {
            connections[d][0] = add(AnalysisStation(
                name: name(hot, 0), kind: .connections, servers: p.connections, visits: primaryReads[hot] + writes[hot],
                demand: primaryConnections[hot], holding: p.host != nil || p.disks != nil || p.commit != nil || locks,
                productForm: plain, note: shardNote))
        }
        if let disks = p.disks, p.bufferPool != nil {
            let load = primaryMisses.map { $0 * pMiss }
            hot = Self.argmax(load)
            if load[hot] > 0 {
                self.disks[d][0] = add(AnalysisStation(name: "\(name(hot, 0)).disks", kind: .disks, servers: disks,
                                                       visits: primaryMisses[hot], demand: load[hot], holding: false,
                                                       productForm: Self.isExponential(p.bufferPool!.miss), note: shardNote))
            }
        }
        hot = Self.argmax(writes)
        commits[d] = writes[hot]
        if let commit = p.commit, !commit.group, writes[hot] > 0 {
            logs[d] = add(AnalysisStation(name: "\(name(hot, 0)).log", kind: .redoLog, servers: 1, visits: writes[hot],
                                          demand: writes[hot] * flush, holding: false,
                                          productForm: Self.isExponential(commit.flush), note: shardNote))
        }
        if let h = p.host {
            for s in 0..<shards { machineDemand[h][s % arch.hosts[h].count] += primaryReads[s] * pRead + writes[s] * pWrite }
            serverMachine[d][0] = (h, Self.argmax(primaryConnections) % arch.hosts[h].count)
        }

        // Each replica: its share of the replica reads, and the apply of every write.
        if replicas > 0 {
            let r = db.replica, n = Double(replicas)
            let rRead = r.read.mean / 1e9, apply = r.write.mean / 1e9, rMiss = (r.bufferPool?.miss.mean ?? 0) / 1e9
            let reads = (0..<shards).map { (replicaReads[$0] * rRead + replicaMisses[$0] * rMiss) / n }
            let load = (0..<shards).map { reads[$0] + writes[$0] * apply }
            hot = Self.argmax(load)
            let note = replicas > 1 ? "each of \(replicas) replicas" + (shards > 1 ? ", busiest of \(shards) shards" : "") : shardNote
            let base = shards == 1 ? db.name : "\(db.name)[\(hot)]"
            let label = replicas > 1 ? "\(base).replica[*]" : "\(base).replica[0]"
            let visits = replicaReads[hot] / n + writes[hot]
            let station = AnalysisStation(
                name: label, kind: .connections, servers: r.connections, visits: visits, demand: load[hot],
                holding: r.host != nil || r.disks != nil,
                // Applies wait ahead of queries (a priority): no product form with writes.
                productForm: r.bufferPool == nil && r.host == nil && writes[hot] == 0 && Self.isExponential(r.read), note: note)
            connections[d][1] = add(station)
            let applies = add(AnalysisStation(name: "\(label).apply", kind: .applyWorkers, servers: db.applyWorkers,
                                              visits: writes[hot], demand: writes[hot] * apply, holding: true, productForm: false,
                                              note: "replication lag grows past it; no bound on requests"))
            // At most `apply_workers` writes are applied at once. When they cannot keep up, the
            // replica falls behind and its reads get the rest of the connections: the apply
            // workers then hold A·a/(a + W) of them, W the wait of an apply for a connection when
            // all are busy, taken as the mean hold over the connections (exact for exponential
            // holds; an estimate, not a bound). See ``fallBehind(below:)``.
            if let station = connections[d][1], let applies, reads[hot] > 0 {
                let wait = load[hot] / visits / Double(r.connections)
                let reserved = min(Double(r.connections) - 1e-9, Double(db.applyWorkers) * apply / (apply + wait))
                behind.append((station, applies, reads[hot], reserved))
            }
            if let rDisks = r.disks, r.bufferPool != nil {
                let missLoad = replicaMisses.map { $0 / n * rMiss }
                hot = Self.argmax(missLoad)
                disks[d][1] = add(AnalysisStation(name: "\(label).disks", kind: .disks, servers: rDisks, visits: replicaMisses[hot] / n,
                                                  demand: missLoad[hot], holding: false,
                                                  productForm: Self.isExponential(r.bufferPool!.miss), note: note))
            }
            if let h = r.host {
                let machines = arch.hosts[h].count
                for s in 0..<shards {
                    let work = replicaReads[s] / n * rRead + writes[s] * apply
                    for i in 0..<replicas { machineDemand[h][i % machines] += work }
                }
                serverMachine[d][1] = (h, 0)
            }
        }

        // Row locks: the most touched row of each key space, held from its write to its commit.
        for rows in lockRows {
            let b = buckets[rows.space]
            let top = Self.argmax(rows.perKey)
            let key = top < b.exactKeys ? String(top) : "any"
            _ = add(AnalysisStation(
                name: "\(db.name).lock[\(spaces[rows.space].name):\(key)]", kind: .rowLock, servers: 1, visits: rows.perKey[top],
                demand: rows.perKey[top] * (pWrite + flush), holding: true, productForm: false,
                note: "the most written row"))
        }

        // Client pools: per instance and shard.
        for (s, service) in arch.services.enumerated() {
            for pool in service.pools where pool.database == d {
                hot = Self.argmax(poolTime[s])
                guard poolTime[s][hot] > 0 else { continue }
                pools[s][d] = add(AnalysisStation(
                    name: "\(service.name).pool[\(db.name)]", kind: .clientPool, servers: Self.instances(service) * pool.size,
                    visits: poolVisits[s][hot], demand: poolTime[s][hot], holding: true, productForm: false,
                    note: shards > 1 ? "to the busiest of \(shards) shards" : ""))
            }
        }
    }

    // MARK: Hosts

    /// CPU work on a machine of `host` takes this much longer for the background work there.
    static func backgroundStretch(_ host: HostKind) -> Double {
        host.background > 0 ? Double(host.cores) / (Double(host.cores) - host.background) : 1
    }

    private mutating func addHosts() {
        for (h, host) in arch.hosts.enumerated() {
            let hot = Self.argmax(machineDemand[h])
            guard machineDemand[h][hot] > 0 else { continue }
            _ = add(AnalysisStation(name: host.count > 1 ? "\(host.name)[\(hot)]" : host.name, kind: .host, servers: host.cores,
                                    visits: 0, demand: machineDemand[h][hot] * Self.backgroundStretch(host), holding: false, productForm: true,
                                    note: host.count > 1 ? "busiest of \(host.count) machines" : ""))
        }
    }

    /// Where the busiest station is a replica's connections and its apply workers saturate
    /// first (below the rate `x`), the replica falls behind: its connections then serve reads
    /// beside the connections the applies keep. Returns whether a station changed.
    mutating func fallBehind(below x: Double, bottleneck: Int) -> Bool {
        guard let i = behind.firstIndex(where: { $0.station == bottleneck }),
              stations[behind[i].applies].servers > 0,
              Double(stations[behind[i].applies].servers) / stations[behind[i].applies].demand < x else { return false }
        let b = behind.remove(at: i)
        stations[b.station].demand = b.reads
        stations[b.station].reserved = b.reserved
        stations[b.station].note += (stations[b.station].note.isEmpty ? "" : "; ")
            + "its apply workers fall behind: \(String(format: "%.2f", b.reserved)) connections applying (estimate)"
        return true
    }

    /// Replaces the worker pools' demands by `holds` (s per request, per service): the
    /// response estimate's holding times, waits downstream included.
    mutating func setWorkerHolds(_ holds: [Double]) {
        for (s, i) in workers.enumerated() { if let i { stations[i].demand = holds[s] } }
    }

    /// Appends a station that has work to do; its index.
    private mutating func add(_ station: AnalysisStation) -> Int? {
        guard station.demand > 0 else { return nil }
        stations.append(station)
        return stations.count - 1
    }

    /// The index of the largest value (the first of equal ones).
    static func argmax(_ values: [Double]) -> Int {
        var best = 0
        for i in values.indices where values[i] > values[best] { best = i }
        return best
    }

    // MARK: Waits at a rate

    /// The mean waits and stretches at `rate` requests/s: M/M/c waits (Erlang C) per instance
    /// for worker pools, per server for connections and disks, per node for caches; processor
    /// sharing's stretch for cores and machines; a commit's flush: F(1 + ρ/2) with group commit
    /// (F alone, to 1.5 F when flushes run back to back), Pollaczek–Khinchine without.
    /// Infinite where a station cannot keep up.
    func waits(at rate: Double) -> StationWaits {
        var w = StationWaits.none(arch)
        func wait(_ i: Int?, perServer: Int = 1) -> Double {
            guard let i else { return 0 }
            let s = stations[i]
            let c = max(1, s.availableServers / perServer)
            return QueueingFormulas.waitingTime(servers: c, load: rate * s.demand / Double(perServer), service: s.serviceTime)
        }
        func stretch(host h: Int, machine m: Int) -> Double {
            let background = Self.backgroundStretch(arch.hosts[h])
            return background * QueueingFormulas.sharingStretch(servers: arch.hosts[h].cores, load: rate * machineDemand[h][m] * background)
        }
        for (s, service) in arch.services.enumerated() {
            let n = Self.instances(service)
            w.worker[s] = wait(workers[s], perServer: n)
            if let i = cpu[s] {
                w.cpuStretch[s] = QueueingFormulas.sharingStretch(servers: service.cores!, load: rate * stations[i].demand / Double(n))
            } else if let h = service.host {
                w.cpuStretch[s] = serviceMachines[s].indices.reduce(0) { $0 + serviceMachines[s][$1] * stretch(host: h, machine: $1) }
            }
            for d in arch.databases.indices { w.pool[s][d] = wait(pools[s][d]) }
        }
        for c in arch.caches.indices { w.cacheNode[c] = wait(cacheNodes[c]) }
        for (d, db) in arch.databases.enumerated() {
            for role in 0..<2 {
                w.connection[d][role] = wait(connections[d][role])
                w.disk[d][role] = wait(disks[d][role])
                if let at = serverMachine[d][role] { w.queryStretch[d][role] = stretch(host: at.host, machine: at.machine) }
            }
            if let commit = db.primary.commit {
                let f = commit.flush.mean / 1e9
                if commit.group {
                    w.commit[d] = f * (1 + 0.5 * min(1, rate * commits[d] * f))
                } else {
                    let rho = rate * commits[d] * f
                    let second = commit.flush.variance / 1e18 + f * f
                    w.commit[d] = rho < 1 ? f + rate * commits[d] * second / (2 * (1 - rho)) : .infinity
                }
            }
        }
        return w
    }
}
