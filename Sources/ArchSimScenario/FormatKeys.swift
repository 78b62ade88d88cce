// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimModel

/// What a key's value is, as far as a schema can say before reading it. The reader gives the
/// exact rules (and the messages); a kind is what an editor can check as you type.
indirect enum ValueKind: Sendable {
    /// Any scalar: a name, a description, a reference to a cache or database.
    case text
    /// `250us`, `1.5ms`, `10m`; zero allowed only when `allowZero`.
    case duration(allowZero: Bool)
    /// `8000/s`, `30/m`, `100/h`.
    case rate
    /// `exponential(mean=2ms)` and the other forms of the spec's table, or a bare duration.
    case distribution
    /// `uniform` or `zipf(s=0.99)`.
    case popularity
    /// `50%` or `0.5`.
    case fraction
    /// A whole number in `minimum...maximum` (nil: no bound).
    case integer(minimum: Int, maximum: UInt64?)
    /// A number above (or, with `allowZero`, at least) zero, at most `maximum`.
    case number(allowZero: Bool, maximum: Double)
    /// One of these words.
    case choice([String])
    /// `true` or `false`.
    case boolean
    /// `service.operation`.
    case operation
    /// A fault target: `app[0]`, `product_cache[1]`, `main.primary`, `main.replica[2]`.
    case faultTarget
    /// A mapping with these keys; `nullable`: `~` or nothing reads as an empty one.
    case map(KeyTable, nullable: Bool = false)
    /// Names of the user's choosing (letters, digits, `_`, `-`; any text when `anyName`), each
    /// mapped to a value; `minimum` names at least.
    case named(ValueKind, minimum: Int = 0, nullable: Bool = false, anyName: Bool = false)
    /// A list (null reads as empty); `minimum` items at least.
    case list(ValueKind, minimum: Int = 0)
    /// Any of these.
    case either([ValueKind])
    /// Any scalar, `~` or nothing.
    case optionalText
    /// A file path (a string), relative to the file that names it.
    case path
    /// A step list (recursive: `parallel` and `on_miss` hold steps).
    case steps
    /// Anything (a sweep's value, checked against the scenario's key it sets).
    case any
}

/// One key of a mapping: its name, its value and a one-line description.
struct Key: Sendable {
    var name: String
    var kind: ValueKind
    var summary: String
    var required = false

    init(_ name: String, _ kind: ValueKind, _ summary: String, required: Bool = false) {
        self.name = name; self.kind = kind; self.summary = summary; self.required = required
    }
}

/// The keys of one kind of mapping, in the order messages list them. `id` names the table in
/// the JSON Schema's definitions.
struct KeyTable: Sendable {
    var id: String
    var summary: String
    var keys: [Key]

    /// The allowed names, for ``MapReader/checkKeys(_:_:explain:)``.
    var names: [String] { keys.map(\.name) }
}

/// The keys of scenario format v1, each defined once: the readers check unknown keys against
/// these tables and `archsim schema` writes them as a JSON Schema. A key the reader learns is
/// added here, and the schema grows with it.
enum FormatKeys {
    static let scenario = KeyTable(id: "scenario", summary: "An ArchSim scenario: a workload run against an architecture.", keys: [
        Key("version", .integer(minimum: 1, maximum: 1), "Scenario format version: 1."),
        Key("name", .text, "Used in result file rows (default: the file name)."),
        Key("description", .optionalText, "What the scenario is about."),
        Key("seed", .integer(minimum: 0, maximum: UInt64.max), "Same file and seed give byte-identical results (default 1)."),
        Key("duration", .duration(allowZero: false), "Simulated time counted, after the warm-up.", required: true),
        Key("warmup", .duration(allowZero: true), "Simulated time whose requests are not counted (default 0s)."),
        Key("replications", .integer(minimum: 1, maximum: UInt64(Limits.replications)),
            "Independent runs with derived seeds; confidence intervals come from them (default 1)."),
        Key("window", .duration(allowZero: false), "Width of a timeseries.csv window (default 1s)."),
        Key("workload", .either([.path, .map(workload)]), "What users do: a map, or a path to a YAML file holding it.",
            required: true),
        Key("architecture", .either([.path, .map(architecture)]),
            "What serves them: a map, or a path to a YAML file holding it.", required: true),
        Key("faults", .list(.map(fault)), "Crashes and slowdowns at given times."),
    ])

    // MARK: Workload

