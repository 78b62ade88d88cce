// SPDX-License-Identifier: GPL-3.0-or-later

/// Operational analysis of a scenario without simulating it (Denning and Buzen 1978; Lazowska
/// et al., *Quantitative System Performance*, 1984): each station's service demand per request,
/// its utilisation at the workload's rate, the bottleneck, the saturation rate X* = min c/D,
/// asymptotic bounds, and a mean-response estimate — exact where the model is product form
/// (Jackson, BCMP; MVA for closed users), approximate where it is not.
///
/// Demands come from walking every request type's program (``ProgramWalk``) with the mix's
/// weights and each key's popularity; hit ratios from Che's approximation (``HitRatios``).
/// Everything is a mean; nothing is simulated. The stations (``NetworkModel``):
/// - a service's workers (instances × workers; held for the whole operation when blocking, for
///   its CPU when async) and its cores (instances × cores, processor sharing), or its host's
///   machines (the busiest, its cores shared by every service and database server placed there);
/// - a cache's busiest node when it has `service` and `workers` (else a cache is a delay);
/// - per database, the busiest shard's primary and one replica: connections held for the query
///   (read + miss share × disk read; write + commit), disks for buffer-pool misses, a redo log
///   without group commit (one flush per commit); group commit is a delay of one flush (no
///   throughput limit: a flush takes every commit waiting); the most written `lock: row` row
///   (held from its write to its flush); client pools; replica apply workers.
/// A station whose time includes time at others (a pool, a lock, a blocking worker) counts that
/// time without contention, so X* = min servers/demand bounds the throughput served, always but
/// where a replica's apply workers cannot keep up (the connections they keep are estimated).
/// Faults, timeouts and retries are left out (they act on failures); so are the waits for row
/// locks in the response estimate. Costs about O((steps + stations) × key buckets), well under
/// a second for every bundled scenario.
public struct OperationalAnalysis: Sendable {
    /// A condition for product form, and whether the scenario meets it.
    public struct Check: Sendable, Equatable {
        public var holds: Bool
        public var text: String
        /// What breaks it (station names, keys), when it does not hold.
        public var detail: String
    }

    /// A hit ratio the analysis derived (a cache's gets, a database server's buffer pool).
    public struct HitRatio: Sendable, Equatable {
        public var component: String
        public var ratio: Double
    }

    public var scenario: String
    /// Users and mean think time (s) of a closed workload; nil for an open one.
    public var closed: (users: Int, think: Double)?
    /// Whether the open workload's rate follows a profile (analysed at its peak).
    public var profile = false
    /// Open: the arrival rate (the peak of a profile). Closed: the estimated throughput.
    /// Utilisations are given at this rate (requests/s).
    public var rate: Double
    public var stations: [AnalysisStation]
    /// Index into ``stations`` of the bottleneck (the lowest saturation rate), if any station.
    public var bottleneck: Int?
    /// X* = min over stations of servers / demand (requests/s): no higher rate can be served.
    public var saturationRate: Double
    /// The mean response without any contention (s): every service, delay and hop once, a
    /// parallel step its slowest branch. No request is faster on average.
    public var minimumResponse: Double
    /// Σ demand over the stations that hold nothing else (s).
    public var totalDemand: Double
    /// The mean response estimate at ``rate`` (s): infinite when a station cannot keep up.
    public var response: Double
    /// The conditions for the estimate to be exact; it is exact when all hold.
    public var checks: [Check]
    public var hitRatios: [HitRatio]

    public var exact: Bool { checks.allSatisfy(\.holds) }

    /// Closed: the number of users past which the bottleneck saturates, N* = X* (R0 + Z).
    public var saturationUsers: Double? { closed.map { saturationRate * (minimumResponse + $0.think) } }

