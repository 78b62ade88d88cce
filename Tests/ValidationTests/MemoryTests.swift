// SPDX-License-Identifier: GPL-3.0-or-later
import XCTest
import ArchSimModel

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