    static let workload = KeyTable(id: "workload", summary: "Arrivals, key spaces and the request mix.", keys: [
        Key("arrivals", .either([.map(openArrivals), .map(closedArrivals)]), "How requests arrive: open or closed.",
            required: true),
        Key("keys", .named(.map(keySpace), nullable: true), "Key spaces; requests draw a key from one."),
        Key("requests", .named(.map(request, nullable: true), minimum: 1),
            "The request mix: request type -> {weight, key, timeout}; weights need not sum to 1.", required: true),
    ])
    static let openArrivals = KeyTable(id: "open_arrivals", summary: "Arrivals at a rate, whatever the system does.", keys: [
        Key("kind", .choice(["open"]), "open: arrivals at a rate.", required: true),
        Key("process", .choice(ArrivalProcess.allCases.map(\.rawValue)), "Time between arrivals (default poisson)."),
        Key("rate", .rate, "Arrivals per unit of time, e.g. 900/s (or profile)."),
        Key("profile", .list(.map(ratePoint), minimum: 1), "A piecewise-linear rate over simulated time (or rate)."),
    ])
    static let closedArrivals = KeyTable(id: "closed_arrivals", summary: "Users who send, wait for the answer, think, repeat.", keys: [
        Key("kind", .choice(["closed"]), "closed: a fixed number of users.", required: true),
        Key("users", .integer(minimum: 1, maximum: UInt64(Limits.users)), "How many users.", required: true),
        Key("think", .distribution, "Time a user thinks between an answer and the next request.", required: true),
    ])
    static let ratePoint = KeyTable(id: "rate_point", summary: "A point of a rate profile.", keys: [
        Key("at", .duration(allowZero: true), "Simulated time of the point; strictly increasing.", required: true),
        Key("rate", .rate, "The rate at that time.", required: true),
    ])
    static let keySpace = KeyTable(id: "key_space", summary: "A key space requests draw keys from.", keys: [
        Key("count", .integer(minimum: 1, maximum: UInt64(Limits.zipfKeys)),
            "Keys in the space (below 2^32 when uniform, below 2^40 when zipf).", required: true),
        Key("popularity", .popularity, "uniform (default) or zipf(s=0.99)."),
    ])
    static let request = KeyTable(id: "request", summary: "A request type of the mix.", keys: [
        Key("weight", .number(allowZero: true, maximum: Limits.weight), "Relative share of arrivals (default 1)."),
        Key("key", .text, "The key space its key is drawn from."),
        Key("timeout", .duration(allowZero: false), "Counts as a timeout error when unanswered this long."),
    ])

    // MARK: Architecture

