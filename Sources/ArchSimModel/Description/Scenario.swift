// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimKernel

/// Nanoseconds of simulated time.
public typealias Nanoseconds = Int64

/// A checked scenario: a workload run against an architecture for a simulated time.
///
/// This is plain data (Ciw's habit): the scenario format builds it from YAML, validates it with
/// positions, and the ``Simulation`` is built from it. The running simulation never sees YAML.
/// Cross references are resolved to indices into the arrays here.
///
/// Equality is by value, member by member (`sourcePath` included, and an empirical
/// distribution's samples and source path): the scenario writer's round-trip tests compare a
/// scenario with what reading its written text gives back. O(size of the description).
public struct Scenario: Sendable, Equatable {
    /// Used in result rows.
    public var name: String
    public var description: String
    /// Same scenario + same seed => byte-identical results.
    public var seed: UInt64
    /// Simulated time counted, after the warm-up (ns).
    public var duration: Nanoseconds
    /// Simulated time whose requests are not counted (ns). The clock starts at 0 at the start
    /// of the warm-up; measurement covers [warmup, warmup + duration).
    public var warmup: Nanoseconds
    /// Independent runs with derived seeds; confidence intervals come from them.
    public var replications: Int
    /// Width of a timeseries.csv window (ns); default 1 s.
    public var window: Nanoseconds
    public var workload: Workload
    public var architecture: Architecture
    public var faults: [Fault]
    /// Record where each request's time goes (`--breakdown`; not part of the file format).
    public var recordsBreakdown = false
    /// The file it was read from, if any (for messages and relative paths).
    public var sourcePath: String?

    public init(name: String, description: String = "", seed: UInt64 = 1, duration: Nanoseconds,
                warmup: Nanoseconds = 0, replications: Int = 1, window: Nanoseconds = 1_000_000_000,
                workload: Workload, architecture: Architecture, faults: [Fault] = [], sourcePath: String? = nil) {
        self.name = name; self.description = description; self.seed = seed; self.duration = duration
        self.warmup = warmup; self.replications = replications; self.window = window
        self.workload = workload; self.architecture = architecture; self.faults = faults
        self.sourcePath = sourcePath
    }
}

// MARK: - Workload

/// What users do: how requests arrive, which keys they touch, and the request mix.
public struct Workload: Sendable, Equatable {
    public var arrivals: Arrivals
    /// Key spaces requests draw keys from, in file order.
    public var keySpaces: [KeySpace]
    /// The request mix, in file order (this order is the row order of summary.csv).
    public var requestTypes: [RequestType]

    public init(arrivals: Arrivals, keySpaces: [KeySpace] = [], requestTypes: [RequestType]) {
        self.arrivals = arrivals; self.keySpaces = keySpaces; self.requestTypes = requestTypes
    }
}

public enum Arrivals: Sendable, Equatable {
    /// Arrivals at a rate, whatever the system does.
    case open(process: ArrivalProcess, rate: ArrivalRate)
    /// `users` users, each sends a request, waits for its answer, thinks, repeats.
    case closed(users: Int, think: Distribution)
}

public enum ArrivalProcess: String, Sendable, CaseIterable {
    case poisson, constant
}

public enum ArrivalRate: Sendable, Equatable {
    /// Requests per second.
    case constant(Double)
    /// Piecewise-linear rate over simulated time; constant after the last point and before the
    /// first. Points are sorted by `at`.
    case profile([RatePoint])
}

public struct RatePoint: Sendable, Equatable {
    /// Simulated time (ns) from the start of the run (warm-up included).
    public var at: Nanoseconds
    /// Requests per second at `at`.
    public var perSecond: Double
    public init(at: Nanoseconds, perSecond: Double) { self.at = at; self.perSecond = perSecond }
}

/// A set of `count` keys (ids 0..<count) and how popular each is.
public struct KeySpace: Sendable, Equatable {
    public var name: String
    public var count: Int
    public var popularity: Popularity
    public init(name: String, count: Int, popularity: Popularity) {
        self.name = name; self.count = count; self.popularity = popularity
    }
}

