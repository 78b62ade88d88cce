// SPDX-License-Identifier: GPL-3.0-or-later
import XCTest
import ArchSimKernel
import ArchSimModel

/// Version 1.1 database-server mechanisms (`max_connections`, `buffer_pool`, `disks`, `commit`)
/// against queueing theory, run end to end from scenario text. Tolerances are stated in each
/// test; each is a few times the run's statistical error and a wrong mechanism misses it.
final class StorageTheoryTests: XCTestCase {
    /// One service passing every request straight to one database server: no CPU, no hop, a
    /// worker for every request, so the server is the only queue.
    static func server(rate: String, seconds: Int = 200, warmup: Int = 20, replications: Int = 2,
                       keys: String = "", key: String = "", step: String = "db_read: db", primary: String) -> String {
        """
        version: 1
        duration: \(seconds)s
        warmup: \(warmup)s
        replications: \(replications)
        workload:
          arrivals: {kind: open, rate: \(rate)}
        \(keys.isEmpty ? "" : "  keys:\n    k: {\(keys)}")
          requests:
            req: {\(key.isEmpty ? "" : "key: k")}
        architecture:
          routes: {req: app.op}
          services:
            app:
              workers: 100000
              io: async
              operations:
                op:
                  steps:
                    - \(step)
          databases:
            db:
              primary:
        \(primary.split(separator: "\n").map { "        " + $0 }.joined(separator: "\n"))
        """
    }

    /// M/M/c/K loss: with c connections and `max_connections` K, a query arriving to K present
    /// is rejected with probability P_K = (a^K / (c! c^{K−c})) P_0, a = λ/μ. K = c is Erlang B.
    /// Tolerance: 5% relative (about 40,000 rejections per run: the CI is ~1%).
    func testMaxConnectionsIsMMcKBlocking() throws {
        for (c, k, rate) in [(4, 8, 4000.0), (4, 4, 4000.0), (8, 12, 6000.0)] {
            let r = try ScenarioText.run(Self.server(rate: "\(Int(rate))/s", primary: """
            connections: \(c)
            max_connections: \(k)
            read: exponential(mean=1ms)
            write: exponential(mean=1ms)
            """))
            let all = r.summary.last!
            let blocked = all.rejected / all.offered
            let expected = Analytic.mmcKBlocking(arrival: rate, service: 1000, servers: c, capacity: k)
            XCTAssertEqual(blocked, expected, accuracy: expected * 0.05, "M/M/\(c)/\(k): sim \(blocked), theory \(expected)")
            // The server's row counts the same rejections per second as the summary.
            let row = r.components.first { $0.component == "db.primary" }!
            XCTAssertEqual(row.rejected!, all.rejected, accuracy: all.rejected * 0.001 + 1)
        }
        XCTAssertEqual(Analytic.mmcKBlocking(arrival: 4000, service: 1000, servers: 4, capacity: 4), 0.3107, accuracy: 0.0001,
                       "Erlang B(4, 4) reference")
    }

    /// A buffer pool under Zipf keys hits as Che's approximation says (LRU), within 1 point, and
    /// a read costs `read` plus `miss` when it missed: mean = read + (1 − hit) × miss, within 1%.
    func testBufferPoolHitRatioAndReadTime() throws {
        for (s, capacity) in [(0.8, 2000), (0.99, 500)] {
            let r = try ScenarioText.run(Self.server(rate: "2000/s", seconds: 300, warmup: 100,
                                                     keys: "count: 50000, popularity: zipf(s=\(s))", key: "k", primary: """
            connections: 1000
            read: constant(1ms)
            write: constant(1ms)
            buffer_pool: {capacity: \(capacity), miss: constant(5ms)}
            """))
            let hit = r.components.first { $0.component == "db.primary" }!.hitRatio!
            let che = Theory.cheHitRatio(count: 50000, s: s, capacity: capacity)
            XCTAssertEqual(hit, che, accuracy: 0.01, "buffer pool s=\(s) C=\(capacity): sim \(hit), Che \(che)")
            let mean = 1 + (1 - hit) * 5
            XCTAssertEqual(r.summary.last!.meanMs, mean, accuracy: mean * 0.01, "read + (1 − hit) × miss")
        }
    }