    public init(_ scenario: Scenario) {
        self.scenario = scenario.name
        let buckets = scenario.workload.keySpaces.map(KeyBuckets.init)
        switch scenario.workload.arrivals {
        case .open(_, .constant(let r)): rate = r; closed = nil
        case .open(_, .profile(let points)): rate = points.map(\.perSecond).max() ?? 0; closed = nil; profile = true
        case .closed(let users, let think): rate = 0; closed = (users, think.mean / 1e9)
        }
        let ttls = scenario.architecture.caches.contains { $0.ttl != nil }
        // A TTL makes hit ratios depend on the rate: a closed workload's is estimated first.
        var ttlRate = rate
        if let closed {
            var first = Solution(scenario, buckets: buckets, cacheRate: 0)
            ttlRate = Double(closed.users) / (closed.think + first.minimumResponse)
            if ttls {
                first = Solution(scenario, buckets: buckets, cacheRate: ttlRate)
                ttlRate = first.closedThroughput(users: closed.users, think: closed.think)
            }
        }
        var solution = Solution(scenario, buckets: buckets, cacheRate: ttlRate)
        // The bottleneck; a replica whose apply workers saturate first falls behind and serves
        // more reads: its station changes, and the bottleneck is sought again.
        var best: Int?
        repeat {
            best = Self.busiest(solution.network.stations)
        } while best.map({ solution.network.fallBehind(below: solution.network.stations[$0].saturationRate, bottleneck: $0) }) == true
        let all = solution.network.stations
        stations = all
        minimumResponse = solution.minimumResponse
        bottleneck = best
        saturationRate = best.map { all[$0].saturationRate } ?? .infinity
        totalDemand = all.filter { !$0.holding && $0.limitsRequests }.reduce(0) { $0 + $1.demand }
        hitRatios = solution.hitRatios(scenario)
        if let closed {
            rate = solution.closedThroughput(users: closed.users, think: closed.think)
            response = rate > 0 ? Double(closed.users) / rate - closed.think : .infinity
        } else {
            response = solution.openResponse(at: rate)
        }
        checks = ProductFormChecks.checks(scenario, stations: stations, flows: solution.walk.flows)
    }

    /// The station with the lowest saturation rate (the first of equal ones), if any.
    static func busiest(_ stations: [AnalysisStation]) -> Int? {
        var best: Int?
        for (i, s) in stations.enumerated() where s.limitsRequests && s.demand > 0 {
            if best == nil || s.saturationRate < stations[best!].saturationRate { best = i }
        }
        return best
    }

    /// Closed: the asymptotic bound on throughput, min(N/(R0 + Z), X*).
    public var throughputBound: Double {
        guard let closed else { return saturationRate }
        return min(Double(closed.users) / (minimumResponse + closed.think), saturationRate)
    }

    /// The asymptotic bound on the mean response (s): R0, and for closed users N/X* − Z.
    public var responseBound: Double {
        guard let closed else { return minimumResponse }
        return max(minimumResponse, Double(closed.users) / saturationRate - closed.think)
    }
}

/// The walk, hit ratios and stations for one rate of cache references.
struct Solution {
    var walk: ProgramWalk
    var network: NetworkModel
    let minimumResponse: Double
    let buckets: [KeyBuckets]

    /// Hit ratios to a fixed point (a cache inside another's `on_miss` sees the outer one's
    /// misses), then the buffer pools, then the minimum response. `cacheRate`: requests/s,
    /// for TTLs.
    init(_ scenario: Scenario, buckets: [KeyBuckets], cacheRate: Double) {
        self.buckets = buckets
        let arch = scenario.architecture
        walk = ProgramWalk(scenario: scenario, buckets: buckets)
        for _ in 0...(arch.caches.count + 1) {
            _ = walk.run()
            let hits = HitRatios.caches(arch, walk.flows, buckets: buckets, rate: cacheRate)
            let settled = Self.close(hits, walk.cacheHit)
            walk.cacheHit = hits
            if settled { break }
        }
        _ = walk.run()
        walk.poolHit = HitRatios.bufferPools(arch, walk.flows, buckets: buckets)
        minimumResponse = walk.run()
        network = NetworkModel(scenario, flows: walk.flows, cacheHit: walk.cacheHit, poolHit: walk.poolHit, buckets: buckets)
    }

