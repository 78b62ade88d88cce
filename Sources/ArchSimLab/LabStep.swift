// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimReport
import Foundation

/// One of the article's evolution steps as real processes on this machine, the counterpart of
/// `scenarios/evolution/0N-*.yaml`:
///
/// 1. monolith: one backend process over PostgreSQL on the same machine;
/// 2. cluster: nginx (round robin, `proxy_next_upstream error`) in front of N backend processes;
/// 4. cache: plus Redis as the backends' cache-aside product cache (invalidated by orders, with a TTL);
/// 5. read-write split: plus streaming replicas of PostgreSQL; reads go to the replicas, writes
///    and strong reads to the primary.
///
/// Step 3 (the vertical split into services) has no process of its own here: the backend is
/// one process whose route groups are the services (see ``BackendApp``), so step 4 builds on
/// step 2. Every process runs on loopback as the lab's unprivileged user, and on this
/// machine's cores: adding backends or replicas adds processes, not cores.
public struct LabStep: Sendable {
    public var number: Int
    /// Backend processes (step 1: one).
    public var backends: Int
    /// Streaming replicas (step 5).
    public var replicas: Int
    public var catalogueProducts = 100_000
    public var catalogueUsers = 1_000_000
    public var catalogueSeed: UInt64 = 42
    /// Connections each backend opens at most to each PostgreSQL server.
    public var connections = 10
    /// Seconds a product lives in Redis (step 4 on).
    public var cacheTTL = 60.0
    public var postgres = PostgreSQLSettings()
    public var redis = RedisSettings()
    public var nginx = NginxSettings()

    /// The steps that are built.
    public static let built = [1, 2, 4, 5]

    /// Why a step is not built, or nil when it is.
    public static func unavailable(_ step: Int) -> String? {
        switch step {
        case 1, 2, 4, 5: return nil
        case 3: return "step 3 (the vertical split into services) has no real counterpart: the backend is one process whose route groups are the services; steps 1, 2, 4 and 5 are built"
        case 6: return "step 6 (the article's further optimisations) has no real counterpart yet; steps 1, 2, 4 and 5 are built"
        default: return "expected an evolution step 1, 2, 4 or 5, got \(step)"
        }
    }

    /// The scenario that models the step.
    public var scenario: String {
        ["scenarios/evolution/01-monolith.yaml", "scenarios/evolution/02-cluster.yaml", "scenarios/evolution/03-vertical-split.yaml",
         "scenarios/evolution/04-cache.yaml", "scenarios/evolution/05-read-write-split.yaml"][max(1, min(number, 5)) - 1]
    }

    public init(number: Int, backends: Int? = nil, replicas: Int? = nil) {
        self.number = number
        self.backends = number == 1 ? 1 : backends ?? 2
        self.replicas = number >= 5 ? replicas ?? 1 : 0
        postgres.superuserReservedConnections = 3
    }

    /// What is running once the step is up.
    public struct Running: Sendable {
        /// Where requests go: nginx from step 2, else the one backend.
        public var entryPort: Int
        public var primary: PostgreSQLServer
        public var replicas: [PostgreSQLServer]
        public var redis: RedisServer?
        public var backends: [LabBackend]
        public var nginx: NginxServer?
        public var entryURL: String { "http://127.0.0.1:\(entryPort)" }
    }

    static func url(_ s: PostgreSQLServer) -> String { "postgres://\(PostgreSQLServer.role)@127.0.0.1:\(s.port)/postgres" }