    /// `disks: 1`, exponential miss times, (nearly) every read a miss: the disk is an M/M/1
    /// queue, Wq = ρ / (μ − λ). Tolerance 4% (the CI is about 1.5%).
    func testOneDiskIsMM1() throws {
        let r = try ScenarioText.run(Self.server(rate: "600/s", seconds: 400,
                                                 keys: "count: 1000000", key: "k", primary: """
            connections: 1000
            read: constant(0ms)
            write: constant(0ms)
            buffer_pool: {capacity: 1, miss: exponential(mean=1ms)}
            disks: 1
            """))
        let row = r.components.first { $0.component == "db.primary" }!
        let wq = 0.6 / (1000 - 600) * 1000
        XCTAssertEqual(row.diskWaitMs!, wq, accuracy: wq * 0.04, "M/M/1 disk wait")
        XCTAssertEqual(row.diskUtilization!, 0.6, accuracy: 0.01)
        XCTAssertEqual(r.summary.last!.meanMs, wq + 1, accuracy: (wq + 1) * 0.03, "M/M/1 response")
    }

    /// Group commit under heavy load (λF = 20): flushes run back to back, a commit waits for the
    /// flush in progress to end (F/2 on average) and then for its own (F): 1.5 F; a flush takes
    /// the λF commits that arrived during the previous one. Tolerance 3%.
    func testGroupCommitUnderHeavyLoad() throws {
        let r = try ScenarioText.run(Self.server(rate: "10000/s", seconds: 60, warmup: 5, step: "db_write: db", primary: """
            connections: 1000
            read: constant(0ms)
            write: constant(0ms)
            commit: {flush: constant(2ms), group: true}
            """))
        let row = r.components.first { $0.component == "db.primary" }!
        XCTAssertEqual(r.summary.last!.meanMs, 3, accuracy: 3 * 0.03, "mean commit latency 1.5 F")
        XCTAssertEqual(row.commitMs!, 3, accuracy: 3 * 0.03)
        XCTAssertEqual(row.flushBatch!, 20, accuracy: 20 * 0.03, "mean batch λF")
    }

    /// Without group commit each commit has a flush of its own: the log is an M/D/1 queue,
    /// response = F + ρF / (2(1 − ρ)). ρ = 0.8, F = 2 ms: 6 ms. Tolerance 4%.
    func testCommitWithoutGroupIsMD1() throws {
        let r = try ScenarioText.run(Self.server(rate: "400/s", seconds: 500, step: "db_write: db", primary: """
            connections: 1000
            read: constant(0ms)
            write: constant(0ms)
            commit: {flush: constant(2ms)}
            """))
        XCTAssertEqual(r.summary.last!.meanMs, 6, accuracy: 6 * 0.04, "M/D/1 on the log")
        XCTAssertEqual(r.components.first { $0.component == "db.primary" }!.flushBatch!, 1)
    }

    /// A write holds its connection until its commit is durable: with one connection and a
    /// 2 ms flush, writes of 1 ms are served one per 3 ms, whatever `group` says.
    func testWriteHoldsItsConnectionUntilDurable() throws {
        for group in [false, true] {
            let r = try ScenarioText.run(Self.server(rate: "250/s", seconds: 200, step: "db_write: db", primary: """
                connections: 1
                read: constant(0ms)
                write: constant(1ms)
                commit: {flush: constant(2ms), group: \(group)}
                """))
            // M/D/1 with service 3 ms at λ = 250/s: ρ = 0.75, W = 3 + 0.75 × 3 / (2 × 0.25) = 7.5 ms.
            XCTAssertEqual(r.summary.last!.meanMs, 7.5, accuracy: 7.5 * 0.04, "group: \(group)")
            XCTAssertEqual(r.components.first { $0.component == "db.primary" }!.flushBatch!, 1)
        }
    }
}

