// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimKernel
import ArchSimModel
import ArchSimScenario
import XCTest

/// The version 1.1 database-server keys: the spec's fragment reads as it says, defaults hold,
/// replicas inherit the primary's keys, mistakes are reported where they are, and the writer
/// writes them back.
final class StorageKeyTests: XCTestCase {
    /// The spec's "Database servers" fragment, verbatim.
    static let databaseServerFragment = """
      databases:
        main:
          primary:
            connections: 16                # queries executing at once; more wait in FIFO order
            max_connections: 151           # executing + waiting; a query past it is rejected
            read: lognormal(median=0.2ms, p99=1ms)     # a read whose row is in memory
            write: lognormal(median=0.3ms, p99=2ms)
            buffer_pool:                   # rows kept in memory, LRU; hit ratio in components.csv
              capacity: 200000
              miss: lognormal(median=5ms, p99=20ms)    # a read that misses adds one disk read
            disks: 16                      # disk reads at once (spindles, an SSD's queue depth); default unbounded
            commit:                        # every write waits for its redo-log flush
              flush: constant(2ms)
              group: true                  # one flush serves every commit waiting when it starts
          shards: 4                        # key-hash sharded: each shard its own primary + replicas (default 1)
    """

    func testDatabaseServerFragment() throws {
        let s = try load(minimal(more: Self.databaseServerFragment))
        let p = s.architecture.databases[0].primary
        XCTAssertEqual(p.connections, 16)
        XCTAssertEqual(p.maxConnections, 151)
        XCTAssertEqual(p.bufferPool, BufferPool(capacity: 200_000, miss: .lognormal(median: 5e6, p99: 20e6)))
        XCTAssertEqual(p.disks, 16)
        XCTAssertEqual(p.commit, CommitLog(flush: .constant(2e6), group: true))
        XCTAssertEqual(s.architecture.databases[0].shards, 4)
        XCTAssertTrue(s.architecture.usesStorageColumns)
    }

    func testDefaultsAndInheritance() throws {
        let plain = try load(minimal(more: """
          databases:
            db:
              primary: {connections: 4, read: constant(1ms), write: constant(1ms)}
        """))
        let p = plain.architecture.databases[0].primary
        XCTAssertNil(p.maxConnections)
        XCTAssertNil(p.bufferPool)
        XCTAssertNil(p.disks)
        XCTAssertNil(p.commit)
        XCTAssertFalse(plain.architecture.usesStorageColumns, "a file without the keys keeps its columns")
        // Replicas take the primary's keys unless they say otherwise.
        let s = try load(minimal(more: """
          databases:
            db:
              primary:
                connections: 4
                max_connections: 10
                read: constant(1ms)
                write: constant(1ms)
                commit: {flush: constant(1ms)}
                buffer_pool: {capacity: 100, miss: constant(4ms)}
              replicas:
                count: 2
                connections: 8
                max_connections: 20
                disks: 2
        """))
        let db = s.architecture.databases[0]
        XCTAssertEqual(db.primary.commit, CommitLog(flush: .constant(1e6), group: false))
        XCTAssertEqual(db.replica.maxConnections, 20)
        XCTAssertEqual(db.replica.bufferPool, db.primary.bufferPool)
        XCTAssertEqual(db.replica.disks, 2)
        XCTAssertNil(db.primary.disks)
    }

    func testMistakes() {
        assertOneProblem(minimal(more: """
          databases:
            db:
              primary: {connections: 16, max_connections: 8, read: constant(1ms), write: constant(1ms)}
        """), "architecture.databases.db.primary.max_connections", "less than connections 16")
        assertOneProblem(minimal(more: """
          databases:
            db:
              primary:
                connections: 1
                read: constant(1ms)
                write: constant(1ms)
                commit: {flush: constant(1ms), group: yes}
        """), "commit.group", "expected true or false")
        assertOneProblem(minimal(more: """
          databases:
            db:
              primary:
                connections: 1
                read: constant(1ms)
                write: constant(1ms)
                buffer_pool: {capacity: 10}
        """), "buffer_pool", "miss")
        assertOneProblem(minimal(more: """
          databases:
            db:
              primary: {connections: 1, read: constant(1ms), write: constant(1ms), disks: 0}
        """), "primary.disks", "positive integer")
        assertOneProblem(minimal(more: """
          databases:
            db:
              primary: {connections: 2, max_connections: 4, read: constant(1ms), write: constant(1ms)}
              replicas: {count: 1, connections: 8}
        """), "replicas.connections", "max_connections 4")
    }

