// SPDX-License-Identifier: GPL-3.0-or-later
import Foundation
import XCTest
import ArchSimModel
import ArchSimReport

/// Memory stays flat in simulated duration: the pools of requests, tasks, events and database
/// queues are as large after 10 simulated minutes as after 1 (no per-request records, no leak).
final class MemoryTests: XCTestCase {
    static func scenario(seconds: Int) -> String {
        """
        duration: \(seconds)s
        workload:
          arrivals: {kind: open, rate: 4000/s}
          keys:
            products: {count: 1000000, popularity: zipf(s=0.99)}
          requests:
            read: {weight: 9, key: products}
            write: {weight: 1, key: products}
        architecture:
          routes: {read: app.read, write: app.write}
          services:
            app:
              instances: 2
              workers: 32
              operations:
                read:
                  cpu: exponential(mean=0.5ms)
                  steps:
                    - cache_get: cache
                      on_miss:
                        - db_read: db
                        - cache_set: cache
                write:
                  cpu: exponential(mean=0.5ms)
                  steps:
                    - db_write: db
                    - cache_delete: cache
          caches:
            cache: {nodes: 3, capacity: 100000, latency: exponential(mean=0.2ms)}
          databases:
            db:
              primary: {connections: 64, read: exponential(mean=1ms), write: exponential(mean=3ms)}
              replicas: {count: 3, connections: 64, read: exponential(mean=1ms), apply: exponential(mean=3ms), apply_workers: 2}
              replication_lag: exponential(mean=10ms)
        """
    }

    /// Sparse per-key state: one simulated minute at 1,000 req/s over a 10^8-key Zipf catalogue,
    /// a database of 4 shards, each a primary and 2 replicas read from (so every write's key is
    /// remembered for stale reads) with a 100,000-row buffer pool, peaks under 300 MB — dense
    /// per-key arrays would take 800 MB per database. Peak resident memory is measured in this
    /// process after resetting its high-water mark (Linux `clear_refs`).
    func testHugeCatalogueStaysSmall() throws {
        let scenario = try ScenarioText.load("""
        duration: 60s
        workload:
          arrivals: {kind: open, rate: 1000/s}
          keys:
            products: {count: 100000000, popularity: zipf(s=0.99)}
          requests:
            read: {weight: 8, key: products}
            write: {weight: 2, key: products}
        architecture:
          routes: {read: app.read, write: app.write}
          services:
            app:
              workers: 1000
              io: async
              operations:
                read: {steps: [{db_read: db}]}
                write: {steps: [{db_write: db, lock: row}]}
          databases:
            db:
              primary:
                connections: 64
                read: exponential(mean=0.2ms)
                write: exponential(mean=0.5ms)
                buffer_pool: {capacity: 100000, miss: exponential(mean=2ms)}
                commit: {flush: constant(1ms), group: true}
              replicas: 2
              replication_lag: exponential(mean=5ms)
              shards: 4
        """)
        guard FileManager.default.isWritableFile(atPath: "/proc/self/clear_refs") else {
            return XCTFail("cannot reset the peak resident memory (/proc/self/clear_refs)")
        }
        try "5".write(toFile: "/proc/self/clear_refs", atomically: false, encoding: .utf8)
        // What the test process holds already (earlier tests' threads and malloc arenas) is not this run's.
        let base = ProcessMemory.residentMB()
        let r = try Runner.run(scenario, jobs: 1)
        let peak = ProcessMemory.peakResidentMB() - base
        XCTAssertGreaterThan(r.summary.last!.completed, 59_000)
        XCTAssertGreaterThan(peak + base, 1, "VmHWM read")
        XCTAssertLessThan(peak, 300, "peak resident memory \(peak) MB above the \(base) MB the process held before")
        // The stale-read table holds the keys written, not the catalogue.
        XCTAssertLessThan(r.replications[0].pools.lastWrite, 1 << 20)
    }

    /// 10,000 request types (each with its latency histogram, per replication, kept to the end)
    /// run in well under 3 GB: a histogram keeps counts only for the range its values span.
    func testTenThousandRequestTypesStaySmall() throws {
        let n = 10_000
        let types = (0..<n).map { "    r\($0): {weight: 1}" }.joined(separator: "\n")
        let routes = (0..<n).map { "    r\($0): app.op" }.joined(separator: "\n")
        let scenario = try ScenarioText.load("""
        duration: 5s
        replications: 2
        workload:
          arrivals: {kind: open, rate: 2000/s}
          requests:
        \(types)
        architecture:
          routes:
        \(routes)
          services:
            app:
              workers: 100
              operations:
                op: {cpu: exponential(mean=0.2ms)}
        """)
        try "5".write(toFile: "/proc/self/clear_refs", atomically: false, encoding: .utf8)
        let base = ProcessMemory.residentMB()
        let r = try Runner.run(scenario, jobs: 1)
        let peak = ProcessMemory.peakResidentMB() - base
        XCTAssertEqual(r.summary.count, n + 1)
        XCTAssertLessThan(peak, 500, "peak resident memory \(peak) MB above the \(base) MB the process held before")
    }

    func testPoolsStayFlat() throws {
        let short = try Runner.run(ScenarioText.load(Self.scenario(seconds: 60)), jobs: 1).replications[0].pools
        let long = try Runner.run(ScenarioText.load(Self.scenario(seconds: 600)), jobs: 1).replications[0].pools
        for (name, a, b) in [("tasks", short.tasks, long.tasks), ("requests", short.requests, long.requests),
                             ("events", short.events, long.events), ("database queues", short.databaseQueues, long.databaseQueues)] {
            XCTAssertLessThan(b, max(200, 3 * a), "\(name): \(a) after 1 min, \(b) after 10 min")
        }
        // 400 writes/s × 3 ms on 2 apply workers per replica (ρ = 0.6): the relay log stays short.
        XCTAssertLessThan(long.databaseQueues, 500)
    }
}
