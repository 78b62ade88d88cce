// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimKernel
import ArchSimModel
import Foundation
import PostgresNIO

/// PostgreSQL's buffer hit ratio under a Zipf page load larger than shared_buffers, against Che's
/// approximation for LRU (the model ArchSim's `buffer_pool:` uses).
///
/// The table holds one row per 8 kB page (5,000-byte rows stored plain: no TOAST, no
/// compression); each read fetches page p by its tuple id, `WHERE ctid = '(p,1)'` (a TID scan:
/// one heap page, no index), so a read is exactly one reference to one page of the buffer pool.
/// Page ranks follow Zipf(s) through a seeded permutation. Real: the table's heap_blks_hit /
/// (hit + read) from pg_statio_user_tables over the measured reads (after a warm-up). Predicted:
/// Che with capacity = the buffers that hold the table's pages at the end (pg_buffercache),
/// which is shared_buffers less what catalogs and the like keep.
public struct BufferPoolCheck: Sendable {
    public var pages = 16_384
    public var sharedBuffers = "16MB"
    public var zipf = 0.9
    public var warmupReads = 100_000
    public var reads = 200_000
    public var connections = 4
    public var seed: UInt64 = 1
    public var tolerancePoints = 3.0

    public init() {}

    public func run(lab: Lab, server: PostgreSQLServer) async throws -> (MechanismResult, PostgreSQLServer) {
        let original = server.settings
        var settings = original
        settings.sharedBuffers = sharedBuffers
        let server = try await lab.restart(server, settings: settings)
        let admin = try await server.connect()
        for sql in [
            "CREATE EXTENSION IF NOT EXISTS pg_buffercache",
            "DROP TABLE IF EXISTS pages",
            "CREATE TABLE pages (id int, pad text) WITH (autovacuum_enabled = off)",
            "ALTER TABLE pages ALTER COLUMN pad SET STORAGE PLAIN",
            "INSERT INTO pages SELECT g, repeat('x', 5000) FROM generate_series(0, \(pages - 1)) g",
            "VACUUM ANALYZE pages",
        ] { try await admin.query(PostgresQuery(unsafeSQL: sql), logger: labLogger) }
        let relPages = try await single(admin, "SELECT (pg_relation_size('pages') / 8192)::int8")
        guard relPages == Int64(pages) else { throw LabError("pages: expected \(pages) heap pages, found \(relPages)") }
        var plan = ""
        for try await (line) in try await admin.query("EXPLAIN SELECT length(pad) FROM pages WHERE ctid = ('(' || 7::text || ',1)')::tid", logger: labLogger).decode(String.self) {
            plan += line + "\n"
        }
        guard plan.contains("Tid Scan") else { throw LabError("buffer check: expected a TID scan, PostgreSQL planned:\n\(plan)") }

        let (warm, measured) = zipfKeys(count: pages, s: zipf, seed: seed, name: "buffer", warmup: warmupReads, measured: reads)

        try await readAll(warm, server: server)
        let before = try await heapCounters(admin)
        try await readAll(measured, server: server)
        // A backend's table counters reach the shared statistics when it ends (readAll closes its
        // connections) or at most every second while idle: wait until they stop moving.
        var after = try await heapCounters(admin)
        for _ in 0..<20 {
            try await Task.sleep(for: .milliseconds(250))
            let again = try await heapCounters(admin)
            if again == after && after.hit + after.read - before.hit - before.read >= Int64(reads) { break }
            after = again
        }
        let hits = after.hit - before.hit, misses = after.read - before.read
        guard hits + misses >= Int64(reads) else {
            throw LabError("buffer check: PostgreSQL counted \(hits + misses) heap block references for \(reads) reads")
        }
        let nBuffers = try await single(admin, "SELECT count(*)::int8 FROM pg_buffercache")
        let held = try await single(admin, """
            SELECT count(*)::int8 FROM pg_buffercache WHERE relfilenode = pg_relation_filenode('pages')
              AND reldatabase = (SELECT oid FROM pg_database WHERE datname = current_database())
            """)
        try await admin.close()

        let predicted = Self.cheLRU(pages: pages, s: zipf, capacity: Double(held))
        let sim = try LabSimulation.run("buffer-pool", yaml: LabSimulation.scenario(
            name: "buffer-pool", seed: seed, duration: "40s", warmup: "20s", rate: 5000,
            keys: "    pages: {count: \(pages), popularity: zipf(s=\(zipf))}",
            requests: "    read: {weight: 1, key: pages}", routes: "read: client.read",
            operations: "        read: {steps: [{db_read: pg}]}",
            rest: """
              databases:
                pg:
                  primary:
                    connections: 1000000
                    read: constant(1us)
                    write: constant(1us)
                    buffer_pool: {capacity: \(held), miss: constant(1us)}
            """))
        var result = MechanismResult(
            check: "buffer_hit_ratio", theory: "Che LRU",
            setting: "\(pages) pages of 8 kB, Zipf \(zipf), shared_buffers \(sharedBuffers) (\(nBuffers) buffers), \(connections) connections",
            samples: reads, real: Double(hits) / Double(hits + misses), predicted: predicted,
            errorUnit: "points", tolerance: tolerancePoints,
            inputs: "capacity \(held) buffers holding the table; \(warmupReads) warm-up reads")
        result.simulated = try LabSimulation.metric(sim, "component/pg.primary:hit_ratio")
        return (result, try await lab.restart(server, settings: original))
    }

    /// Che's LRU hit ratio of `pages` pages under Zipf(s) with room for `capacity` of them.
    public static func cheLRU(pages: Int, s: Double, capacity: Double) -> Double {
        let h = ZipfSampler.harmonic(count: pages, s: s)
        let p = (1...pages).map { pow(Double($0), -s) / h }
        let t = CheApproximation.characteristicTime(policy: .lru, count: Array(repeating: 1, count: pages), rate: p,
                                                     deleteRate: Array(repeating: 0, count: pages), capacity: capacity)
        return p.reduce(0) { $0 + $1 * CheApproximation.hit(policy: .lru, rate: $1, deleteRate: 0, time: t, ttl: nil) }
    }

    /// Reads `keys` over `connections` connections, each taking every connections-th key in turn.
    private func readAll(_ keys: [Int32], server: PostgreSQLServer) async throws {
        let n = connections
        try await withThrowingTaskGroup(of: Void.self) { group in
            for w in 0..<n {
                group.addTask {
                    let c = try await server.connect()
                    var i = w
                    while i < keys.count {
                        let tid = "(\(keys[i]),1)"
                        let rows = try await c.query("SELECT length(pad) FROM pages WHERE ctid = \(tid)::tid", logger: labLogger)
                        for try await _ in rows {}
                        i += n
                    }
                    try await c.close()
                }
            }
            try await group.waitForAll()
        }
    }

    private func heapCounters(_ c: PostgresConnection) async throws -> Counters {
        let rows = try await c.query("SELECT heap_blks_hit, heap_blks_read FROM pg_statio_user_tables WHERE relname = 'pages'", logger: labLogger)
        for try await (hit, read) in rows.decode((Int64, Int64).self) { return Counters(hit: hit, read: read) }
        throw LabError("pg_statio_user_tables has no row for the table pages")
    }

    struct Counters: Equatable { var hit: Int64; var read: Int64 }
}

/// The first column of the first row of `sql`, as an integer.
func single(_ c: PostgresConnection, _ sql: String) async throws -> Int64 {
    for try await (v) in try await c.query(PostgresQuery(unsafeSQL: sql), logger: labLogger).decode(Int64.self) { return v }
    throw LabError("no row from: \(sql)")
}