    /// The spec's "Keys per step" and "Row locks" fragments, verbatim, in one operation.
    static let keysAndLocksFragment = """
    steps:
      - db_read: users
        key: users                         # draw this step's key from key space `users`
      - db_write: orders
        key: new                           # a fresh key never used before (an insert)
      - db_write: main
        lock: row                          # writes of the same row run one at a time, FIFO
        lock_timeout: 50s                  # optional; InnoDB's innodb_lock_wait_timeout default
    """

    static var keysAndLocksScenario: String {
        scenario(workload: """
          arrivals: {kind: open, rate: 100/s}
          keys:
            users: {count: 1000}
            products: {count: 100, popularity: zipf(s=0.99)}
          requests:
            req: {weight: 1, key: products}
        """, architecture: """
          routes: {req: app.op}
          services:
            app:
              operations:
                op:
        \(keysAndLocksFragment.split(separator: "\n").map { "          " + $0 }.joined(separator: "\n"))
          databases:
            users: {primary: {connections: 4, read: constant(1ms), write: constant(1ms)}}
            orders: {primary: {connections: 4, read: constant(1ms), write: constant(1ms)}}
            main: {primary: {connections: 4, read: constant(1ms), write: constant(1ms)}}
        """)
    }

    func testKeysAndLocksFragment() throws {
        let s = try load(Self.keysAndLocksScenario)
        let steps = s.architecture.services[0].operations[0].steps
        XCTAssertEqual(steps, [.dbRead(database: 0, strong: false, row: RowAccess(key: .space(0))),
                               .dbWrite(database: 1, row: RowAccess(key: .new)),
                               .dbWrite(database: 2, row: RowAccess(key: .request, lock: RowLock(timeout: 50_000_000_000)))])
        XCTAssertTrue(s.architecture.usesStorageColumns, "lock columns")
        var expected = s
        expected.sourcePath = nil
        let text = try ScenarioWriter(directory: "/nonexistent").scenario(s)
        XCTAssertEqual(try load(text), expected, text)
    }

    func testKeyAndLockMistakes() {
        func op(_ steps: String, keyed: Bool = true) -> String {
            scenario(workload: """
              arrivals: {kind: open, rate: 100/s}
              keys:
                users: {count: 1000}
              requests:
                req: {weight: 1\(keyed ? ", key: users" : "")}
                other: {weight: 1}
            """, architecture: """
              routes: {req: app.op, other: app.other}
              services:
                app:
                  operations:
                    op: {steps: [\(steps)]}
                    other: {}
              databases:
                db: {primary: {connections: 4, read: constant(1ms), write: constant(1ms)}}
            """)
        }
        assertOneProblem(op("{db_read: db, key: usres}"), "steps[0].key", "unknown key space 'usres'", "users")
        assertOneProblem(op("{db_read: db, key: new}"), "key: new is a fresh row, for writes")
        assertOneProblem(op("{db_read: db, lock: row}"), "'lock' goes with 'db_write', not 'db_read'")
        assertOneProblem(op("{db_write: db, lock: table}"), "unknown lock 'table'")
        assertOneProblem(op("{db_write: db, lock_timeout: 1s}"), "lock_timeout needs lock: row")
        assertOneProblem(op("{db_write: db, lock: row}", keyed: false), "steps[0].lock",
                         "request type 'req' has none")
        // A keyless request that reaches the lock through a call is found too.
        assertOneProblem(scenario(workload: """
              arrivals: {kind: open, rate: 100/s}
              requests:
                req: {weight: 1}
            """, architecture: """
              routes: {req: app.op}
              services:
                app:
                  operations:
                    op: {steps: [{call: stock.take}]}
                stock:
                  operations:
                    take: {steps: [{db_write: db, lock: row}]}
              databases:
                db: {primary: {connections: 4, read: constant(1ms), write: constant(1ms)}}
            """), "services.stock.operations.take.steps[0].lock", "request type 'req' has none")
        // With a step key, a keyless request may lock.
        XCTAssertNoThrow(try load(op("{db_write: db, key: users, lock: row}", keyed: false)))
    }