public enum Popularity: Sendable, Equatable {
    case uniform
    /// Key of rank r (1-based; key id r-1) has probability ∝ 1 / r^s.
    case zipf(s: Double)
}

/// One request type of the mix.
public struct RequestType: Sendable, Equatable {
    public var name: String
    /// Relative weight; weights need not sum to 1.
    public var weight: Double
    /// Index into ``Workload/keySpaces``, if the request carries a key.
    public var keySpace: Int?
    /// A request with no answer within this time (ns) counts as a timeout error.
    public var timeout: Nanoseconds?
    public init(name: String, weight: Double, keySpace: Int? = nil, timeout: Nanoseconds? = nil) {
        self.name = name; self.weight = weight; self.keySpace = keySpace; self.timeout = timeout
    }
}

// MARK: - Architecture

/// What serves the requests.
public struct Architecture: Sendable, Equatable {
    /// Latency added to each message between components (ns); default constant 0.
    public var hop: Distribution
    /// The load balancer's default policy for every service.
    public var balancer: BalancerPolicy
    /// For each request type (same index as ``Workload/requestTypes``): the operation serving it.
    public var routes: [OperationRef]
    public var services: [Service]
    public var caches: [Cache]
    public var databases: [Database]
    /// Machines components are placed on (format 1.1 `hosts:`), in file order.
    public var hosts: [HostKind] = []
    /// The balancer's `retry_failed` for every service (format 1.1; nginx's `proxy_next_upstream
    /// error`): a request that reached a crashed instance goes to another one not yet tried, at
    /// most this many times. 0 = none.
    public var retryFailed = 0

    /// Whether components.csv carries the storage columns (row locks, disks, commits): only when
    /// a database server uses a version 1.1 storage key or a step locks rows, so files without
    /// them give byte-identical results.
    public var usesStorageColumns: Bool {
        func locks(_ steps: [Step]) -> Bool {
            steps.contains {
                switch $0 {
                case .dbWrite(_, let row): return row.lock != nil
                case .parallel(let branches): return locks(branches)
                case .cacheGet(_, let onMiss): return locks(onMiss)
                default: return false
                }
            }
        }
        return databases.contains { db in
            [db.primary, db.replica].contains { $0.maxConnections != nil || $0.bufferPool != nil || $0.disks != nil || $0.commit != nil }
        } || services.contains { !$0.pools.isEmpty || $0.operations.contains { locks($0.steps) } } || !hosts.isEmpty
    }

    public init(hop: Distribution = .constant(0), balancer: BalancerPolicy = .roundRobin, routes: [OperationRef],
                services: [Service], caches: [Cache] = [], databases: [Database] = []) {
        self.hop = hop; self.balancer = balancer; self.routes = routes; self.services = services
        self.caches = caches; self.databases = databases
    }
}

/// `service.operation`, resolved to indices.
public struct OperationRef: Sendable, Equatable {
    public var service: Int
    public var operation: Int
    public init(service: Int, operation: Int) { self.service = service; self.operation = operation }
}

public enum BalancerPolicy: String, Sendable, CaseIterable {
    case roundRobin = "round_robin"
    case random
    case leastConnections = "least_connections"
    case powerOfTwo = "power_of_two"
    case consistentHash = "consistent_hash"
}

public enum IOMode: String, Sendable, CaseIterable {
    /// A worker is held for the whole operation, downstream waits included.
    case blocking
    /// Waiting downstream (calls, delays, caches, databases) frees the worker.
    case async
}