    static let architecture = KeyTable(id: "architecture", summary: "Services, caches and databases, and how requests reach them.", keys: [
        Key("network", .map(network, nullable: true), "Latency added to each call between components."),
        Key("load_balancer", .map(loadBalancer), "The balancer in front of every service (default round_robin)."),
        Key("routes", .named(.operation), "Request type -> service.operation that serves it.", required: true),
        Key("services", .named(.map(service), minimum: 1), "Service name -> service.", required: true),
        Key("caches", .named(.map(cache), nullable: true), "Cache name -> cache."),
        Key("hosts", .named(.map(host), nullable: true), "Host name -> machines components share by processor sharing."),
        Key("databases", .named(.map(database), nullable: true), "Database name -> database."),
    ])
    static let network = KeyTable(id: "network", summary: "The network between components.", keys: [
        Key("hop", .distribution, "Latency of each message between components (default 0)."),
    ])
    static let balancer = KeyTable(id: "balancer", summary: "A load-balancing policy.", keys: [
        Key("policy", .choice(BalancerPolicy.allCases.map(\.rawValue)), "How a server is chosen.", required: true),
    ])
    static let loadBalancer = KeyTable(id: "load_balancer", summary: "The load balancer in front of service instances.", keys: [
        Key("policy", .choice(BalancerPolicy.allCases.map(\.rawValue)),
            "How an instance is chosen (default: the architecture's, round_robin at the top)."),
        Key("retry_failed", .integer(minimum: 0, maximum: UInt64(Limits.retries)),
            "A request that reached a crashed instance goes to another not yet tried, at most this many times."),
    ])
    static let service = KeyTable(id: "service", summary: "Instances of one program behind the load balancer.", keys: [
        Key("instances", .integer(minimum: 1, maximum: UInt64(Limits.instances)), "Instances behind the balancer (default 1)."),
        Key("workers", .integer(minimum: 1, maximum: UInt64(Limits.workers)), "Requests served at once per instance (default 1)."),
        Key("queue", .either([.choice(["unbounded"]), .integer(minimum: 0, maximum: UInt64(Limits.queue))]),
            "Waiting requests per instance; past it requests are rejected (default unbounded)."),
        Key("cores", .integer(minimum: 1, maximum: UInt64(Limits.cores)), "CPU work shares this many cores per instance."),
        Key("io", .choice(IOMode.allCases.map(\.rawValue)), "blocking (default): a worker waits downstream; async frees it."),
        Key("load_balancer", .map(loadBalancer), "This service's own balancer policy."),
        Key("operations", .named(.map(operation, nullable: true), minimum: 1), "Operation name -> operation.", required: true),
        Key("health_check", .map(healthCheck), "How the balancer notices a crashed instance (default 5s x 2)."),
        Key("autoscale", .map(autoscale), "Instances added and removed with utilization."),
        Key("host", .text, "The host its instances run on (instance i on machine i mod count); not with cores."),
        Key("pools", .named(.map(pool), nullable: true),
            "Client connection pools: database -> {size, wait}, per instance and per shard."),
        costKey("What one instance costs per hour (any currency); not with host (the host's cost covers it)."),
    ])
    /// `cost:` — a non-negative number per hour, in any one currency.
    static func costKey(_ summary: String, name: String = "cost") -> Key {
        Key(name, .number(allowZero: true, maximum: Limits.cost), summary)
    }
    static let host = KeyTable(id: "host", summary: "A kind of machine: components placed on one share its cores.", keys: [
        Key("cores", .integer(minimum: 1, maximum: UInt64(Limits.cores)), "Cores of each machine.", required: true),
        Key("count", .integer(minimum: 1, maximum: UInt64(Limits.instances)), "Identical machines (default 1)."),
        costKey("What one machine costs per hour (any currency), covering what runs on it."),
        costKey("What one core costs per hour, added to cost (cores x cost_per_core per machine).", name: "cost_per_core"),
        Key("background", .number(allowZero: true, maximum: Double(Limits.cores)),
            "Cores of CPU work outside the model running on each machine all the time; below cores (default 0)."),
    ])
    static let pool = KeyTable(id: "pool", summary: "A client connection pool to one database.", keys: [
        Key("size", .integer(minimum: 1, maximum: UInt64(Limits.connections)), "Connections per instance and shard.", required: true),
        Key("wait", .duration(allowZero: false), "A wait for a connection longer than this fails the request."),
    ])
    static let operation = KeyTable(id: "operation", summary: "What an operation does: compute, then its steps in order.", keys: [
        Key("cpu", .distribution, "Time the operation computes while holding a worker."),
        Key("steps", .steps, "What it does besides computing, in order."),
    ])

    // MARK: Steps

    /// The keys that say what a step is; a step has exactly one.
    static let stepKinds: [Key] = [
        Key("call", .operation, "RPC to another service's operation, through the load balancer."),
        Key("parallel", .steps, "Fan-out: all run at once; the step ends when all end."),
        Key("delay", .distribution, "Waiting on something outside."),
        Key("cpu", .distribution, "More computing, holding the worker."),
        Key("cache_get", .text, "Looks up the request's key in this cache."),
        Key("cache_set", .text, "Stores the request's key in this cache."),
        Key("cache_delete", .text, "Invalidates the request's key in this cache."),
        Key("db_read", .text, "A read from this database."),
        Key("db_write", .text, "A write to this database's primary."),
    ]
    /// Keys allowed beside some step kinds: (key, the kinds it goes with).
    static let stepSideKeys: [(key: Key, owners: [String])] = [
        (Key("on_miss", .steps, "Steps run when the key is not in the cache."), ["cache_get"]),
        (Key("consistency", .choice(["strong", "eventual"]), "strong: always the primary."), ["db_read"]),
        (Key("key", .text, "The row's key: a key space (one key per request and space) or new (an insert); default the request's key."),
         ["db_read", "db_write"]),
        (Key("lock", .choice(["row"]), "row: writes of the same row run one at a time, FIFO."), ["db_write"]),
        (Key("lock_timeout", .duration(allowZero: false), "A row-lock wait longer than this fails the request."), ["db_write"]),
        (Key("timeout", .duration(allowZero: false), "The call fails when unanswered this long."), ["call"]),
        (Key("retries", .either([.integer(minimum: 0, maximum: UInt64(Limits.retries)), .map(retries)]),
             "Attempts after a failed one: a count or {count, backoff}."), ["call"]),
        (Key("circuit_breaker", .map(circuitBreaker), "Stops calling while the callee fails ({} for the defaults)."), ["call"]),
    ]
    /// Every key a step may hold, kinds first.
    static var stepKeys: [String] { stepKinds.map(\.name) + stepSideKeys.map(\.key.name) }
    /// The table of one step kind: the kind's key and the side keys that go with it.
    static func step(_ kind: Key) -> KeyTable {
        KeyTable(id: "step_" + kind.name, summary: kind.summary,
                 keys: [Key(kind.name, kind.kind, kind.summary, required: true)]
                     + stepSideKeys.filter { $0.owners.contains(kind.name) }.map(\.key))
    }

