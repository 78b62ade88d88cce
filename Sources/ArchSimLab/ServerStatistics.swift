// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimBackend
import Foundation
import PostgresNIO

/// What a step's servers say about themselves over a level's runs, beside what the load
/// generator and `/proc` see (`real_vs_sim_servers.csv`):
///
/// - the primary's buffer hit ratio over the runs (`pg_stat_database`, the shop's database);
/// - its statements' execution times (`pg_stat_statements`, reset before the runs): the five
///   with the most total time, calls and mean;
/// - what its client backends wait on (`pg_stat_activity`, sampled every `interval`): per wait
///   event the share of active-backend samples (`CPU` when active and not waiting), and the mean
///   number of active backends;
/// - its lock waits (`pg_locks`, sampled with the waits): lock requests not granted, mean and
///   most per sample (row locks of orders on one product show here);
/// - the replicas' replay lag (`pg_stat_replication.replay_lag` on the primary, sampled);
/// - Redis's hit ratio (`keyspace_hits` / (hits + misses)) and microseconds per GET, SET and
///   DEL (`INFO commandstats`) over the runs.
///
/// The sampling costs PostgreSQL about ten small queries a second, on the lab's core.
public struct ServerStatistics: Sendable, Codable, Equatable {
    public struct Statement: Sendable, Codable, Equatable {
        public var query: String
        public var calls: Int64
        public var meanMs: Double
    }

    public var bufferHitRatio: Double?
    public var statements: [Statement] = []
    /// Wait event (`type:event`, or `CPU`) → samples of active client backends on it.
    public var waits: [String: Int] = [:]
    /// Samples taken (each counts every active client backend once).
    public var samples = 0
    /// `pg_locks` rows not granted, summed over the samples, and the most in one sample (nil in
    /// files measured before they were read).
    public var ungrantedLocks: Int?
    public var ungrantedLocksMax: Int?
    public var replayLagMs: [Double] = []
    public var redisHitRatio: Double?
    public var redisMicrosecondsPerCall: [String: Double] = [:]

    /// `body` run while the servers of `running` are watched.
    static func measure<T>(_ running: LabStep.Running, every interval: Double = 0.1,
                           _ body: () async throws -> T) async throws -> (T, ServerStatistics) {
        var stats = ServerStatistics()
        let admin = try await running.primary.connect()
        let redis: RedisClient?
        if let r = running.redis { redis = try await RedisClient.connect(port: r.port, timeout: .seconds(5)) } else { redis = nil }
        defer {
            admin.close().whenComplete { _ in }
            if let redis { Task { await redis.close() } }
        }
        try await admin.query("CREATE EXTENSION IF NOT EXISTS pg_stat_statements", logger: labLogger)
        try await admin.query("SELECT pg_stat_statements_reset()", logger: labLogger)
        let blocks = "SELECT blks_hit, blks_read FROM pg_stat_database WHERE datname = current_database()"
        let before = try await pair(admin, blocks)
        var redisBefore: (stats: [String: String], commands: [String: String])?
        if let redis { redisBefore = (try await redis.info("stats"), try await redis.info("commandstats")) }

        // The sampler: its own connection, so the statistics' queries above and below never wait on it.
        let sampling = try await running.primary.connect()
        let replicas = !running.replicas.isEmpty
        let sampler = Task { () -> (waits: [String: Int], samples: Int, locks: Int, locksMax: Int, lag: [Double]) in
            var waits: [String: Int] = [:], samples = 0, locks = 0, locksMax = 0, lag: [Double] = []
            let activity: PostgresQuery = """
                SELECT coalesce(wait_event_type || ':' || wait_event, 'CPU') FROM pg_stat_activity
                WHERE state = 'active' AND backend_type = 'client backend' AND pid <> pg_backend_pid()
                """
            let ungranted: PostgresQuery = "SELECT count(*) FROM pg_locks WHERE NOT granted"
            let replay: PostgresQuery = "SELECT extract(epoch FROM replay_lag)::float8 FROM pg_stat_replication WHERE replay_lag IS NOT NULL"
            while !Task.isCancelled {
                do {
                    for try await event in try await sampling.query(activity, logger: labLogger).decode(String.self) { waits[event, default: 0] += 1 }
                    for try await n in try await sampling.query(ungranted, logger: labLogger).decode(Int64.self) {
                        locks += Int(n); locksMax = max(locksMax, Int(n))
                    }
                    samples += 1
                    if replicas {
                        for try await seconds in try await sampling.query(replay, logger: labLogger).decode(Double.self) { lag.append(seconds * 1000) }
                    }
                    try await Task.sleep(nanoseconds: UInt64(interval * 1e9))
                } catch { break }
            }
            return (waits, samples, locks, locksMax, lag)
        }
        let result: T
        do { result = try await body() } catch {
            sampler.cancel(); _ = await sampler.value; try? await sampling.close()
            throw error
        }
        sampler.cancel()
        let sampled = await sampler.value
        try? await sampling.close()
        stats.waits = sampled.waits; stats.samples = sampled.samples; stats.replayLagMs = sampled.lag
        stats.ungrantedLocks = sampled.locks; stats.ungrantedLocksMax = sampled.locksMax

        let after = try await pair(admin, blocks)
        let hit = Double(after.0 - before.0), read = Double(after.1 - before.1)
        if hit + read > 0 { stats.bufferHitRatio = hit / (hit + read) }
        let top: PostgresQuery = """
            SELECT left(regexp_replace(query, '\\s+', ' ', 'g'), 80), calls, mean_exec_time FROM pg_stat_statements
            WHERE query NOT LIKE '%pg_stat%' AND query NOT LIKE '%pg_locks%' ORDER BY total_exec_time DESC LIMIT 5
            """
        for try await (query, calls, mean) in try await admin.query(top, logger: labLogger).decode((String, Int64, Double).self) {
            stats.statements.append(Statement(query: query, calls: calls, meanMs: mean))
        }
        if let redis, let redisBefore {
            let (statsBefore, commandsBefore) = redisBefore
            let (statsAfter, commandsAfter) = (try await redis.info("stats"), try await redis.info("commandstats"))
            func count(_ info: [String: String], _ key: String) -> Double { Double(info[key] ?? "") ?? 0 }
            let hits = count(statsAfter, "keyspace_hits") - count(statsBefore, "keyspace_hits")
            let misses = count(statsAfter, "keyspace_misses") - count(statsBefore, "keyspace_misses")
            if hits + misses > 0 { stats.redisHitRatio = hits / (hits + misses) }
            for command in ["get", "set", "del"] {
                let a = Self.commandStat(commandsBefore["cmdstat_\(command)"]), b = Self.commandStat(commandsAfter["cmdstat_\(command)"])
                if b.calls > a.calls { stats.redisMicrosecondsPerCall[command] = (b.usec - a.usec) / (b.calls - a.calls) }
            }
        }
        return (result, stats)
    }