    static func close(_ a: [[[Double]?]], _ b: [[[Double]?]]) -> Bool {
        for c in a.indices {
            for k in a[c].indices {
                switch (a[c][k], b[c][k]) {
                case (nil, nil): continue
                case (let x?, let y?): if zip(x, y).contains(where: { abs($0 - $1) > 1e-12 }) { return false }
                default: return false
                }
            }
        }
        return true
    }

    /// The mean response at `rate` requests/s: the walk with each station's mean wait. A
    /// worker pool's wait depends on how long its workers are held, which includes the waits
    /// downstream when blocking: iterated to a fixed point (at most the depth of the calls).
    mutating func openResponse(at rate: Double) -> Double {
        var network = self.network
        var response = 0.0
        for _ in 0..<200 {
            walk.waits = network.waits(at: rate)
            let next = walk.run()
            if !next.isFinite { return .infinity }
            let done = abs(next - response) <= 1e-13 * next
            response = next
            if done { break }
            network.setWorkerHolds(walk.flows.workerHold)
        }
        return response
    }

    /// Closed users: exact MVA over the stations that hold nothing else (multi-server ones by
    /// Seidmann's approximation), the rest of the minimum response a delay, at most X*.
    func closedThroughput(users: Int, think: Double) -> Double {
        let queues = network.stations.filter { !$0.holding && $0.limitsRequests && $0.demand > 0 }
        let inQueues = queues.reduce(0) { $0 + $1.demand }
        let mva = QueueingFormulas.meanValueAnalysis(
            stations: queues.map { .init(demand: $0.demand, servers: $0.availableServers) },
            think: think + max(0, minimumResponse - inQueues), users: users)
        let bound = network.stations.filter(\.limitsRequests).map(\.saturationRate).min() ?? .infinity
        return min(mva.throughput, bound)
    }

    /// Each cache's hit ratio of gets (keyless gets miss), and each database server's buffer-pool
    /// hit ratio of keyed reads (a row read again by the same request hits), shards together.
    func hitRatios(_ scenario: Scenario) -> [OperationalAnalysis.HitRatio] {
        let arch = scenario.architecture, flows = walk.flows
        var out: [OperationalAnalysis.HitRatio] = []
        for (c, cache) in arch.caches.enumerated() {
            var gets = flows.cacheKeylessGets[c], hits = 0.0
            for k in buckets.indices {
                guard let g = flows.cacheGets[c][k] else { continue }
                for i in g.indices {
                    gets += buckets[k].count[i] * g[i]
                    hits += buckets[k].count[i] * g[i] * (walk.cacheHit[c][k]?[i] ?? 0)
                }
            }
            if gets > 0 { out.append(.init(component: cache.name, ratio: hits / gets)) }
        }
        for (d, db) in arch.databases.enumerated() {
            for role in 0..<2 where (role == 0 ? db.primary : db.replica).bufferPool != nil && (role == 0 || db.replicaCount > 0) {
                var reads = 0.0, misses = 0.0
                for q in flows.queries[d] where !q.write && q.replica == (role == 1) {
                    switch q.key {
                    case .keyless: continue
                    case .fresh: reads += q.count; misses += q.count
                    case .space(let k):
                        for i in q.first.indices {
                            reads += buckets[k].count[i] * (q.first[i] + q.repeats[i])
                            misses += buckets[k].count[i] * q.first[i] * (1 - (walk.poolHit[d][role][k]?[i] ?? 1))
                        }
                    }
                }
                guard reads > 0 else { continue }
                let name = role == 0 ? "\(db.name).primary" : "\(db.name).replica[*]"
                out.append(.init(component: name, ratio: 1 - misses / reads))
            }
        }
        return out
    }

}