extension StorageTheoryTests {
    /// One hot row under Poisson writes, `lock: row`, connections never short, no flush: the
    /// row's lock is an M/G/1 queue. Lognormal write times (mean 1 ms, sd 2 ms) at ρ = 0.7:
    /// the lock wait is Pollaczek–Khinchine's Wq. Tolerance 4% (the CI is about 1.5%).
    func testHotRowLockIsMG1() throws {
        let r = try ScenarioText.run(Self.server(rate: "700/s", seconds: 800, keys: "count: 1", key: "k",
                                                 step: "{db_write: db, lock: row}", primary: """
            connections: 100000
            read: constant(1ms)
            write: lognormal(mean=1ms, sd=2ms)
            """))
        let row = r.components.first { $0.component == "db.primary" }!
        let wq = Analytic.pollaczekKhinchineWait(arrival: 700, meanService: 1e-3, serviceVariance: 4e-6) * 1000
        XCTAssertEqual(row.lockWaitMs!, wq, accuracy: wq * 0.04, "M/G/1 lock wait (P-K \(wq) ms)")
        XCTAssertEqual(r.summary.last!.meanMs, wq + 1, accuracy: (wq + 1) * 0.04)
        // Two rows share the load: each is an M/G/1 at half the rate, and the waits fall accordingly.
        let two = try ScenarioText.run(Self.server(rate: "700/s", seconds: 400, keys: "count: 2", key: "k",
                                                   step: "{db_write: db, lock: row}", primary: """
            connections: 100000
            read: constant(1ms)
            write: lognormal(mean=1ms, sd=2ms)
            """))
        let wq2 = Analytic.pollaczekKhinchineWait(arrival: 350, meanService: 1e-3, serviceVariance: 4e-6) * 1000
        XCTAssertEqual(two.components.first { $0.component == "db.primary" }!.lockWaitMs!, wq2, accuracy: wq2 * 0.06)
    }

    /// `lock_timeout`, exactly: writes of one row every 1 ms (constant arrivals), 3 ms each,
    /// giving up after 5.5 ms. The lock is released every 3 ms, and then goes to the oldest
    /// waiter that has waited less than 5.5 ms — the one that arrived 5 ms before: of every
    /// three writes, one gets the lock after exactly 5 ms and two time out.
    func testLockTimeoutExactly() throws {
        let text = Self.server(rate: "1000/s", seconds: 30, warmup: 1, replications: 1, keys: "count: 1", key: "k",
                               step: "{db_write: db, lock: row, lock_timeout: 5.5ms}", primary: """
            connections: 1000
            read: constant(1ms)
            write: constant(3ms)
            """).replacingOccurrences(of: "kind: open, rate", with: "kind: open, process: constant, rate")
        let r = try ScenarioText.run(text)
        Self.assertTwoOfThreeTimeOut(r)
        XCTAssertEqual(r.components.first { $0.component == "db.primary" }!.lockWaitMs!, 5, accuracy: 1e-6)
    }

    /// 30 s of one arrival per ms, one server of 3 ms, a 5.5 ms wait limit: two of every three
    /// time out; the others wait exactly 5 ms (8 ms in all). The last few (at most 9: 5.5 ms of
    /// waits and 3 ms of work) are still in flight at the end.
    static func assertTwoOfThreeTimeOut(_ r: ScenarioResult, line: UInt = #line) {
        let all = r.summary.last!
        XCTAssertEqual(all.offered, 30_000, line: line)
        let inFlight = Double(r.replications[0].measuredInFlightAtEnd)
        XCTAssertLessThanOrEqual(inFlight, 9, line: line)
        XCTAssertEqual(all.completed + all.timeouts + inFlight, all.offered, line: line)
        XCTAssertEqual(all.timeouts, 20_000 - inFlight, accuracy: 3, line: line)
        XCTAssertEqual(all.meanMs, 8, accuracy: 1e-6, "5 ms of waiting, 3 ms of work", line: line)
    }