/// A service tier: identical instances behind the load balancer.
public struct Service: Sendable, Equatable {
    public var name: String
    public var instances: Int
    /// Requests served at once per instance (thread pool).
    public var workers: Int
    /// Waiting requests per instance; nil = unbounded. Past it: rejected.
    public var queueCapacity: Int?
    /// CPU work of an instance shares this many cores (processor sharing); nil = no limit.
    public var cores: Int?
    public var io: IOMode
    /// Overrides the architecture's balancer policy for this service.
    public var balancer: BalancerPolicy?
    /// Overrides the architecture's `retry_failed` for this service.
    public var retryFailed: Int?
    /// The host (index into ``Architecture/hosts``) its instances run on: instance i on machine
    /// i mod count, its CPU work shared with everything else there. Exclusive with `cores`.
    public var host: Int?
    public var operations: [Operation]
    /// How the balancer notices a crashed instance.
    public var healthCheck: HealthCheck
    public var autoscale: Autoscale?
    /// Client connection pools to databases (format 1.1), per instance and per shard, in file order.
    public var pools: [ConnectionPool]
    /// What one instance costs per hour (any currency), when not on a host; nil = not given.
    public var cost: Double?

    public init(name: String, instances: Int = 1, workers: Int = 1, queueCapacity: Int? = nil, cores: Int? = nil,
                io: IOMode = .blocking, balancer: BalancerPolicy? = nil, operations: [Operation],
                healthCheck: HealthCheck = HealthCheck(), autoscale: Autoscale? = nil, pools: [ConnectionPool] = []) {
        self.name = name; self.instances = instances; self.workers = workers; self.queueCapacity = queueCapacity
        self.cores = cores; self.io = io; self.balancer = balancer; self.operations = operations
        self.healthCheck = healthCheck; self.autoscale = autoscale; self.pools = pools
    }
}

/// A client connection pool (HikariCP's, say): an instance holds at most `size` connections to
/// each shard of `database`; a query takes one (FIFO) and holds it until its answer is back.
public struct ConnectionPool: Sendable, Equatable {
    /// Index into ``Architecture/databases``.
    public var database: Int
    public var size: Int
    /// A wait for a connection longer than this fails the request (a timeout); nil = no limit.
    public var wait: Nanoseconds?
    public init(database: Int, size: Int, wait: Nanoseconds? = nil) {
        self.database = database; self.size = size; self.wait = wait
    }
}

/// An operation computes its `cpu` time, then runs its steps in order.
public struct Operation: Sendable, Equatable {
    public var name: String
    public var cpu: Distribution?
    public var steps: [Step]
    public init(name: String, cpu: Distribution? = nil, steps: [Step] = []) {
        self.name = name; self.cpu = cpu; self.steps = steps
    }
}

/// What an operation does besides computing.
public indirect enum Step: Sendable, Equatable {
    /// RPC to another service's operation, through the load balancer, with its timeout, retries
    /// and circuit breaker.
    case call(OperationRef, CallPolicy = CallPolicy())
    /// Fan-out: all run at once; the step ends when all end.
    case parallel([Step])
    /// Waiting on something outside.
    case delay(Distribution)
    /// More computing, holding the worker.
    case cpu(Distribution)
    /// Looks up the request's key in a cache (index into ``Architecture/caches``); runs
    /// `onMiss` when absent.
    case cacheGet(cache: Int, onMiss: [Step])
    case cacheSet(cache: Int)
    case cacheDelete(cache: Int)
    /// A read of the database (index into ``Architecture/databases``); strong reads go to the primary.
    case dbRead(database: Int, strong: Bool, row: RowAccess = RowAccess())
    case dbWrite(database: Int, row: RowAccess = RowAccess())
}

/// Which row a database step touches (format 1.1 `key:`), and whether a write locks it (`lock: row`).
public struct RowAccess: Sendable, Equatable {
    public var key: StepKey
    /// Writes only: the row's lock, taken after the connection, held until the commit is durable.
    public var lock: RowLock?
    public init(key: StepKey = .request, lock: RowLock? = nil) { self.key = key; self.lock = lock }
}

/// The key a step uses.
public enum StepKey: Sendable, Equatable {
    /// The request's key (none if its type has none).
    case request
    /// One key per request drawn from this key space (index into ``Workload/keySpaces``); every
    /// step naming the space in one request uses the same key. The request's own key when it
    /// comes from that space.
    case space(Int)
    /// A fresh key never used before (an insert).
    case new
}

