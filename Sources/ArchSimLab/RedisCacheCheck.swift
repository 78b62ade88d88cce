// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimBackend
import ArchSimKernel
import Foundation

/// Redis as a cache-aside cache under a Zipf key load larger than its memory, against Che's LRU
/// approximation (the model of ArchSim's `caches:` with `eviction: lru`).
///
/// Keys `k:<id>`, values of `valueBytes` bytes; each request GETs its key and, on a miss, SETs
/// it (cache-aside), over `connections` connections with the RESP client. Redis evicts with
/// allkeys-lru — an approximation: the oldest of 5 sampled keys, through a pool of 16
/// candidates. Real: keyspace_hits / (hits + misses) from INFO stats over the measured requests
/// (after a warm-up). Predicted: Che with capacity = the keys Redis holds at the end (DBSIZE).
public struct RedisCacheCheck: Sendable {
    public var keys = 100_000
    public var valueBytes = 1_000
    public var maxMemory = "32mb"
    public var zipf = 0.9
    public var warmupRequests = 100_000
    public var requests = 200_000
    public var connections = 4
    public var seed: UInt64 = 5
    public var tolerancePoints = 3.0

    public init() {}

    public func run(lab: Lab) async throws -> MechanismResult {
        var settings = RedisSettings()
        settings.maxMemory = maxMemory
        let redis = try await lab.startRedis(name: "redis", settings: settings)
        let (warm, measured) = zipfKeys(count: keys, s: zipf, seed: seed, name: "redis", warmup: warmupRequests, measured: requests)
        let value = String(repeating: "v", count: valueBytes)

        try await cacheAside(warm, port: redis.port, value: value)
        let before = try await RedisClient.withConnection(port: redis.port) { try await $0.info("stats") }
        try await cacheAside(measured, port: redis.port, value: value)
        let (after, held, memory, commands) = try await RedisClient.withConnection(port: redis.port) { c in
            let stats = try await c.info("stats")
            guard case .integer(let n) = try await c.command(["DBSIZE"]) else { throw LabError("DBSIZE: not an integer") }
            return (stats, n, try await c.info("memory"), try await c.info("commandstats"))
        }
        func count(_ info: [String: String], _ key: String) throws -> Int64 {
            guard let v = info[key].flatMap({ Int64($0) }) else { throw LabError("Redis INFO has no \(key)") }
            return v
        }
        let hits = try count(after, "keyspace_hits") - count(before, "keyspace_hits")
        let misses = try count(after, "keyspace_misses") - count(before, "keyspace_misses")
        guard hits + misses == Int64(requests) else {
            throw LabError("Redis check: Redis counted \(hits + misses) lookups for \(requests) GETs")
        }
        let evicted = try count(after, "evicted_keys")
        guard evicted > 0 else { throw LabError("Redis check: nothing was evicted; the key space fits in \(maxMemory)") }
        func usecPerCall(_ command: String) -> String {
            // cmdstat_get:calls=…,usec=…,usec_per_call=1.23,…
            commands["cmdstat_" + command]?.split(separator: ",").first { $0.hasPrefix("usec_per_call=") }
                .map { String($0.dropFirst("usec_per_call=".count)) } ?? "?"
        }
        let predicted = BufferPoolCheck.cheLRU(pages: keys, s: zipf, capacity: Double(held))
        // The simulator: a one-node LRU cache of the capacity Redis held, cache-aside.
        let sim = try LabSimulation.run("redis", yaml: LabSimulation.scenario(
            name: "redis", seed: seed, duration: "40s", warmup: "20s", rate: 5000,
            keys: "    k: {count: \(keys), popularity: zipf(s=\(zipf))}",
            requests: "    get: {weight: 1, key: k}", routes: "get: client.get",
            operations: "        get: {steps: [{cache_get: c, on_miss: [{cache_set: c}]}]}",
            rest: """
              caches:
                c: {nodes: 1, capacity: \(held), eviction: lru, latency: constant(1us)}
            """))
        var result = MechanismResult(
            check: "redis_hit_ratio", theory: "Che LRU",
            setting: "\(keys) keys of \(valueBytes) B, Zipf \(zipf), cache-aside, maxmemory \(maxMemory) allkeys-lru (5 samples), \(connections) connections",
            samples: requests, real: Double(hits) / Double(hits + misses), predicted: predicted,
            errorUnit: "points", tolerance: tolerancePoints,
            inputs: "capacity \(held) keys held (used_memory \(memory["used_memory_human"] ?? "?")); \(evicted) evictions; GET \(usecPerCall("get")) us/call, SET \(usecPerCall("set")) us/call; \(warmupRequests) warm-up requests")
        result.simulated = try LabSimulation.metric(sim, "component/c:hit_ratio")
        return result
    }

    /// GET each key; SET it on a miss. `connections` clients, each taking every connections-th key.
    private func cacheAside(_ ids: [Int32], port: Int, value: String) async throws {
        let n = connections
        try await withThrowingTaskGroup(of: Void.self) { group in
            for w in 0..<n {
                group.addTask {
                    try await RedisClient.withConnection(port: port) { c in
                        var i = w
                        while i < ids.count {
                            let key = "k:\(ids[i])"
                            if try await c.get(key) == nil { try await c.set(key, value) }
                            i += n
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
    }
}
