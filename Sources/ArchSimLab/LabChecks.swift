// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimReport
import Foundation

/// `archsim lab check`: the mechanism checks against one real PostgreSQL server (started for the
/// first check that needs it), a streaming replica and a Redis server (when those checks run), in
/// order, and the files they leave (real_vs_theory.csv, settings.csv). The server is restarted between checks when a check needs
/// other settings (shared_buffers, max_connections).
public struct LabChecks: Sendable {
    public enum Kind: String, CaseIterable, Sendable { case buffer, hotRow = "hot-row", connections, staleReads = "stale-reads", redis }

    public var kinds: [Kind] = Kind.allCases
    public var buffer = BufferPoolCheck()
    public var hotRow = HotRowCheck()
    public var connections = ConnectionLimitCheck()
    public var staleReads = StaleReadCheck()
    public var redis = RedisCacheCheck()
    public var base = PostgreSQLSettings()

    public init() {}

    /// A few seconds per check: what CI runs. Same mechanisms, smaller table and shorter loads.
    public static var quick: LabChecks {
        var c = LabChecks()
        c.buffer.pages = 4_096; c.buffer.sharedBuffers = "8MB"; c.buffer.warmupReads = 30_000; c.buffer.reads = 60_000
        c.hotRow.duration = 45
        c.connections.hold = 0.050; c.connections.duration = 20
        c.staleReads.duration = 20
        c.redis.keys = 20_000; c.redis.maxMemory = "8mb"; c.redis.warmupRequests = 30_000; c.redis.requests = 60_000
        return c
    }

    /// Whether any of the checks to run needs PostgreSQL (only the Redis check does not).
    public var needsPostgreSQL: Bool { kinds.contains { $0 != .redis } }

    public func run(lab: Lab, progress: @Sendable (String) -> Void) async throws -> [MechanismResult] {
        // PostgreSQL starts when the first check that needs it comes, not for a Redis check alone.
        var started: PostgreSQLServer?
        func primary() async throws -> PostgreSQLServer {
            if let s = started { return s }
            let s = try await lab.startPostgreSQL(name: "primary", settings: base)
            progress("PostgreSQL \(try postgresVersion(s)) on 127.0.0.1:\(s.port), data in \(s.dataDirectory)")
            started = s
            return s
        }
        var results: [MechanismResult] = []
        var replica: PostgreSQLServer?
        for kind in kinds {
            let r: MechanismResult
            switch kind {
            case .buffer:
                progress("buffer hit ratio: \(buffer.pages) pages, shared_buffers \(buffer.sharedBuffers), \(buffer.warmupReads) + \(buffer.reads) reads…")
                (r, started) = try await buffer.run(lab: lab, server: primary())
            case .hotRow:
                progress(String(format: "hot row: utilisation %.2f, hold %.0f ms, %.0f s…", hotRow.utilisation, hotRow.hold * 1000, hotRow.duration))
                r = try await hotRow.run(lab: lab, server: primary())
            case .connections:
                progress(String(format: "connection limit: max_connections %d, %.1f erlangs, %.0f s…", connections.maxConnections, connections.offered, connections.duration))
                (r, started) = try await connections.run(lab: lab, server: primary())
            case .staleReads:
                let server = try await primary()
                if replica == nil {
                    progress("streaming replica: pg_basebackup of the primary…")
                    replica = try await lab.startReplica(of: server, name: "replica")
                }
                progress(String(format: "stale reads: writes %.0f/s on the primary, reads %.0f/s on the replica, %.0f s…",
                                staleReads.writeRate, staleReads.readRate, staleReads.duration))
                r = try await staleReads.run(lab: lab, primary: server, replica: replica!)
            case .redis:
                progress("Redis hit ratio: \(redis.keys) keys of \(redis.valueBytes) B, maxmemory \(redis.maxMemory), \(redis.warmupRequests) + \(redis.requests) requests…")
                r = try await redis.run(lab: lab)
            }
            progress(String(format: "  real %.4f, predicted %.4f, error %+.2f %@ (tolerance %.0f): %@", r.real, r.predicted, r.error,
                            r.errorUnit, r.tolerance, r.within ? "within" : "OUTSIDE"))
            if let sim = r.simulated, let e = r.simulatedError {
                progress(String(format: "  simulated by archsim %.4f, error %+.2f %@: %@", sim, e, r.errorUnit, abs(e) <= r.tolerance ? "within" : "OUTSIDE"))
            }
            results.append(r)
        }
        return results
    }

    /// settings.csv: every setting of the server the checks ran on, and what each check changed.
    public func settingsTable(version: String, redisVersion: String? = nil) -> CSVTable {
        var t = CSVTable(header: ["component", "check", "setting", "value"])
        if needsPostgreSQL {
            t.append(["postgresql", "all", "version", version])
            for (k, v) in base.entries { t.append(["postgresql", "all", k, v]) }
        }
        for kind in kinds {
            switch kind {
            case .buffer: t.append(["postgresql", "buffer_hit_ratio", "shared_buffers", buffer.sharedBuffers])
            case .hotRow: break
            case .staleReads: t.append(["postgresql", "stale_read_fraction", "replica", "streaming (pg_basebackup -R), hot_standby on"])
            case .redis:
                var settings = RedisSettings()
                settings.maxMemory = redis.maxMemory
                if let v = redisVersion { t.append(["redis", "redis_hit_ratio", "version", v]) }
                for (k, v) in settings.entries { t.append(["redis", "redis_hit_ratio", k, v]) }
            case .connections:
                t.append(["postgresql", "connection_blocking", "max_connections", String(connections.maxConnections)])
                t.append(["postgresql", "connection_blocking", "superuser_reserved_connections", "0"])
            }
        }
        return t
    }

    /// `postgres --version`'s number (e.g. "15.18").
    public func postgresVersion(_ server: PostgreSQLServer) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: server.binDirectory + "/postgres")
        p.arguments = ["--version"]
        let pipe = Pipe()
        p.standardOutput = pipe
        try p.run()
        p.waitUntilExit()
        let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        // "postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)"
        let words = text.split(separator: " ")
        return words.count > 2 ? String(words[2]) : text.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

/// `redis-server --version`'s number (e.g. "7.0.15").
public func redisServerVersion() -> String? {
    guard let program = try? RedisServer.locate() else { return nil }
    let p = Process()
    p.executableURL = URL(fileURLWithPath: program)
    p.arguments = ["--version"]
    let pipe = Pipe()
    p.standardOutput = pipe
    guard (try? p.run()) != nil else { return nil }
    p.waitUntilExit()
    // "Redis server v=7.0.15 sha=… malloc=… bits=64 build=…"
    let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    return text.split(separator: " ").first { $0.hasPrefix("v=") }.map { String($0.dropFirst(2)) }
}