    /// `key: SPACE` draws one key per request and space: a request that reads its user's row twice
    /// finds it in the buffer pool the second time (hit ratio ½ over a huge uniform space, where
    /// independent draws would almost never hit), and `key: new` rows never wait for a lock.
    func testStepKeysAreOnePerRequestAndSpace() throws {
        let r = try ScenarioText.run("""
        version: 1
        duration: 100s
        warmup: 5s
        workload:
          arrivals: {kind: open, rate: 1000/s}
          keys:
            users: {count: 100000000}
          requests:
            order: {weight: 1}
        architecture:
          routes: {order: app.op}
          services:
            app:
              workers: 100000
              io: async
              operations:
                op:
                  steps:
                    - {db_read: db, key: users}
                    - {db_read: db, key: users}
                    - {db_write: db, key: new, lock: row}
          databases:
            db:
              primary:
                connections: 100000
                read: constant(1ms)
                write: constant(1ms)
                buffer_pool: {capacity: 100000, miss: constant(1ms)}
        """)
        let row = r.components.first { $0.component == "db.primary" }!
        XCTAssertEqual(row.hitRatio!, 0.5, accuracy: 0.002)
        XCTAssertEqual(row.lockWaitMs!, 0)
        XCTAssertEqual(r.summary.last!.meanMs, 1 + 1 + 1 + 1, accuracy: 0.01, "miss + read, hit, write")
    }
}

extension StorageTheoryTests {
    /// Shards under Zipf keys: each shard serves the popularity of the keys the stable hash sends
    /// it (within 2%), and a crash of one shard's primary fails exactly its keys' share.
    func testShardsSplitKeysByTheStableHash() throws {
        let count = 1000, s = 0.99, shards = 4
        func text(crash: Bool) -> String {
            Self.server(rate: "4000/s", seconds: 100, keys: "count: \(count), popularity: zipf(s=\(s))", key: "k", primary: """
                connections: 1000
                read: constant(1ms)
                write: constant(1ms)
                """) + "\n      shards: \(shards)" + (crash ? "\nfaults:\n  - {at: 0s, target: \"db[1].primary\", kind: crash}" : "")
        }
        var share = [Double](repeating: 0, count: shards)
        for k in 0..<count {
            share[Database.shard(of: KeyId.make(space: 0, id: k), shards: shards)] += ZipfSampler.probability(rank: k + 1, count: count, s: s)
        }
        let r = try ScenarioText.run(text(crash: false))
        for shard in 0..<shards {
            let row = r.components.first { $0.component == "db[\(shard)].primary" }!
            XCTAssertEqual(row.throughput, 4000 * share[shard], accuracy: 4000 * share[shard] * 0.02, "shard \(shard)")
        }
        let crashed = try ScenarioText.run(text(crash: true))
        let all = crashed.summary.last!
        XCTAssertEqual(all.failed / all.offered, share[1], accuracy: 0.01, "the crashed shard's keys fail")
    }
}

extension StorageTheoryTests {
    /// A cache node with `workers: 1` and one hot key: every operation queues at that node, an
    /// M/G/1 queue (lognormal service, mean 1 ms, sd 2 ms, ρ = 0.7): Pollaczek–Khinchine's Wq,
    /// within 4%; the round trip's halves add the latency once.
    func testHotKeyCacheNodeIsMG1() throws {
        let r = try ScenarioText.run("""
        version: 1
        duration: 800s
        warmup: 20s
        replications: 2
        workload:
          arrivals: {kind: open, rate: 700/s}
          keys:
            products: {count: 1}
          requests:
            view: {key: products}
        architecture:
          routes: {view: app.view}
          services:
            app:
              workers: 100000
              io: async
              operations:
                view: {steps: [{cache_get: c}]}
          caches:
            c:
              nodes: 3
              capacity: 30
              workers: 1
              service: lognormal(mean=1ms, sd=2ms)
              latency: constant(200us)
        """)
        let wq = Analytic.pollaczekKhinchineWait(arrival: 700, meanService: 1e-3, serviceVariance: 4e-6) * 1000
        let hot = r.components.filter { $0.component.hasPrefix("c[") }.max { $0.throughput < $1.throughput }!
        XCTAssertEqual(hot.meanWaitMs!, wq, accuracy: wq * 0.04, "M/G/1 node wait (P-K \(wq) ms)")
        XCTAssertEqual(hot.utilization!, 0.7, accuracy: 0.01)
        XCTAssertEqual(r.summary.last!.meanMs, wq + 1 + 0.2, accuracy: (wq + 1.2) * 0.04)
        // The other nodes serve nothing.
        XCTAssertEqual(r.components.filter { $0.component.hasPrefix("c[") }.map(\.throughput).sorted(), [0, 0, hot.throughput])
    }
}

