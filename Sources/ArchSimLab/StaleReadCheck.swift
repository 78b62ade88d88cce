// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimKernel
import Foundation
import PostgresNIO

/// Stale reads on a streaming replica, against the model's from the measured replication lag.
///
/// One counter row: Poisson writes on the primary (`UPDATE … SET v = v + 1 RETURNING v`), each
/// acknowledged at a known time; Poisson reads of the counter on the replica. A read sent at t is
/// stale when it returns less than the largest value acknowledged before t. Meanwhile a poller
/// reads the replica back to back and notes when each value first appears: a write's lag is
/// that moment (the middle of the first poll that saw it) less its acknowledgement, as the
/// model's `lag:` is (commit → visible on the replica).
///
/// The model: writes acknowledged u seconds ago are not yet visible with probability P(L > u);
/// with Poisson writes at rate w the number of such writes is Poisson with mean w ∫₀^∞ P(L > u)
/// du = w E[max(L, 0)], so a read is stale with probability 1 − exp(−w E[max(L, 0)]) — what
/// ArchSim's replica set does with a `lag:` distribution and Poisson writes. A read sees the
/// replica when it gets there, d after it is sent (measured per read with the replica's clock):
/// L − d replaces L, and the prediction is the mean over reads.
public struct StaleReadCheck: Sendable {
    public var writeRate = 100.0
    public var readRate = 200.0
    public var duration = 60.0
    public var seed: UInt64 = 4
    public var tolerancePoints = 2.0

    public init() {}

    public func run(lab: Lab, primary: PostgreSQLServer, replica: PostgreSQLServer) async throws -> MechanismResult {
        let admin = try await primary.connect()
        for sql in ["DROP TABLE IF EXISTS counter", "CREATE TABLE counter (id int PRIMARY KEY, v int8 NOT NULL)",
                    "INSERT INTO counter VALUES (1, 0)"] {
            try await admin.query(PostgresQuery(unsafeSQL: sql), logger: labLogger)
        }
        // Wait until the replica has the table.
        let reader = try await replica.connect()
        let deadline = Date().addingTimeInterval(30)
        while (try? await single(reader, "SELECT v FROM counter WHERE id = 1")) == nil {
            guard Date() < deadline else { throw LabError("stale-read check: the replica did not receive the table within 30 s") }
            try await Task.sleep(for: .milliseconds(20))
        }
        var writers: [PostgresConnection] = [], readers: [PostgresConnection] = []
        for _ in 0..<16 { writers.append(try await primary.connect()); readers.append(try await replica.connect()) }
        let poller = try await replica.connect()
        defer { for c in writers + readers + [poller, reader, admin] { c.close().whenComplete { _ in } } }
        let (w, r) = (writers, readers)

        let streams = RandomStreams(seed: seed)
        let writeTimes = poissonOffsets(rate: writeRate, duration: duration, stream: streams.stream("lab.stale.writes"))
        let readTimes = poissonOffsets(rate: readRate, duration: duration, stream: streams.stream("lab.stale.reads"))
        let acks = Acknowledgements()
        let tally = Tally()
        let polling = Task {
            // seen[v]: when value v appeared on the replica, the middle of the interval between
            // the last poll that did not see it and the first that did, each poll timed by the
            // replica's clock as it reads (the machine's one real-time clock).
            var seen: [Double] = [], previous = wallSeconds()
            while !Task.isCancelled {
                guard let (v, at) = try? await Self.readCounter(poller) else { break }
                while seen.count <= Int(v) { seen.append((previous + at) / 2) }
                previous = at
            }
            return seen
        }
        async let writing: Void = openLoop(writeTimes) { i in
            do {
                let v = try await single(w[i % w.count], "UPDATE counter SET v = v + 1 WHERE id = 1 RETURNING v")
                acks.acknowledge(Int(v))
            } catch { tally.count("errors") }
        }
        async let reading: Void = openLoop(readTimes) { i in
            let sent = wallSeconds()
            let expected = acks.largest(before: sent)
            do {
                let (v, at) = try await Self.readCounter(r[i % r.count])
                tally.add("delay", at - sent)
                tally.count("reads")
                if Int(v) < expected { tally.count("stale") }
            } catch { tally.count("errors") }
        }
        _ = await (writing, reading)
        // PostgreSQL's own view of the lag (a moving estimate; NULL once the replica is idle).
        var replayLag = "pg_stat_replication.replay_lag: none"
        let lagQuery: PostgresQuery = "SELECT extract(epoch FROM replay_lag)::float8 FROM pg_stat_replication"
        for try await (lag) in try await admin.query(lagQuery, logger: labLogger).decode(Double?.self) {
            replayLag = lag.map { String(format: "pg_stat_replication.replay_lag %.3f ms", $0 * 1000) } ?? replayLag
        }
        try await Task.sleep(for: .milliseconds(500))   // the last writes reach the replica
        polling.cancel()
        let seen = await polling.value
        guard tally.number("errors") == 0 else { throw LabError("stale-read check: \(tally.number("errors")) requests failed") }

        let acked = acks.all
        var lags: [Double] = []
        for (v, at) in acked where v < seen.count { lags.append(seen[v] - at) }
        guard lags.count == acked.count else {
            throw LabError("stale-read check: \(acked.count - lags.count) acknowledged writes never appeared on the replica")
        }
        // A read sees the replica d after it is sent (measured per read: the replica's clock as it
        // reads, less the send): a write acknowledged before the send is missed when it shows up
        // on the replica later than that. Per read, 1 − exp(−w E[max(L − d, 0)]); their mean.
        let delays = tally.list("delay")
        let delta = delays.mean
        let rate = Double(acked.count) / duration
        let sortedLags = lags.sorted()
        var suffix = [Double](repeating: 0, count: sortedLags.count + 1)   // suffix[k] = Σ lags[k...]
        for k in stride(from: sortedLags.count - 1, through: 0, by: -1) { suffix[k] = suffix[k + 1] + sortedLags[k] }
        func excess(_ d: Double) -> Double {   // E[max(L − d, 0)]
            var lo = 0, hi = sortedLags.count
            while lo < hi { let mid = (lo + hi) / 2; if sortedLags[mid] <= d { lo = mid + 1 } else { hi = mid } }
            return (suffix[lo] - Double(sortedLags.count - lo) * d) / Double(sortedLags.count)
        }
        let predicted = delays.map { 1 - exp(-rate * excess($0)) }.mean
        let positiveLag = excess(delta)
        let reads = tally.number("reads")
        let sorted = sortedLags
        // The simulator: Poisson writes and replica reads of one row, `replication_lag:` the
        // measured lags less the reads' mean delay d (resampled; negative ones as 0).
        let sim = try LabSimulation.run("stale-reads", yaml: LabSimulation.scenario(
            name: "stale-reads", seed: seed, duration: "1000s", warmup: "10s", rate: rate + readRate,
            keys: "    row: {count: 1, popularity: uniform}",
            requests: String(format: "    write: {weight: %.4f, key: row}\n    read: {weight: %.4f, key: row}", rate, readRate),
            routes: "write: client.write, read: client.read",
            operations: "        write: {steps: [{db_write: pg}]}\n        read: {steps: [{db_read: pg}]}",
            rest: """
              databases:
                pg:
                  primary: {connections: 1000000, read: constant(1us), write: constant(1us)}
                  replicas: {count: 1, connections: 1000000, read: constant(1us)}
                  reads_from: replicas
                  replication_lag: empirical("lag.csv")
            """), files: ["lag.csv": LabSimulation.samples(lags.map { max($0 - delta, 0) })])
        var result = MechanismResult(
            check: "stale_read_fraction", theory: "Poisson writes with the measured lag: mean over reads of 1 - exp(-w E[max(L - d, 0)])",
            setting: String(format: "one row, writes Poisson %.0f/s on the primary, reads Poisson %.0f/s on a streaming replica, %.0f s",
                            writeRate, readRate, duration),
            samples: reads, real: Double(tally.number("stale")) / Double(reads), predicted: predicted,
            errorUnit: "points", tolerance: tolerancePoints,
            inputs: String(format: "w %.2f/s, d (send to the replica's read) mean %.3f ms, E[max(L - mean d,0)] %.3f ms, lag p50 %.3f ms, p99 %.3f ms (%d writes)",
                           rate, delta * 1000, positiveLag * 1000,
                           sorted[sorted.count / 2] * 1000, sorted[min(sorted.count - 1, sorted.count * 99 / 100)] * 1000, acked.count)
                + "; " + replayLag)
        result.simulated = try LabSimulation.metric(sim, "read/stale_reads") / LabSimulation.metric(sim, "read/completed")
        return result
    }
}