/// A row lock on a write: writes of one row run one at a time, FIFO.
public struct RowLock: Sendable, Equatable {
    /// A wait longer than this fails the request (a timeout); nil = wait as long as it takes.
    public var timeout: Nanoseconds?
    public init(timeout: Nanoseconds? = nil) { self.timeout = timeout }
}

/// How a caller treats one call step: how long it waits, how often it retries, whether a
/// circuit breaker guards it.
public struct CallPolicy: Sendable, Equatable {
    /// The caller gives up after this long (ns) and treats the call as failed (a timeout); the
    /// callee's work goes on. nil = wait as long as it takes.
    public var timeout: Nanoseconds?
    /// Further attempts after a failed one (timeout, rejection, failure). Retries are for
    /// idempotent operations: the scenario's author declares them where that holds.
    public var retries: Int
    /// Wait before each retry.
    public var backoff: Distribution
    public var circuitBreaker: CircuitBreakerPolicy?
    public init(timeout: Nanoseconds? = nil, retries: Int = 0, backoff: Distribution = .constant(0),
                circuitBreaker: CircuitBreakerPolicy? = nil) {
        self.timeout = timeout; self.retries = retries; self.backoff = backoff; self.circuitBreaker = circuitBreaker
    }
}

/// A circuit breaker on a call step, shared by all instances of the calling service: it opens
/// when the error rate over a rolling window reaches a threshold, fails calls at once while open,
/// then lets one probe through (half-open): success closes it, failure opens it again.
public struct CircuitBreakerPolicy: Sendable, Equatable {
    /// Error fraction (0–1] that opens the breaker.
    public var errorRate: Double
    /// Rolling window the error rate is measured over (ns).
    public var window: Nanoseconds
    /// Calls needed in the window before the rate counts.
    public var minimumCalls: Int
    /// How long it stays open before a probe (ns).
    public var openFor: Nanoseconds
    public init(errorRate: Double = 0.5, window: Nanoseconds = 10_000_000_000, minimumCalls: Int = 20,
                openFor: Nanoseconds = 5_000_000_000) {
        self.errorRate = errorRate; self.window = window; self.minimumCalls = minimumCalls; self.openFor = openFor
    }
}

/// How the load balancer finds out that an instance is down (and up again): it probes every
/// `interval` and stops sending after `unhealthyAfter` failed probes in a row; one good probe
/// brings the instance back.
public struct HealthCheck: Sendable, Equatable {
    public var interval: Nanoseconds
    public var unhealthyAfter: Int
    public init(interval: Nanoseconds = 5_000_000_000, unhealthyAfter: Int = 2) {
        self.interval = interval; self.unhealthyAfter = unhealthyAfter
    }
}

/// Adds or removes instances to keep utilisation near a target.
public struct Autoscale: Sendable, Equatable {
    public var min: Int
    public var max: Int
    /// Target busy-worker fraction, 0–1.
    public var targetUtilization: Double
    /// How often the autoscaler decides (ns).
    public var interval: Nanoseconds
    /// How long a new instance takes before it serves (ns).
    public var warmup: Nanoseconds
    public init(min: Int, max: Int, targetUtilization: Double = 0.6, interval: Nanoseconds = 30_000_000_000,
                warmup: Nanoseconds = 60_000_000_000) {
        self.min = min; self.max = max; self.targetUtilization = targetUtilization; self.interval = interval
        self.warmup = warmup
    }
}

// MARK: - Caches and databases

public enum EvictionPolicy: String, Sendable, CaseIterable {
    case lru, lfu, fifo, random
}