extension StorageTheoryTests {
    /// A client pool in front of a server with connections to spare: the pool's `size`
    /// connections are the servers, an M/M/n queue. n = 4, ρ = 0.8: Erlang C's Wq, within 5%.
    static func pooled(rate: String, process: String = "poisson", size: Int, wait: String = "", read: String,
                       seconds: Int) -> String {
        """
        version: 1
        duration: \(seconds)s
        warmup: 2s
        replications: 2
        workload:
          arrivals: {kind: open, process: \(process), rate: \(rate)}
          requests:
            req: {weight: 1}
        architecture:
          routes: {req: app.op}
          services:
            app:
              workers: 100000
              io: async
              pools: {db: {size: \(size)\(wait.isEmpty ? "" : ", wait: \(wait)")}}
              operations:
                op: {steps: [{db_read: db}]}
          databases:
            db:
              primary: {connections: 100000, read: \(read), write: constant(1ms)}
        """
    }

    func testClientPoolIsMMn() throws {
        let r = try ScenarioText.run(Self.pooled(rate: "3200/s", size: 4, read: "exponential(mean=1ms)", seconds: 300))
        let wq = Analytic.erlangCWait(arrival: 3200, service: 1000, servers: 4) * 1000
        let app = r.components.first { $0.component == "app" }!
        XCTAssertEqual(app.poolWaitMs!, wq, accuracy: wq * 0.05, "M/M/4 pool wait (Erlang C \(wq) ms)")
        XCTAssertEqual(r.summary.last!.meanMs, wq + 1, accuracy: (wq + 1) * 0.03)
        XCTAssertEqual(r.components.first { $0.component == "db.primary" }!.meanWaitMs!, 0, "the server never queues")
    }

    /// A pool `wait` deadline, exactly: one connection, a query every 1 ms (constant arrivals)
    /// taking 3 ms, waits give up after 5.5 ms: of every three queries one gets the connection
    /// after exactly 5 ms and two time out — as with a row lock (``testLockTimeoutExactly()``).
    func testPoolWaitDeadlineExactly() throws {
        let r = try ScenarioText.run(Self.pooled(rate: "1000/s", process: "constant", size: 1, wait: "5.5ms",
                                                 read: "constant(3ms)", seconds: 30).replacingOccurrences(of: "replications: 2", with: "replications: 1"))
        Self.assertTwoOfThreeTimeOut(r)
        XCTAssertEqual(r.components.first { $0.component == "app" }!.poolWaitMs!, 5, accuracy: 1e-6)
    }

    /// A pool is per instance: a crash loses the queries waiting there, connections out at the
    /// database come back, and the survivors' pools are untouched (every request is answered
    /// or failed: conservation holds, nothing leaks).
    func testPoolsSurviveAnInstanceCrash() throws {
        let text = Self.pooled(rate: "3000/s", size: 2, read: "exponential(mean=1ms)", seconds: 40)
            .replacingOccurrences(of: "      workers: 100000", with: "      instances: 2\n      workers: 100000")
            + "\nfaults:\n  - {at: 10s, target: \"app[0]\", kind: crash, for: 5s}"
        let r = try ScenarioText.run(text)
        let all = r.summary.last!
        XCTAssertGreaterThan(all.failed, 0)
        XCTAssertLessThan(all.failed / all.offered, 0.2)
        // After recovery both instances' pools serve again: the last seconds look like the first.
        let late = r.replications[0].timeseries.filter { $0.start >= 30_000_000_000 }
        XCTAssert(late.allSatisfy { $0.errors == 0 }, "no errors once recovered")
    }
}

extension Analytic {
    /// M/M/c/K: the probability that an arrival finds K present (and is lost).
    static func mmcKBlocking(arrival lambda: Double, service mu: Double, servers c: Int, capacity k: Int) -> Double {
        let a = lambda / mu
        var terms: [Double] = []
        var term = 1.0
        for n in 0...k {
            if n > 0 { term *= n <= c ? a / Double(n) : a / Double(c) }
            terms.append(term)
        }
        return terms[k] / terms.reduce(0, +)
    }
}