extension StaleReadCheck {
    /// The counter on `c` and the server's clock as it read it (s since the epoch).
    static func readCounter(_ c: PostgresConnection) async throws -> (Int64, Double) {
        let sql: PostgresQuery = "SELECT v, extract(epoch FROM clock_timestamp())::float8 FROM counter WHERE id = 1"
        for try await (v, at) in try await c.query(sql, logger: labLogger).decode((Int64, Double).self) { return (v, at) }
        throw LabError("the counter row is missing")
    }
}

/// Acknowledged counter values and when (thread-safe).
final class Acknowledgements: @unchecked Sendable {
    private let lock = NSLock()
    private var times: [Int: Double] = [:]
    private var best: [(Double, Int)] = []   // (time, largest value acknowledged so far), in ack order

    /// Notes `v` as acknowledged now (the time is read under the lock, so times are in order).
    func acknowledge(_ v: Int) {
        lock.withLock {
            let t = wallSeconds()
            times[v] = t
            best.append((t, max(v, best.last?.1 ?? 0)))
        }
    }

    /// The largest value acknowledged strictly before `t` (0 if none).
    func largest(before t: Double) -> Int {
        lock.withLock {
            var lo = 0, hi = best.count
            while lo < hi { let mid = (lo + hi) / 2; if best[mid].0 < t { lo = mid + 1 } else { hi = mid } }
            return lo == 0 ? 0 : best[lo - 1].1
        }
    }

    /// (value, acknowledgement time), by value.
    var all: [(Int, Double)] { lock.withLock { times.keys.sorted().map { ($0, times[$0]!) } } }
}
