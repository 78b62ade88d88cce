// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimKernel
import Foundation
import PostgresNIO

/// One hot row updated by Poisson arrivals, against M/G/1 (Pollaczek–Khinchine) from the
/// measured hold times: the row lock is a single server, every transaction holds it from its
/// UPDATE until its commit is durable (synchronous_commit = on).
///
/// Each transaction is one call, `SELECT hot_update(h)`: UPDATE the row, note clock_timestamp()
/// (the lock is held from here), sleep h (exponential, mean `hold`), return; the commit follows
/// (WAL flush) and releases the lock. Per transaction the client measures, on the machine's one
/// real-time clock: sent → lock taken (wait, plus the statement's start), lock taken → answer
/// received (the hold: sleep, commit, answer). Predicted mean latency = start overhead (measured
/// alone, before the load) + λE[S²]/(2(1 − ρ)) + E[S], with λ, E[S] and E[S²] from this run.
public struct HotRowCheck: Sendable {
    /// Mean of the sleep inside the lock (s).
    public var hold = 0.010
    /// Offered utilisation of the row lock. At 0.5 over 120 s (about 5,000 transactions) the
    /// sampling error of the mean latency is about 4% (M/M/1's variance of the mean waiting time,
    /// ρ(2 + 5ρ − 4ρ² + ρ³)/(μ²(1 − ρ)⁴) per transaction); at 0.6 over 60 s it is about 8%.
    public var utilisation = 0.5
    public var duration = 120.0
    /// Connections the transactions take in turn (enough that none waits for its connection).
    public var connections = 48
    public var seed: UInt64 = 2
    public var tolerancePercent = 15.0

    public init() {}

    public func run(lab: Lab, server: PostgreSQLServer) async throws -> MechanismResult {
        let admin = try await server.connect()
        for sql in [
            "DROP TABLE IF EXISTS hot",
            "CREATE TABLE hot (id int PRIMARY KEY, v int8 NOT NULL)",
            "INSERT INTO hot VALUES (1, 0)",
            """
            CREATE OR REPLACE FUNCTION hot_update(hold float8) RETURNS float8 LANGUAGE plpgsql AS $$
            DECLARE t float8;
            BEGIN
              UPDATE hot SET v = v + 1 WHERE id = 1;
              t := extract(epoch FROM clock_timestamp());
              PERFORM pg_sleep(hold);
              RETURN t;
            END $$
            """,
        ] { try await admin.query(PostgresQuery(unsafeSQL: sql), logger: labLogger) }

        // PostgreSQL's own view: pg_stat_statements (preloaded) times each call's execution —
        // the lock wait and the hold up to the commit, not the commit.
        try await admin.query("CREATE EXTENSION IF NOT EXISTS pg_stat_statements", logger: labLogger)
        var pool: [PostgresConnection] = []
        for _ in 0..<connections { pool.append(try await server.connect()) }
        defer { for c in pool { c.close().whenComplete { _ in } } }
        let conns = pool

        // Alone: the statement's start (sent → lock) and the hold, one transaction at a time.
        let streams = RandomStreams(seed: seed)
        let calibration = streams.stream("lab.hotrow.calibration")
        var start: [Double] = [], alone: [Double] = []
        for _ in 0..<60 {
            let h = -log(calibration.uniformPositive()) * hold
            let (s, held) = try await Self.transaction(conns[0], hold: h)
            start.append(s); alone.append(held)
        }
        let overhead = Array(start.dropFirst(10)).mean
        let rate = utilisation / Array(alone.dropFirst(10)).mean
        let offsets = poissonOffsets(rate: rate, duration: duration, stream: streams.stream("lab.hotrow.arrivals"))
        let holdStream = streams.stream("lab.hotrow.hold")
        let holds = offsets.map { _ in -log(holdStream.uniformPositive()) * hold }

        try await admin.query("SELECT pg_stat_statements_reset()", logger: labLogger)
        let tally = Tally()
        let began = wallSeconds()
        await openLoop(offsets) { i in
            let t0 = wallSeconds()
            do {
                let (_, held) = try await Self.transaction(conns[i % conns.count], hold: holds[i])
                tally.add("latency", wallSeconds() - t0)
                tally.add("hold", held)
            } catch {
                tally.count("errors")
            }
        }
        let elapsed = wallSeconds() - began
        let count = try await single(admin, "SELECT v FROM hot WHERE id = 1")
        var statement = "pg_stat_statements: no row"
        let stats: PostgresQuery = "SELECT calls, mean_exec_time FROM pg_stat_statements WHERE query LIKE 'SELECT hot_update%'"
        for try await (calls, mean) in try await admin.query(stats, logger: labLogger).decode((Int64, Double).self) {
            statement = String(format: "pg_stat_statements: %lld calls, mean execution %.2f ms (wait + hold before the commit)", calls, mean)
        }
        try await admin.close()

        let s = tally.list("hold"), latency = tally.list("latency")
        guard tally.number("errors") == 0, latency.count == offsets.count else {
            throw LabError("hot-row check: \(tally.number("errors")) of \(offsets.count) transactions failed")
        }
        guard count == Int64(60 + offsets.count) else {
            throw LabError("hot-row check: the row counts \(count) updates, \(60 + offsets.count) were acknowledged")
        }
        let lambda = Double(offsets.count) / duration
        let rho = lambda * s.mean
        let wait = rho < 1 ? lambda * s.meanSquare / (2 * (1 - rho)) : .infinity
        let predicted = overhead + wait + s.mean
        // The simulator: Poisson updates of one row, `lock: row`, the lock held for the measured
        // holds (resampled), after the statement's start.
        let sim = try LabSimulation.run("hot-row", yaml: LabSimulation.scenario(
            name: "hot-row", seed: seed, duration: "2000s", warmup: "10s", rate: lambda,
            keys: "    row: {count: 1, popularity: uniform}",
            requests: "    update: {weight: 1, key: row}", routes: "update: client.update",
            operations: String(format: "        update: {steps: [{delay: constant(%.6fms)}, {db_write: pg, lock: row}]}", overhead * 1000),
            rest: """
              databases:
                pg:
                  primary: {connections: 1000000, read: constant(1us), write: empirical("hold.csv")}
            """), files: ["hold.csv": LabSimulation.samples(s)])
        var result = MechanismResult(
            check: "hot_row_latency", theory: "M/G/1 (Pollaczek-Khinchine)",
            setting: String(format: "one row, Poisson %.1f/s for %.0f s, sleep in lock exp mean %.0f ms, synchronous_commit on", rate, duration, hold * 1000),
            samples: latency.count, real: latency.mean, predicted: predicted, errorUnit: "percent", tolerance: tolerancePercent,
            inputs: String(format: "lambda %.2f/s, E[S] %.2f ms, E[S^2] %.3f ms^2, rho %.3f, start %.3f ms, run %.1f s; ",
                           lambda, s.mean * 1000, s.meanSquare * 1e6, rho, overhead * 1000, elapsed) + statement)
        result.simulated = try LabSimulation.metric(sim, "update/mean_ms") / 1000
        return result
    }

    /// One transaction: (sent → lock taken, lock taken → answer), seconds.
    static func transaction(_ c: PostgresConnection, hold: Double) async throws -> (Double, Double) {
        let sent = wallSeconds()
        var locked = Double.nan
        for try await (t) in try await c.query("SELECT hot_update(\(hold))", logger: labLogger).decode(Double.self) { locked = t }
        let done = wallSeconds()
        guard locked.isFinite else { throw LabError("hot_update returned no row") }
        return (locked - sent, done - locked)
    }
}