public struct Cache: Sendable, Equatable {
    public var name: String
    /// Keys are spread over nodes by a stable hash.
    public var nodes: Int
    /// Entries, all nodes together.
    public var capacity: Int
    public var eviction: EvictionPolicy
    /// Entries expire this long after they were set (ns); nil = never.
    public var ttl: Nanoseconds?
    /// The network round trip of an operation; with `service`, half before and half after it.
    public var latency: Distribution
    /// Operations a node serves at once (Redis: one thread); nil = unbounded (format 1.1).
    public var workers: Int?
    /// Time an operation holds a node's worker (format 1.1); nil = no node throughput limit:
    /// an operation takes `latency` alone, as in format 1.
    public var service: Distribution?
    /// What one node costs per hour; nil = not given.
    public var cost: Double?
    public init(name: String, nodes: Int = 1, capacity: Int, eviction: EvictionPolicy = .lru,
                ttl: Nanoseconds? = nil, latency: Distribution = .constant(0), workers: Int? = nil,
                service: Distribution? = nil) {
        self.name = name; self.nodes = nodes; self.capacity = capacity; self.eviction = eviction
        self.ttl = ttl; self.latency = latency; self.workers = workers; self.service = service
    }
}

public struct DatabaseServer: Sendable, Equatable {
    public var connections: Int
    /// Queries present at once, executing or waiting (≥ `connections`); past it a query is
    /// rejected. nil = unbounded. Replicated apply work is not counted.
    public var maxConnections: Int?
    /// Time of a read whose row is in memory (or of any read without a buffer pool).
    public var read: Distribution
    /// Write time (primary); for a replica, the time to apply one replicated write.
    public var write: Distribution
    /// Rows kept in memory (LRU); a keyed read that misses waits for a disk and adds `miss`.
    public var bufferPool: BufferPool?
    /// Disk reads at once (spindles, an SSD's queue depth); nil = unbounded.
    public var disks: Int?
    /// Every write waits for its redo-log flush before it is durable.
    public var commit: CommitLog?
    /// The host (index into ``Architecture/hosts``) it runs on: a primary of shard s on machine
    /// s mod count, replica r on machine r mod count. Its `read` and `write` times are CPU work
    /// shared with everything else there.
    public var host: Int?
    /// What the server costs per hour, when not on a host; nil = not given.
    public var cost: Double?
    public init(connections: Int, maxConnections: Int? = nil, read: Distribution, write: Distribution,
                bufferPool: BufferPool? = nil, disks: Int? = nil, commit: CommitLog? = nil) {
        self.connections = connections; self.maxConnections = maxConnections; self.read = read; self.write = write
        self.bufferPool = bufferPool; self.disks = disks; self.commit = commit
    }
}

/// A kind of machine (format 1.1): `count` identical machines of `cores` cores; components
/// placed on one share its cores by processor sharing.
public struct HostKind: Sendable, Equatable {
    public var name: String
    public var cores: Int
    public var count: Int
    /// What one machine costs per hour, and per core and hour (summed); nil = not given.
    /// Together they cover everything placed on the machine.
    public var cost: Double?
    public var costPerCore: Double?
    /// Cores' worth of CPU work outside the model that runs on each machine all the time (idle
    /// threads, timers, pollers): it takes `background / cores` of every core, so the model's
    /// CPU work there runs `cores / (cores − background)` times longer. 0 = none; below `cores`.
    public var background = 0.0
    public init(name: String, cores: Int, count: Int = 1, background: Double = 0) {
        self.name = name; self.cores = cores; self.count = count; self.background = background
    }
}

/// A database server's buffer pool: `capacity` rows in memory, least recently used evicted.
public struct BufferPool: Sendable, Equatable {
    public var capacity: Int
    /// The disk read of a row not in memory.
    public var miss: Distribution
    public init(capacity: Int, miss: Distribution) { self.capacity = capacity; self.miss = miss }
}

/// A server's redo log: flushes run one at a time, each taking `flush`; without `group` each
/// commit needs a flush of its own, with `group` a flush takes every commit waiting when it starts.
public struct CommitLog: Sendable, Equatable {
    public var flush: Distribution
    public var group: Bool
    public init(flush: Distribution, group: Bool = false) { self.flush = flush; self.group = group }
}

public enum ReadSource: String, Sendable, CaseIterable {
    case primary, replicas
}

