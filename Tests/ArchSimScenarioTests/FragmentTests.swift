// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimKernel
import ArchSimModel
import ArchSimScenario
import XCTest

/// Every fragment of the spec, spliced verbatim into a minimal valid scenario.
final class FragmentTests: XCTestCase {
    static let workloadFragment = """
    workload:
      arrivals:
        kind: open                 # open: arrivals at a rate, whatever the system does
        process: poisson           # poisson | constant
        rate: 900/s                # or `profile:` below instead of `rate:`
        # profile:                 # piecewise-linear rate over simulated time
        #   - {at: 0s, rate: 2667/s}
        #   - {at: 5m, rate: 8000/s}
      # arrivals: {kind: closed, users: 200, think: exponential(mean=1s)}
      #   closed: each user sends a request, waits for its answer, thinks, repeats
      keys:                        # optional key spaces; requests draw a key from one
        products: {count: 1000000, popularity: zipf(s=0.99)}   # or popularity: uniform
      requests:                    # the request mix; weights need not sum to 1
        view_product: {weight: 60, key: products, timeout: 2s}
        place_order:  {weight: 5,  key: products}
    """

    static let architectureFragment = """
    architecture:
      network: {hop: constant(0ms)}        # latency added to each call between components; default 0
      load_balancer: {policy: round_robin} # round_robin | random | least_connections | power_of_two | consistent_hash
      routes:                              # request type -> service.operation that serves it
        view_product: app.view
        place_order:  app.order
      services:
        app:
          instances: 1                     # behind the load balancer
          workers: 1                       # requests served at once per instance (thread pool)
          queue: unbounded                 # waiting requests per instance; past it: rejected
          # cores: 2                       # optional: CPU work shares this many cores per instance
          operations:
            view:
              cpu: exponential(mean=1ms)   # time the operation computes while holding a worker
              steps: []                    # what it does besides computing, in order
            order:
              cpu: exponential(mean=1ms)
    """

    static let stepsFragment = """
    steps:
      - call: payment.charge               # RPC to another service, through the load balancer
      - parallel:                          # fan-out: all run at once, the step ends when all end
          - call: user.profile
          - call: product.stock
      - cache_get: product_cache           # looks up the request's key
        on_miss:
          - db_read: main
          - cache_set: product_cache
      - cache_delete: product_cache        # invalidate the request's key
      - db_read: main                      # served by a replica when the database reads from replicas
      - db_read: main
        consistency: strong                # always the primary
      - db_write: main                     # always the primary; replicas apply it after the lag
      - delay: lognormal(median=30ms, p99=200ms)   # waiting on something outside (a bank, say)
      - cpu: exponential(mean=0.5ms)       # more computing at this point, holding the worker
    """

    static let storageFragment = """
      caches:
        product_cache:
          nodes: 3                         # keys are spread over nodes by hash
          capacity: 100000                 # entries, all nodes together
          eviction: lru                    # lru | lfu | fifo | random
          ttl: 5m                          # optional
          latency: exponential(mean=0.3ms)
      databases:
        main:
          primary:
            connections: 100
            read: lognormal(median=1ms, p99=8ms)
            write: lognormal(median=3ms, p99=20ms)
          replicas:
            count: 3
            connections: 100
            read: lognormal(median=1ms, p99=8ms)
          reads_from: replicas             # primary | replicas
          replication_lag: exponential(mean=20ms)
    """

    static let faultsFragment = """
    faults:
      - at: 5m
        target: app[0]                     # instance down; requests to it fail until the balancer notices
        kind: crash
        for: 1m
      - at: 8m
        target: main.replica[1]
        kind: slow                         # service times multiplied by factor
        factor: 10
        for: 30s
    """

    /// Indents every line of `text` by `spaces`.
    static func indent(_ text: String, _ spaces: Int) -> String {
        let pad = String(repeating: " ", count: spaces)
        return text.split(separator: "\n", omittingEmptySubsequences: false).map { pad + $0 }.joined(separator: "\n")
    }

