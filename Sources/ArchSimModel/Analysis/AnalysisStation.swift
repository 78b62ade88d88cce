// SPDX-License-Identifier: GPL-3.0-or-later

/// One station of the queueing network a scenario describes: a pool of `servers` identical
/// servers that each request asks for `demand` seconds of service in all (its visits times
/// their mean service time). Where identical components share the load (instances, replicas),
/// the station is all of one tier together or one representative; where a hash decides the
/// load (cache nodes, shards, machines, rows), it is the most loaded one, named.
public struct AnalysisStation: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        /// A service's worker pool, all instances together.
        case workers
        /// A service's cores (`cores:`), all instances together: processor sharing.
        case cpu
        /// A machine (`hosts:`): processor sharing over its cores.
        case host
        /// A cache node's workers (`service:`).
        case cacheNode = "cache_node"
        /// A database server's connections.
        case connections
        /// A database server's disks (buffer-pool misses).
        case disks
        /// A database server's redo log without group commit: one flush per commit.
        case redoLog = "redo_log"
        /// The most contended row of `lock: row` writes: held from its write to its commit.
        case rowLock = "row_lock"
        /// A service's client connection pool to a database (`pools:`), all instances together.
        case clientPool = "client_pool"
        /// A replica's apply workers (`apply_workers`): past their saturation the replica falls
        /// behind (its lag grows without bound) but requests go on. No bound on requests.
        case applyWorkers = "apply_workers"
    }

    /// The component, as in components.csv where it has a row (`app`, `main.primary`,
    /// `main[3].primary`, `product_cache[1]`, `box[0]`), else the component and what of it
    /// (`app.cpu`, `main.primary.disks`, `main.lock[products:0]`, `order.pool[main]`).
    public var name: String
    public var kind: Kind
    public var servers: Int
    /// Visits per request (the mean over the mix).
    public var visits: Double
    /// Service demand per request (s): visits × mean service time per visit.
    public var demand: Double
    /// Whether its service time includes time at other stations (a worker held across calls, a
    /// connection held through disk reads or a commit, a pool, a lock, a worker whose CPU is
    /// shared): a station of simultaneous possession. Its demand counts that time without
    /// contention, so its saturation rate is an upper bound; it is no product-form station.
    public var holding: Bool
    /// Whether it is a product-form station (BCMP): processor sharing (any service time), or
    /// first come first served with exponential service of one mean, and not holding.
    public var productForm: Bool
    /// What it stands for, when it is one of several (`hottest of 3 nodes`, `each of 4 replicas`).
    public var note: String
    /// Servers taken by work that does not grow with the request rate: a replica's connections
    /// held by apply workers that cannot keep up with the writes (an estimate, below).
    public var reserved = 0.0

    public init(name: String, kind: Kind, servers: Int, visits: Double, demand: Double, holding: Bool, productForm: Bool,
                note: String = "") {
        self.name = name; self.kind = kind; self.servers = servers; self.visits = visits; self.demand = demand
        self.holding = holding; self.productForm = productForm; self.note = note
    }

    /// The arrival rate (requests/s) at which it is busy all the time: (servers − reserved) /
    /// demand. For apply workers, the rate past which the replica falls behind (no bound on
    /// requests: see ``limitsRequests``).
    public var saturationRate: Double { demand <= 0 ? .infinity : (Double(servers) - reserved) / demand }

    /// Whether it limits the requests (every kind but apply workers).
    public var limitsRequests: Bool { kind != .applyWorkers }

    /// Busy servers over servers at `rate` requests/s (above 1: it cannot keep up).
    public func utilization(at rate: Double) -> Double { (rate * demand + reserved) / Double(servers) }

    /// Servers left to the requests, whole: what the waiting-time formulas take.
    public var availableServers: Int { max(1, Int((Double(servers) - reserved).rounded(.down))) }

    /// Mean service time per visit (s).
    public var serviceTime: Double { visits > 0 ? demand / visits : 0 }
}