    /// Shard servers are fault targets by the names components.csv gives them.
    func testShardFaultTargets() throws {
        func faults(_ targets: [String], shards: Int = 3) -> String {
            minimal(more: """
              databases:
                main:
                  primary: {connections: 4, read: constant(1ms), write: constant(1ms)}
                  replicas: 2
                  shards: \(shards)
            """, extra: "faults:\n" + targets.map { "  - {at: 1s, target: \"\($0)\", kind: crash}" }.joined(separator: "\n"))
        }
        let s = try load(faults(["main[2].primary", "main[0].replica[1]"]))
        XCTAssertEqual(s.faults.map(\.target), [.primary(database: 0, shard: 2), .replica(database: 0, replica: 1, shard: 0)])
        assertOneProblem(faults(["main.primary"]), "'main' has 3 shards", "main[0].primary", "main[0..2]")
        assertOneProblem(faults(["main[3].primary"]), "'main' has 3 shards; valid: main[0..2]")
        assertOneProblem(faults(["main[1].replica[2]"]), "'main[1]' has 2 replicas; valid: main[1].replica[0..1]")
        assertOneProblem(faults(["main[0].primary"], shards: 1), "'main' is not sharded", "main.primary")
        var expected = s
        expected.sourcePath = nil
        let text = try ScenarioWriter(directory: "/nonexistent").scenario(s)
        XCTAssertTrue(text.contains("target: main[2].primary") || text.contains("target: \"main[2].primary\""), text)
        XCTAssertEqual(try load(text), expected)
    }

    /// The spec's "Connection pools and cache-node throughput" fragment, its lines verbatim,
    /// added to the format-1 definitions of `app` and `product_cache` they extend.
    func testPoolsAndCacheNodeFragment() throws {
        let s = try load(scenario(workload: """
          arrivals: {kind: open, rate: 100/s}
          keys:
            products: {count: 1000}
          requests:
            req: {weight: 1, key: products}
        """, architecture: """
          routes: {req: app.op}
          services:
            app:
              pools: {main: {size: 10, wait: 1s}}   # per instance and per shard: connections to `main`
              operations:
                op: {steps: [{cache_get: product_cache, on_miss: [{db_read: main}]}]}
          caches:
            product_cache:
              capacity: 100000
              nodes: 3
              workers: 1                       # operations at once per node (Redis: one thread)
              service: constant(10us)          # time an operation holds a node's worker
              latency: exponential(mean=0.3ms) # the network round trip: half before, half after
          databases:
            main: {primary: {connections: 4, read: constant(1ms), write: constant(1ms)}}
        """))
        XCTAssertEqual(s.architecture.services[0].pools, [ConnectionPool(database: 0, size: 10, wait: 1_000_000_000)])
        let c = s.architecture.caches[0]
        XCTAssertEqual(c.workers, 1)
        XCTAssertEqual(c.service, .constant(10_000))
        var expected = s
        expected.sourcePath = nil
        let text = try ScenarioWriter(directory: "/nonexistent").scenario(s)
        XCTAssertEqual(try load(text), expected, text)
        assertOneProblem(minimal(services: "    b: {pools: {mian: {size: 2}}, operations: {op: {}}}"), "unknown database 'mian'")
        assertOneProblem(minimal(more: """
          databases:
            main: {primary: {connections: 4, read: constant(1ms), write: constant(1ms)}}
        """, extra: "").replacingOccurrences(of: "      operations:", with: "      pools: {main: {wait: 1s}}\n      operations:"),
                         "pools.main", "size")
        assertOneProblem(minimal(more: "  caches:\n    c: {capacity: 10, workers: 2}"), "workers needs a service time")
    }