    func testWorkloadFragment() throws {
        let s = try load("""
        duration: 1m
        \(Self.workloadFragment)
        architecture:
          routes: {view_product: app.op, place_order: app.op}
          services: {app: {operations: {op: {}}}}
        """)
        let w = s.workload
        guard case let .open(process, rate) = w.arrivals else { return XCTFail("not open") }
        XCTAssertEqual(process, .poisson)
        XCTAssertEqual(rate, .constant(900))
        XCTAssertEqual(w.keySpaces.count, 1)
        XCTAssertEqual(w.keySpaces[0].name, "products")
        XCTAssertEqual(w.keySpaces[0].count, 1_000_000)
        XCTAssertEqual(w.keySpaces[0].popularity, .zipf(s: 0.99))
        XCTAssertEqual(w.requestTypes.map(\.name), ["view_product", "place_order"])
        XCTAssertEqual(w.requestTypes.map(\.weight), [60, 5])
        XCTAssertEqual(w.requestTypes.map(\.keySpace), [0, 0])
        XCTAssertEqual(w.requestTypes[0].timeout, 2_000_000_000)
        XCTAssertNil(w.requestTypes[1].timeout)
    }

    func testWorkloadProfileAndClosedAlternatives() throws {
        let profile = try load(scenario(workload: """
          arrivals:
            kind: open
            process: constant
            profile:                 # piecewise-linear rate over simulated time
              - {at: 0s, rate: 2667/s}
              - {at: 5m, rate: 8000/s}
          keys:
            products: {count: 10, popularity: uniform}
          requests:
            req: {weight: 1, key: products}
        """, architecture: "  routes: {req: app.op}\n  services: {app: {operations: {op: {}}}}"))
        guard case let .open(process, rate) = profile.workload.arrivals else { return XCTFail("not open") }
        XCTAssertEqual(process, .constant)
        XCTAssertEqual(rate, .profile([RatePoint(at: 0, perSecond: 2667), RatePoint(at: 300_000_000_000, perSecond: 8000)]))
        XCTAssertEqual(profile.workload.keySpaces[0].popularity, .uniform)

        let closed = try load(scenario(workload: """
          arrivals: {kind: closed, users: 200, think: exponential(mean=1s)}
          requests:
            req: {weight: 1}
        """, architecture: "  routes: {req: app.op}\n  services: {app: {operations: {op: {}}}}"))
        guard case let .closed(users, think) = closed.workload.arrivals else { return XCTFail("not closed") }
        XCTAssertEqual(users, 200)
        XCTAssertEqual(think, .exponential(mean: 1e9))
    }

    func testArchitectureFragment() throws {
        let s = try load("""
        duration: 1m
        workload:
          arrivals: {kind: open, rate: 10/s}
          requests: {view_product: {weight: 1}, place_order: {weight: 1}}
        \(Self.architectureFragment)
        """)
        let a = s.architecture
        XCTAssertEqual(a.hop, .constant(0))
        XCTAssertEqual(a.balancer, .roundRobin)
        XCTAssertEqual(a.routes, [OperationRef(service: 0, operation: 0), OperationRef(service: 0, operation: 1)])
        XCTAssertEqual(a.services[0].operations.map(\.name), ["view", "order"])
        XCTAssertNil(a.services[0].queueCapacity)
        XCTAssertEqual(a.services[0].operations[0].cpu, .exponential(mean: 1e6))
        XCTAssertTrue(a.services[0].operations[0].steps.isEmpty)
    }

    /// The steps fragment (in `front.checkout`, with the services it calls) and the
    /// caches/databases fragment, in one scenario.
    static var stepsAndStorageScenario: String {
        minimal(services: """
            front:
              operations:
                checkout:
        \(indent(stepsFragment, 10))
            payment: {operations: {charge: {cpu: constant(1ms)}}}
            user: {operations: {profile: {}}}
            product: {operations: {stock: {}}}
        """, more: storageFragment)
    }