    // MARK: Resilience

    static let retries = KeyTable(id: "retries", summary: "Retries of a failed call.", keys: [
        Key("count", .integer(minimum: 0, maximum: UInt64(Limits.retries)), "Attempts after a failed one.", required: true),
        Key("backoff", .distribution, "Wait before each retry."),
    ])
    static let circuitBreaker = KeyTable(id: "circuit_breaker", summary: "A circuit breaker on one call step.", keys: [
        Key("error_rate", .fraction, "Opens when this share of calls in the window fail."),
        Key("window", .duration(allowZero: false), "The window the error rate is measured over."),
        Key("min_calls", .integer(minimum: 1, maximum: UInt64(Limits.thresholdCount)), "Calls in the window before it may open."),
        Key("open_for", .duration(allowZero: false), "How long it stays open."),
    ])
    static let healthCheck = KeyTable(id: "health_check", summary: "The balancer's probe of each instance.", keys: [
        Key("interval", .duration(allowZero: false), "Time between probes."),
        Key("unhealthy_after", .integer(minimum: 1, maximum: UInt64(Limits.thresholdCount)), "Failed probes before an instance is taken out."),
    ])
    static let autoscale = KeyTable(id: "autoscale", summary: "Instances added and removed with utilization.", keys: [
        Key("min", .integer(minimum: 1, maximum: UInt64(Limits.instances)), "Fewest instances.", required: true),
        Key("max", .integer(minimum: 1, maximum: UInt64(Limits.instances)), "Most instances.", required: true),
        Key("target_utilization", .fraction, "Utilization the autoscaler aims at."),
        Key("interval", .duration(allowZero: false), "Time between decisions."),
        Key("warmup", .duration(allowZero: true), "Time a new instance takes before it serves."),
    ])
    static let failover = KeyTable(id: "failover", summary: "Promotion of a replica when the primary crashes.", keys: [
        Key("after", .duration(allowZero: true), "How long before the most up-to-date replica is promoted.", required: true),
    ])

    // MARK: Caches and databases