    /// Starts the step's processes in `lab`, databases first; `program` is the archsim
    /// executable the backends run. `progress` hears each one as it comes up. On failure the
    /// caller stops the lab (``Lab/down()``): what started is recorded.
    public func up(lab: Lab, program: String, progress: @Sendable (String) -> Void = { _ in }) async throws -> Running {
        if let why = Self.unavailable(number) { throw LabError(why) }
        guard (1...32).contains(backends) else { throw LabError("backends: expected 1...32, got \(backends)") }
        guard (0...4).contains(replicas) else { throw LabError("replicas: expected 0...4, got \(replicas)") }
        let needed = (backends * connections + 3)
        guard needed <= postgres.maxConnections else {
            throw LabError("\(backends) backends × \(connections) connections need max_connections ≥ \(needed) (3 kept for the operator); it is \(postgres.maxConnections)")
        }
        if number >= 2 { _ = try NginxServer.locate() }
        if number >= 4 { _ = try RedisServer.locate() }
        let primary = try await lab.startPostgreSQL(name: "primary", settings: postgres)
        progress("PostgreSQL primary: \(Self.url(primary))")
        var replicaServers: [PostgreSQLServer] = []
        for i in 0..<replicas {
            let r = try await lab.startReplica(of: primary, name: "replica-\(i + 1)")
            replicaServers.append(r)
            progress("PostgreSQL streaming replica \(i + 1): \(Self.url(r))")
        }
        var cache: RedisServer?
        if number >= 4 {
            let r = try await lab.startRedis(name: "redis", settings: redis)
            cache = r
            progress("Redis: redis://127.0.0.1:\(r.port)")
        }
        var arguments = ["backend", "serve", "--storage", Self.url(primary), "--connections", String(connections),
                         "--products", String(catalogueProducts), "--users", String(catalogueUsers), "--catalogue-seed", String(catalogueSeed)]
        for r in replicaServers { arguments += ["--replica", Self.url(r)] }
        if let cache {
            arguments += ["--cache", "redis://127.0.0.1:\(cache.port)", "--cache-ttl", String(cacheTTL)]
        } else {
            arguments += ["--cache", "none"]
        }
        let program = try lab.runnable(program)
        var started: [LabBackend] = []
        for i in 0..<backends {
            // The first creates the catalogue (on the primary, then replayed by the replicas).
            let b = try await lab.startBackend(name: "backend-\(i + 1)", program: program, arguments: arguments,
                                               timeout: i == 0 ? 600 : 120)
            started.append(b)
            progress("backend \(i + 1): http://127.0.0.1:\(b.port)")
        }
        var proxy: NginxServer?
        if number >= 2 {
            let n = try await lab.startNginx(name: "nginx", upstreams: started.map(\.port), settings: nginx)
            proxy = n
            progress("nginx: http://127.0.0.1:\(n.port) → \(started.count) backends")
        }
        return Running(entryPort: proxy?.port ?? started[0].port, primary: primary, replicas: replicaServers, redis: cache,
                       backends: started, nginx: proxy)
    }

    /// Every setting of the step's components: component, setting, value.
    public func settingsTable(running: Running?) -> CSVTable {
        var t = CSVTable(header: ["component", "setting", "value"])
        t.append(["step", "number", String(number)])
        t.append(["step", "scenario", scenario])
        t.append(["postgresql", "servers", "1 primary + \(replicas) streaming replicas"])
        for (k, v) in postgres.entries { t.append(["postgresql", k, v]) }
        t.append(["backend", "processes", String(backends)])
        t.append(["backend", "connections per server (pool)", String(connections)])
        t.append(["backend", "catalogue", "\(catalogueProducts) products, \(catalogueUsers) users, seed \(catalogueSeed)"])
        t.append(["backend", "reads", replicas > 0 ? "replicas, round robin (strong reads: primary)" : "primary"])
        t.append(["backend", "cache", number >= 4 ? "redis, cache-aside, TTL \(cacheTTL) s, invalidated by orders" : "none"])
        if number >= 4 { for (k, v) in redis.entries { t.append(["redis", k, v]) } }
        if number >= 2 { for (k, v) in nginx.entries { t.append(["nginx", k, v]) } }
        if let running { t.append(["entry", "url", running.entryURL]) }
        return t
    }
}