    /// The steps fragment and the caches/databases fragment together.
    func testStepsAndStorageFragments() throws {
        let s = try load(Self.stepsAndStorageScenario)
        let st = steps(s, "front", "checkout")
        XCTAssertEqual(st.count, 9)
        guard case let .call(payment, policy) = st[0] else { return XCTFail("\(st[0])") }
        XCTAssertEqual(payment, OperationRef(service: 2, operation: 0))
        XCTAssertEqual(policy, CallPolicy())
        guard case let .parallel(branches) = st[1], branches.count == 2, case let .call(profile, _) = branches[0],
              case let .call(stock, _) = branches[1] else { return XCTFail("\(st[1])") }
        XCTAssertEqual(profile, OperationRef(service: 3, operation: 0))
        XCTAssertEqual(stock, OperationRef(service: 4, operation: 0))
        guard case let .cacheGet(cache, onMiss) = st[2], onMiss.count == 2,
              case let .dbRead(missDb, missStrong, _) = onMiss[0], case let .cacheSet(setCache) = onMiss[1] else {
            return XCTFail("\(st[2])")
        }
        XCTAssertEqual([cache, missDb, setCache], [0, 0, 0])
        XCTAssertFalse(missStrong)
        guard case .cacheDelete(0) = st[3] else { return XCTFail("\(st[3])") }
        guard case .dbRead(0, false, _) = st[4] else { return XCTFail("\(st[4])") }
        guard case .dbRead(0, true, _) = st[5] else { return XCTFail("\(st[5])") }
        guard case .dbWrite(0, _) = st[6] else { return XCTFail("\(st[6])") }
        guard case let .delay(delay) = st[7] else { return XCTFail("\(st[7])") }
        XCTAssertEqual(delay, .lognormal(median: 30e6, p99: 200e6))
        guard case let .cpu(cpu) = st[8] else { return XCTFail("\(st[8])") }
        XCTAssertEqual(cpu, .exponential(mean: 0.5e6))

        let c = s.architecture.caches[0]
        XCTAssertEqual(c.name, "product_cache")
        XCTAssertEqual(c.nodes, 3)
        XCTAssertEqual(c.capacity, 100_000)
        XCTAssertEqual(c.eviction, .lru)
        XCTAssertEqual(c.ttl, 300_000_000_000)
        XCTAssertEqual(c.latency, .exponential(mean: 300_000))
        let d = s.architecture.databases[0]
        XCTAssertEqual(d.name, "main")
        XCTAssertEqual(d.primary.connections, 100)
        XCTAssertEqual(d.primary.read, .lognormal(median: 1e6, p99: 8e6))
        XCTAssertEqual(d.primary.write, .lognormal(median: 3e6, p99: 20e6))
        XCTAssertEqual(d.replicaCount, 3)
        XCTAssertEqual(d.replica.connections, 100)
        XCTAssertEqual(d.replica.read, .lognormal(median: 1e6, p99: 8e6))
        XCTAssertEqual(d.replica.write, d.primary.write, "apply defaults to the primary's write")
        XCTAssertEqual(d.readsFrom, .replicas)
        XCTAssertEqual(d.replicaBalancer, .leastConnections)
        XCTAssertEqual(d.replicationLag, .exponential(mean: 20e6))
    }

    func testFaultsFragment() throws {
        let s = try load(minimal(more: Self.storageFragment, extra: Self.faultsFragment))
        XCTAssertEqual(s.faults.count, 2)
        XCTAssertEqual(s.faults[0].at, 300_000_000_000)
        XCTAssertEqual(s.faults[0].target, .serviceInstance(service: 0, instance: 0))
        XCTAssertEqual(s.faults[0].kind, .crash)
        XCTAssertEqual(s.faults[0].duration, 60_000_000_000)
        XCTAssertEqual(s.faults[1].at, 480_000_000_000)
        XCTAssertEqual(s.faults[1].target, .replica(database: 0, replica: 1))
        XCTAssertEqual(s.faults[1].kind, .slow(factor: 10))
        XCTAssertEqual(s.faults[1].duration, 30_000_000_000)
    }

    func testOtherFaultTargets() throws {
        let s = try load(minimal(more: Self.storageFragment, extra: """
        faults:
          - {at: 0s, target: "product_cache[2]", kind: crash}
          - {at: 1s, target: main.primary, kind: slow, factor: 2.5}
        """))
        XCTAssertEqual(s.faults[0].target, .cacheNode(cache: 0, node: 2))
        XCTAssertNil(s.faults[0].duration)
        XCTAssertEqual(s.faults[1].target, .primary(database: 0))
        XCTAssertEqual(s.faults[1].kind, .slow(factor: 2.5))
    }

