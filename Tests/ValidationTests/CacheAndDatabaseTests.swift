// SPDX-License-Identifier: GPL-3.0-or-later
import XCTest
import ArchSimModel

/// Caches and primary/replica databases inside whole simulations.
final class CacheAndDatabaseTests: XCTestCase {
    /// Cache-aside LRU under Zipf popularity, run end to end: the hit ratio in components.csv
    /// matches Che's approximation within 1 percentage point.
    func testCacheAsideHitRatioMatchesChe() throws {
        for (s, capacity) in [(0.8, 2000), (1.0, 500)] {
            let r = try ScenarioText.run("""
            version: 1
            duration: 400s
            warmup: 100s
            replications: 2
            workload:
              arrivals: {kind: open, rate: 2000/s}
              keys:
                products: {count: 50000, popularity: zipf(s=\(s))}
              requests:
                view: {key: products}
            architecture:
              routes: {view: app.view}
              services:
                app:
                  workers: 1000
                  io: async
                  operations:
                    view:
                      steps:
                        - cache_get: c
                          on_miss:
                            - db_read: db
                            - cache_set: c
              caches:
                c: {nodes: 4, capacity: \(capacity), eviction: lru, latency: constant(100us)}
              databases:
                db:
                  primary: {connections: 1000, read: constant(1ms), write: constant(1ms)}
            """)
            let hit = r.components.first { $0.component == "c" }!.hitRatio!
            let che = Theory.cheHitRatio(count: 50000, s: s, capacity: capacity)
            XCTAssertEqual(hit, che, accuracy: 0.01, "LRU s=\(s) C=\(capacity): sim \(hit), Che \(che)")
            // Node rows exist and their hit ratios are of the same order.
            XCTAssertEqual(r.components.filter { $0.component.hasPrefix("c[") }.count, 4)
            // Every miss read the database once: DB reads = (1 − hit) × gets.
            let dbReads = r.components.first { $0.component == "db.primary" }!.throughput
            XCTAssertEqual(dbReads, 2000 * (1 - hit), accuracy: 2000 * 0.01)
        }
    }

    static func database(readsFrom: String, replicas: Int = 3, lag: String = "exponential(mean=20ms)",
                         writeWeight: Int = 1, strongWeight: Int = 0, seconds: Int = 60) -> String {
        """
        version: 1
        duration: \(seconds)s
        warmup: 0s
        replications: 2
        workload:
          arrivals: {kind: open, rate: 2000/s}
          keys:
            k: {count: 1000, popularity: zipf(s=1)}
          requests:
            read: {weight: 8, key: k}
            strong: {weight: \(strongWeight), key: k}
            write: {weight: \(writeWeight), key: k}
        architecture:
          routes: {read: app.read, strong: app.strong, write: app.write}
          services:
            app:
              workers: 500
              operations:
                read:
                  steps:
                    - db_read: main
                strong:
                  steps:
                    - db_read: main
                      consistency: strong
                write:
                  steps:
                    - db_write: main
          databases:
            main:
              primary: {connections: 100, read: exponential(mean=1ms), write: exponential(mean=2ms)}
              replicas: {count: \(replicas), connections: 100, read: exponential(mean=1ms), apply: exponential(mean=0.5ms)}
              reads_from: \(readsFrom)
              replication_lag: \(lag)
        """
    }

    /// Reads go to replicas and writes and strong reads to the primary, exactly; with
    /// `reads_from: primary` no replica serves a read.
    func testReadWriteRoutingCounts() throws {
        let r = try Runner.run(ScenarioText.load(Self.database(readsFrom: "replicas", strongWeight: 1)), jobs: 2)
        for rep in r.replications {
            let reads = rep.types[0].completed, strong = rep.types[1].completed, writes = rep.types[2].completed
            let servers = rep.databases[0].servers
            XCTAssertEqual(servers[0].served, strong + writes, "primary serves writes and strong reads")
            XCTAssertEqual(servers[1...].map(\.served).reduce(0, +), reads, "replicas serve the other reads")
            // least_connections spreads reads over the three replicas.
            for s in servers[1...] { XCTAssertEqual(Double(s.served), Double(reads) / 3, accuracy: Double(reads) * 0.03) }
        }
        let p = try Runner.run(ScenarioText.load(Self.database(readsFrom: "primary", strongWeight: 1)), jobs: 2)
        for rep in p.replications {
            let servers = rep.databases[0].servers
            XCTAssertEqual(servers[1...].map(\.served).reduce(0, +), 0, "no replica serves a read")
            XCTAssertEqual(servers[0].served, rep.all.completed)
        }
    }