    /// `calls=…,usec=…,…` of an `INFO commandstats` line.
    static func commandStat(_ line: String?) -> (calls: Double, usec: Double) {
        var calls = 0.0, usec = 0.0
        for part in (line ?? "").split(separator: ",") {
            let kv = part.split(separator: "=", maxSplits: 1)
            guard kv.count == 2 else { continue }
            if kv[0] == "calls" { calls = Double(kv[1]) ?? 0 }
            if kv[0] == "usec" { usec = Double(kv[1]) ?? 0 }
        }
        return (calls, usec)
    }

    private static func pair(_ c: PostgresConnection, _ sql: String) async throws -> (Int64, Int64) {
        for try await row in try await c.query(PostgresQuery(unsafeSQL: sql), logger: labLogger).decode((Int64, Int64).self) { return row }
        throw LabError("no row from: \(sql)")
    }

    /// One line for the log: hit ratios, the main waits, the lag.
    public var summary: String {
        var parts: [String] = []
        if let h = bufferHitRatio { parts.append(String(format: "buffer hits %.4f", h)) }
        let active = waits.values.reduce(0, +)
        if samples > 0 {
            let top = waits.sorted { ($1.value, $0.key) < ($0.value, $1.key) }.prefix(3)
                .map { String(format: "%@ %.0f%%", $0.key, Double($0.value) / Double(max(active, 1)) * 100) }
            parts.append(String(format: "%.2f active backends (%@)", Double(active) / Double(samples), top.joined(separator: ", ")))
            if let locks = ungrantedLocks { parts.append(String(format: "%.3f lock waits", Double(locks) / Double(samples))) }
        }
        if !replayLagMs.isEmpty { parts.append(String(format: "replay lag mean %.2f ms", replayLagMs.reduce(0, +) / Double(replayLagMs.count))) }
        if let h = redisHitRatio { parts.append(String(format: "Redis hits %.3f", h)) }
        return parts.joined(separator: "; ")
    }

    /// Rows of real_vs_sim_servers.csv (`server, metric, detail, value`) for one level.
    public func rows() -> [[String]] {
        var r: [[String]] = []
        func f(_ v: Double, _ d: Int = 4) -> String { String(format: "%.\(d)f", v) }
        if let h = bufferHitRatio { r.append(["primary", "buffer_hit_ratio", "", f(h)]) }
        if samples > 0 {
            let active = waits.values.reduce(0, +)
            r.append(["primary", "active_backends_mean", "", f(Double(active) / Double(samples), 3)])
            for (event, n) in waits.sorted(by: { ($1.value, $0.key) < ($0.value, $1.key) }) {
                r.append(["primary", "wait_share", event, f(Double(n) / Double(max(active, 1)))])
            }
            if let locks = ungrantedLocks, let most = ungrantedLocksMax {
                r.append(["primary", "lock_waits_mean", "", f(Double(locks) / Double(samples), 3)])
                r.append(["primary", "lock_waits_max", "", String(most)])
            }
        }
        for s in statements {
            r.append(["primary", "statement_calls", s.query, String(s.calls)])
            r.append(["primary", "statement_mean_ms", s.query, f(s.meanMs)])
        }
        if !replayLagMs.isEmpty {
            let sorted = replayLagMs.sorted()
            r.append(["replicas", "replay_lag_mean_ms", "", f(sorted.reduce(0, +) / Double(sorted.count), 3)])
            r.append(["replicas", "replay_lag_max_ms", "", f(sorted.last!, 3)])
        }
        if let h = redisHitRatio { r.append(["redis", "hit_ratio", "", f(h)]) }
        for (command, us) in redisMicrosecondsPerCall.sorted(by: { $0.key < $1.key }) { r.append(["redis", "usec_per_call", command, f(us, 2)]) }
        return r
    }
}