    func testStorageDefaultsAndAddedKeys() throws {
        let s = try load(minimal(more: """
          caches:
            c: {capacity: 10, eviction: random}
          databases:
            solo:
              primary: {connections: 5, read: constant(1ms), write: constant(2ms)}
            replicated:
              primary: {connections: 5, read: constant(1ms), write: constant(2ms)}
              replicas:
                count: 2
                apply: constant(500us)
              replica_balancer: {policy: power_of_two}
              reads_from: primary
        """))
        let c = s.architecture.caches[0]
        XCTAssertEqual(c.nodes, 1)
        XCTAssertEqual(c.eviction, .random)
        XCTAssertNil(c.ttl)
        XCTAssertEqual(c.latency, .constant(0))
        let solo = s.architecture.databases[0]
        XCTAssertEqual(solo.replicaCount, 0)
        XCTAssertEqual(solo.readsFrom, .primary)
        XCTAssertEqual(solo.replicationLag, .constant(0))
        let r = s.architecture.databases[1]
        XCTAssertEqual(r.replicaCount, 2)
        XCTAssertEqual(r.replica.connections, 5)
        XCTAssertEqual(r.replica.read, .constant(1e6))
        XCTAssertEqual(r.replica.write, .constant(500_000))
        XCTAssertEqual(r.replicaBalancer, .powerOfTwo)
        XCTAssertEqual(r.readsFrom, .primary)
    }

    func testEveryDistributionForm() throws {
        let forms: [(String, Distribution)] = [
            ("constant(1ms)", .constant(1e6)),
            ("exponential(mean=2ms)", .exponential(mean: 2e6)),
            ("uniform(min=1ms, max=3ms)", .uniform(min: 1e6, max: 3e6)),
            ("normal(mean=5ms, sd=1ms)", .normal(mean: 5e6, sd: 1e6)),
            ("lognormal(median=3ms, p99=20ms)", .lognormal(median: 3e6, p99: 20e6)),
            ("lognormal(mean=4ms, sd=3ms)", .lognormal(mean: 4e6, sd: 3e6)),
            ("gamma(shape=2, mean=4ms)", .gamma(shape: 2, mean: 4e6)),
            ("erlang(k=3, mean=3ms)", .erlang(k: 3, mean: 3e6)),
            ("weibull(shape=1.5, scale=2ms)", .weibull(shape: 1.5, scale: 2e6)),
            ("pareto(shape=2.5, min=1ms)", .pareto(shape: 2.5, min: 1e6)),
            ("250us", .constant(250_000)),
            ("exponential(mean = 1.5s)", .exponential(mean: 1.5e9)),
            ("constant(2h)", .constant(7200e9)),
            ("constant(10ns)", .constant(10)),
            ("constant(1m)", .constant(60e9)),
        ]
        for (text, expected) in forms {
            let s = try load(minimal(services: """
                x:
                  operations:
                    block:
                      cpu: \(text)
                    flow: {cpu: "\(text)"}
            """))
            XCTAssertEqual(s.architecture.services[1].operations[0].cpu, expected, text)
            XCTAssertEqual(s.architecture.services[1].operations[1].cpu, expected, text)
        }
    }

    func testNetworkBalancerAndRates() throws {
        let s = try load(scenario(workload: """
          arrivals: {kind: open, rate: 7200/h}
          requests: {req: {weight: 1}}
        """, architecture: """
          network: {hop: exponential(mean=100us)}
          load_balancer: {policy: consistent_hash}
          routes: {req: app.op}
          services: {app: {operations: {op: {}}}}
        """))
        XCTAssertEqual(s.architecture.hop, .exponential(mean: 100_000))
        XCTAssertEqual(s.architecture.balancer, .consistentHash)
        guard case let .open(_, rate) = s.workload.arrivals else { return XCTFail() }
        XCTAssertEqual(rate, .constant(2))
    }
}