    /// Replication is ordered: no replica ever makes write n+1 visible before write n, even with
    /// exponential lags (which would reorder shipments) and four parallel apply workers (which
    /// finish out of order); in the end each replica has applied all but the last few writes.
    func testReplicationIsOrdered() throws {
        let r = try Runner.run(ScenarioText.load(Self.database(readsFrom: "replicas", lag: "exponential(mean=50ms)",
                                                               writeWeight: 4, seconds: 120)), jobs: 2)
        for rep in r.replications {
            let db = rep.databases[0]
            XCTAssertGreaterThan(db.servers[0].committed, 50_000)
            for s in db.servers[1...] {
                XCTAssertEqual(s.orderViolations, 0)
                XCTAssertLessThanOrEqual(s.visible, s.committed)
                XCTAssertGreaterThan(s.visible, s.committed - 2000, "the replica keeps up")
            }
        }
        let replica = r.components.first { $0.component == "main.replica[0]" }!
        XCTAssertNotNil(replica.replicationLagP99Ms)
        // Lag p99 is at least the shipping lag's p99 (50 ms × ln 100 = 230 ms).
        XCTAssertGreaterThan(replica.replicationLagP99Ms!, 230)
    }

    static func staleScenario(lag: String) -> String {
        """
        version: 1
        duration: 2000s
        warmup: 10s
        replications: 2
        workload:
          arrivals: {kind: open, rate: 110/s}
          keys:
            one: {count: 1, popularity: uniform}
          requests:
            read: {weight: 100, key: one}
            write: {weight: 10, key: one}
        architecture:
          routes: {read: app.read, write: app.write}
          services:
            app:
              workers: 100
              operations:
                read:
                  steps:
                    - db_read: main
                write:
                  steps:
                    - db_write: main
          databases:
            main:
              primary: {connections: 10, read: constant(1ms), write: constant(1ms)}
              replicas: {count: 1, connections: 10, read: constant(1ms), apply: constant(0ms)}
              reads_from: replicas
              replication_lag: \(lag)
        """
    }

    /// One key, Poisson writes at λw = 10/s, constant lag L = 50 ms, Poisson reads: a read is stale
    /// iff a write committed in the last L, so the stale fraction is 1 − e^(−λw·L) = 0.3935.
    /// With zero lag no read is stale.
    func testStaleReadFractionMatchesAnalytic() throws {
        let r = try ScenarioText.run(Self.staleScenario(lag: "constant(50ms)"))
        let reads = r.summary[0]
        let fraction = reads.staleReads / reads.completed
        XCTAssertEqual(fraction, 1 - exp(-10 * 0.05), accuracy: 0.01, "stale fraction")
        XCTAssertEqual(r.components.first { $0.component == "main.replica[0]" }!.staleReads!, reads.staleReads, accuracy: 1)
        let zero = try ScenarioText.run(Self.staleScenario(lag: "constant(0ms)"))
        XCTAssertEqual(zero.summary[0].staleReads, 0)
        XCTAssertEqual(zero.components.first { $0.component == "main.replica[0]" }!.replicationLagP99Ms!, 0, accuracy: 0.001)
    }

    /// Replicas do not scale writes: every replica applies every write (all but those still in
    /// flight at the end: about write rate × lag), and applying takes each replica's capacity.
    func testReplicasApplyEveryWrite() throws {
        let r = try Runner.run(ScenarioText.load(Self.database(readsFrom: "replicas", writeWeight: 8)), jobs: 2)
        for rep in r.replications {
            let committed = rep.databases[0].servers[0].committed
            for s in rep.databases[0].servers[1...] {
                XCTAssertGreaterThan(s.visible, committed - 1000)
                // Utilisation counts apply work: 940 writes/s × 0.5 ms on 100 connections ≈ 0.0047,
                // plus reads 1,000/s ÷ 3 × 1 ms ÷ 100 ≈ 0.0033.
                XCTAssertEqual(s.utilization, 0.0047 + 0.0033, accuracy: 0.001)
            }
        }
    }
}

/// Cache theory for the end-to-end checks.
enum Theory {
    /// Che's approximation of the LRU hit ratio for Zipf(s) over `count` keys and capacity C:
    /// T solves Σ (1 − e^{−p_i T}) = C; hit = Σ p_i (1 − e^{−p_i T}).
    static func cheHitRatio(count: Int, s: Double, capacity: Int) -> Double {
        var p = (1...count).map { 1 / pow(Double($0), s) }
        let total = p.reduce(0, +)
        p = p.map { $0 / total }
        func filled(_ t: Double) -> Double { p.reduce(0) { $0 + (1 - exp(-$1 * t)) } }
        var lo = 0.0, hi = 1.0
        while filled(hi) < Double(capacity) { hi *= 2 }
        for _ in 0..<200 { let mid = (lo + hi) / 2; if filled(mid) < Double(capacity) { lo = mid } else { hi = mid } }
        return p.reduce(0) { $0 + $1 * (1 - exp(-$1 * lo)) }
    }
}