    /// The spec's `retry_failed` sentence, as written, at the architecture and on one service.
    func testRetryFailed() throws {
        let s = try load(scenario(architecture: """
          load_balancer: {policy: round_robin, retry_failed: 1}
          routes: {req: app.op}
          services:
            app: {instances: 3, operations: {op: {}}}
            b: {load_balancer: {retry_failed: 2}, operations: {op: {}}}
            c: {load_balancer: {policy: random}, operations: {op: {}}}
        """))
        XCTAssertEqual(s.architecture.retryFailed, 1)
        XCTAssertEqual(s.architecture.services.map(\.retryFailed), [nil, 2, nil])
        XCTAssertEqual(s.architecture.services.map(\.balancer), [nil, nil, .random])
        var expected = s
        expected.sourcePath = nil
        let text = try ScenarioWriter(directory: "/nonexistent").scenario(s)
        XCTAssertEqual(try load(text), expected, text)
        assertOneProblem(minimal(more: """
          databases:
            db:
              primary: {connections: 4, read: constant(1ms), write: constant(1ms)}
              replicas: 1
              replica_balancer: {policy: random, retry_failed: 1}
        """), "unknown key 'retry_failed'")
        assertOneProblem(scenario(architecture: """
          load_balancer: {}
          routes: {req: app.op}
          services: {app: {operations: {op: {}}}}
        """), "needs policy or retry_failed")
    }

    /// The spec's "Hosts" fragment, verbatim, given routes and a workload.
    func testHostsFragment() throws {
        let s = try load("""
        duration: 1m
        workload:
          arrivals: {kind: open, rate: 100/s}
          requests: {req: {weight: 1}}
        architecture:
          routes: {req: app.op}
          hosts:
            box: {cores: 8}                    # a machine; `count: N` for N identical machines
          services:
            app:
              host: box                        # instance i runs on machine i mod count
              operations:
                op: {cpu: exponential(mean=1ms)}
          databases:
            main:
              primary: {host: box, connections: 100, read: exponential(mean=1ms), write: exponential(mean=2ms)}
        faults:
          - {at: 1s, target: "box[0]", kind: crash, for: 1s}
        """)
        XCTAssertEqual(s.architecture.hosts, [HostKind(name: "box", cores: 8)])
        XCTAssertEqual(s.architecture.services[0].host, 0)
        XCTAssertEqual(s.architecture.databases[0].primary.host, 0)
        XCTAssertEqual(s.faults[0].target, .hostMachine(host: 0, machine: 0))
        var expected = s
        expected.sourcePath = nil
        let text = try ScenarioWriter(directory: "/nonexistent").scenario(s)
        XCTAssertEqual(try load(text), expected, text)
        assertOneProblem(minimal(services: "    b: {host: boxx, operations: {op: {}}}", more: "  hosts: {box: {cores: 2}}"),
                         "unknown host 'boxx'", "box")
        assertOneProblem(minimal(services: "    b: {host: box, cores: 2, operations: {op: {}}}", more: "  hosts: {box: {cores: 2}}"),
                         "host or cores, not both")
        assertOneProblem(minimal(more: "  hosts: {box: {cores: 2, count: 2}}", extra: "faults:\n  - {at: 1s, target: \"box[2]\", kind: crash}"),
                         "'box' has 2 machines; valid: box[0..1]")
        assertOneProblem(minimal(more: "  hosts: {app: {cores: 2}}"), "already used by a service")
    }

    func testRoundTrip() throws {
        let s = try load(minimal(more: Self.databaseServerFragment))
        let text = try ScenarioWriter(directory: "/nonexistent").scenario(s)
        var expected = s
        expected.sourcePath = nil
        let back = try load(text)
        XCTAssertEqual(back, expected, text)
        // Replicas that differ from their primary write only the differences.
        var r = s
        r.architecture.databases[0].replicaCount = 1
        r.architecture.databases[0].readsFrom = .replicas
        r.architecture.databases[0].replica.disks = 4
        r.architecture.databases[0].replica.commit = CommitLog(flush: .constant(3e6), group: false)
        let written = try ScenarioWriter(directory: "/nonexistent").scenario(r)
        XCTAssertEqual(try load(written), r, written)
        // A replica without its primary's buffer pool cannot be written: the reader would give it one.
        r.architecture.databases[0].replica.bufferPool = nil
        XCTAssertThrowsError(try ScenarioWriter(directory: "/nonexistent").scenario(r))
    }
}