public struct Database: Sendable, Equatable {
    public var name: String
    public var primary: DatabaseServer
    public var replicaCount: Int
    /// Each replica's server; its `write` is the apply time of a replicated write.
    public var replica: DatabaseServer
    public var readsFrom: ReadSource
    /// Balancer among replicas for reads.
    public var replicaBalancer: BalancerPolicy
    public var replicationLag: Distribution
    /// Replicated writes a replica applies at once (each holds a connection); they become
    /// visible in commit order whatever order they finish in.
    public var applyWorkers: Int
    /// When the primary crashes, promote the most up-to-date replica after this long (ns);
    /// nil = no failover (writes fail until the primary is back).
    public var failoverAfter: Nanoseconds?
    /// Key-hash shards, each its own primary and replicas (format 1.1; default 1). A key goes to
    /// shard ``shard(of:)``; a query without a key to shard 0.
    public var shards = 1

    /// The shard of a packed key: the engine's stable hash (SplitMix64's finaliser) of the key
    /// space and key, modulo the shards — not `key mod shards`, which would put every key of a
    /// small space on low shards.
    @inline(__always) public func shard(of key: UInt64) -> Int { Self.shard(of: key, shards: shards) }

    @inline(__always) public static func shard(of key: UInt64, shards: Int) -> Int {
        shards == 1 ? 0 : Int(StableHash.mix(key) % UInt64(shards))
    }

    /// A server's name in results and fault targets: `main.primary`, `main[2].replica[0]`.
    public func serverName(shard: Int, server: Int) -> String {
        let base = shards == 1 ? name : "\(name)[\(shard)]"
        return server == 0 ? "\(base).primary" : "\(base).replica[\(server - 1)]"
    }
    /// `readsFrom` defaults to replicas when there are any, as the format says.
    public init(name: String, primary: DatabaseServer, replicaCount: Int = 0, replica: DatabaseServer? = nil,
                readsFrom: ReadSource? = nil, replicaBalancer: BalancerPolicy = .leastConnections,
                replicationLag: Distribution = .constant(0), applyWorkers: Int = 4, failoverAfter: Nanoseconds? = nil) {
        self.name = name; self.primary = primary; self.replicaCount = replicaCount
        self.replica = replica ?? primary; self.readsFrom = readsFrom ?? (replicaCount > 0 ? .replicas : .primary)
        self.replicaBalancer = replicaBalancer; self.replicationLag = replicationLag
        self.applyWorkers = applyWorkers; self.failoverAfter = failoverAfter
    }
}

// MARK: - Faults

/// What a fault targets, resolved.
public enum FaultTarget: Sendable, Equatable {
    case serviceInstance(service: Int, instance: Int)
    case cacheNode(cache: Int, node: Int)
    /// A database server: server 0 is shard `shard`'s primary, 1… its replicas.
    case databaseServer(database: Int, shard: Int, server: Int)
    /// Machine `machine` of host `host`: a crash takes down every component on it.
    case hostMachine(host: Int, machine: Int)

    public static func primary(database: Int, shard: Int = 0) -> FaultTarget {
        .databaseServer(database: database, shard: shard, server: 0)
    }
    public static func replica(database: Int, replica: Int, shard: Int = 0) -> FaultTarget {
        .databaseServer(database: database, shard: shard, server: replica + 1)
    }
}

public enum FaultKind: Sendable, Equatable {
    case crash
    /// Service times multiplied by the factor.
    case slow(factor: Double)
}

public struct Fault: Sendable, Equatable {
    /// Simulated time (ns) from the start of the run.
    public var at: Nanoseconds
    public var target: FaultTarget
    public var kind: FaultKind
    /// How long it lasts (ns); nil = to the end.
    public var duration: Nanoseconds?
    public init(at: Nanoseconds, target: FaultTarget, kind: FaultKind, duration: Nanoseconds?) {
        self.at = at; self.target = target; self.kind = kind; self.duration = duration
    }
}