    static let cache = KeyTable(id: "cache", summary: "A distributed cache; keys are spread over nodes by hash.", keys: [
        Key("nodes", .integer(minimum: 1, maximum: UInt64(Limits.cacheNodes)), "Nodes (default 1)."),
        Key("capacity", .integer(minimum: 1, maximum: UInt64(Limits.cacheCapacity)), "Entries, all nodes together.", required: true),
        Key("eviction", .choice(EvictionPolicy.allCases.map(\.rawValue)), "Which entry goes when full (default lru)."),
        Key("ttl", .duration(allowZero: false), "Entries expire this long after they were set."),
        Key("latency", .distribution, "Time of each cache operation (with service: the network round trip, half before, half after)."),
        Key("workers", .integer(minimum: 1, maximum: UInt64(Limits.workers)), "Operations at once per node (Redis: 1); default unbounded."),
        Key("service", .distribution, "Time an operation holds a node's worker; a hot key saturates its node."),
        costKey("What one node costs per hour (any currency)."),
    ])
    static let database = KeyTable(id: "database", summary: "A primary and its replicas.", keys: [
        Key("primary", .map(primary), "The primary server.", required: true),
        Key("replicas", .either([.integer(minimum: 0, maximum: UInt64(Limits.replicas)), .map(replicas)]),
            "A replica count, or {count, connections, read, apply, apply_workers}."),
        Key("reads_from", .choice(ReadSource.allCases.map(\.rawValue)), "Where reads go (default: replicas when there are any)."),
        Key("replication_lag", .distribution, "Time a committed write takes to reach a replica."),
        Key("replica_balancer", .map(balancer), "How reads are spread over replicas (default least_connections)."),
        Key("failover", .map(failover), "Promote a replica when the primary crashes."),
        Key("shards", .integer(minimum: 1, maximum: UInt64(Limits.shards)),
            "Key-hash shards, each its own primary and replicas (default 1)."),
    ])
    static let primary = KeyTable(id: "primary", summary: "A database server.", keys: [
        Key("connections", .integer(minimum: 1, maximum: UInt64(Limits.connections)), "Queries executing at once.", required: true),
        Key("read", .distribution, "Time of a read (whose row is in memory, with a buffer pool).", required: true),
        Key("write", .distribution, "Time of a write.", required: true),
    ] + storage)
    /// Version 1.1 keys a primary and its replicas take alike.
    static let storage = [
        Key("host", .text, "The host it runs on (a shard's primary on machine shard mod count, replica r on r mod count)."),
        Key("max_connections", .integer(minimum: 1, maximum: UInt64(Limits.connections)),
            "Queries present at once, executing or waiting (≥ connections); past it a query is rejected."),
        Key("buffer_pool", .map(bufferPool), "Rows kept in memory (LRU); a keyed read that misses reads its row from disk."),
        Key("disks", .integer(minimum: 1, maximum: UInt64(Limits.connections)), "Disk reads at once (default unbounded)."),
        Key("commit", .map(commit), "Every write waits for its redo-log flush."),
        costKey("What one server costs per hour (any currency); not with host (the host's cost covers it)."),
    ]
    static let bufferPool = KeyTable(id: "buffer_pool", summary: "A database server's buffer pool.", keys: [
        Key("capacity", .integer(minimum: 1, maximum: UInt64(Limits.cacheCapacity)), "Rows kept in memory.", required: true),
        Key("miss", .distribution, "The disk read of a row not in memory.", required: true),
    ])
    static let commit = KeyTable(id: "commit", summary: "A database server's redo log.", keys: [
        Key("flush", .distribution, "Time of one log flush, whatever its size.", required: true),
        Key("group", .boolean, "true: a flush takes every commit waiting when it starts (default false)."),
    ])
    static let replicas = KeyTable(id: "replicas", summary: "The replicas of a database.", keys: [
        Key("count", .integer(minimum: 0, maximum: UInt64(Limits.replicas)), "How many replicas.", required: true),
        Key("connections", .integer(minimum: 1, maximum: UInt64(Limits.connections)), "Queries executing at once per replica."),
        Key("read", .distribution, "Time of a read on a replica."),
        Key("apply", .distribution, "Time to apply one replicated write."),
        Key("apply_workers", .integer(minimum: 1, maximum: UInt64(Limits.connections)), "Replicated writes applied at once."),
    ] + storage)

    // MARK: Faults

    static let fault = KeyTable(id: "fault", summary: "A crash or slowdown of one component.", keys: [
        Key("at", .duration(allowZero: true), "When it starts (simulated time).", required: true),
        Key("target", .faultTarget, "app[0], product_cache[1], main.primary, main.replica[2], main[3].primary for a shard, or box[0] for a host machine.",
            required: true),
        Key("kind", .choice(["crash", "slow"]), "crash: down; slow: service times multiplied by factor.", required: true),
        Key("factor", .number(allowZero: false, maximum: Limits.slowFactor), "The slowdown of kind: slow."),
        Key("for", .duration(allowZero: false), "How long it lasts (default: to the end)."),
    ])

    // MARK: Sweeps

    static let sweep = KeyTable(id: "sweep", summary: "An ArchSim sweep: a base scenario run at every point of a grid or list.", keys: [
        Key("scenario", .path, "The base scenario file, relative to this file.", required: true),
        Key("replications", .integer(minimum: 1, maximum: nil), "Replications per point, overriding the scenario's."),
        Key("grid", .named(.list(.any, minimum: 1), minimum: 1, anyName: true),
            "Key path -> values: every combination, first key slowest (or points). `replication: [0, 1, …]` runs one replication of the scenario per point."),
        Key("points", .list(.named(.any, minimum: 1, anyName: true), minimum: 1),
            "A list of points, each key path -> value, all setting the same key paths (or grid)."),
    ])
}
