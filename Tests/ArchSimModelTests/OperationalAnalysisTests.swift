// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimModel
import ArchSimScenario
import Foundation
import XCTest

/// Operational analysis against queueing theory computed here, independently of the analysis's
/// own formulas: M/M/1, M/M/c (Erlang C from its closed form), a tandem of two M/M/1 queues, a
/// closed single queue with think time (the machine-repairman model, from its stationary
/// distribution); Che's approximation against a direct solution; and the saturation rate of
/// product-form scenarios against the capacity the simulation finds.
final class OperationalAnalysisTests: XCTestCase {
    static func load(_ yaml: String) throws -> Scenario {
        try ScenarioLoader.load(yaml: yaml, file: "test.yaml", baseDirectory: FileManager.default.temporaryDirectory.path)
    }

    static func relative(_ a: Double, _ b: Double) -> Double { abs(a - b) / max(abs(a), abs(b)) }

    /// One service of `workers` workers with exponential CPU of `ms` mean, Poisson arrivals.
    static func queue(rate: String, workers: Int, ms: Double, duration: String = "60s") -> String {
        """
        name: mmc
        seed: 3
        duration: \(duration)
        warmup: 10s
        replications: 3
        workload:
          arrivals: {kind: open, process: poisson, rate: \(rate)}
          requests:
            req: {weight: 1}
        architecture:
          routes: {req: app.op}
          services:
            app:
              workers: \(workers)
              operations:
                op: {cpu: exponential(mean=\(ms)ms)}
        """
    }

    /// M/M/1 at 900/s with a 1 ms mean: demand 1 ms, utilisation 0.9, X* = 1,000/s, R = S/(1 − ρ) = 10 ms, exact.
    func testMM1() throws {
        let a = OperationalAnalysis(try Self.load(Self.queue(rate: "900/s", workers: 1, ms: 1)))
        XCTAssertEqual(a.stations.count, 1)
        let s = a.stations[0]
        XCTAssertEqual(s.kind, .workers)
        XCTAssertLessThan(Self.relative(s.demand, 0.001), 1e-9)
        XCTAssertLessThan(Self.relative(s.utilization(at: a.rate), 0.9), 1e-9)
        XCTAssertLessThan(Self.relative(a.saturationRate, 1000), 1e-9)
        XCTAssertEqual(a.bottleneck, 0)
        XCTAssertLessThan(Self.relative(a.response, 0.001 / (1 - 0.9)), 1e-9, "M/M/1 mean response")
        XCTAssertLessThan(Self.relative(a.minimumResponse, 0.001), 1e-9)
        XCTAssertTrue(a.exact, "\(a.checks.filter { !$0.holds })")
    }

    /// M/M/c, c = 4, λ = 3,000/s, S = 1 ms: R = S + C(c, a) S/(c − a), C from its closed form.
    func testMMcErlangC() throws {
        let c = 4, lambda = 3000.0, s = 0.001
        let a = OperationalAnalysis(try Self.load(Self.queue(rate: "3000/s", workers: c, ms: 1)))
        let load = lambda * s, rho = load / Double(c)
        var sum = 0.0, term = 1.0
        for k in 0..<c { if k > 0 { term *= load / Double(k) }; sum += term }
        let last = term * load / Double(c) / (1 - rho)
        let erlangC = last / (sum + last)
        let expected = s + erlangC * s / (Double(c) - load)
        XCTAssertLessThan(Self.relative(a.response, expected), 1e-9, "M/M/4: \(a.response) vs \(expected)")
        XCTAssertLessThan(Self.relative(a.saturationRate, 4000), 1e-9)
        XCTAssertLessThan(Self.relative(a.stations[0].utilization(at: a.rate), 0.75), 1e-9)
        XCTAssertTrue(a.exact)
    }

    /// A tandem of two M/M/1 queues: an async front (its worker is free while it calls) and a
    /// back end. R = S₁/(1 − λS₁) + S₂/(1 − λS₂); the bottleneck is the slower one.
    func testTandemOfTwoMM1() throws {
        let a = OperationalAnalysis(try Self.load("""
            name: tandem
            duration: 60s
            workload:
              arrivals: {kind: open, process: poisson, rate: 600/s}
              requests:
                req: {weight: 1}
            architecture:
              routes: {req: front.op}
              services:
                front:
                  workers: 1
                  io: async
                  operations:
                    op:
                      cpu: exponential(mean=1ms)
                      steps:
                        - call: back.op
                back:
                  workers: 1
                  operations:
                    op: {cpu: exponential(mean=0.5ms)}
            """))
        let expected = 0.001 / (1 - 0.6) + 0.0005 / (1 - 0.3)
        XCTAssertLessThan(Self.relative(a.response, expected), 1e-9, "tandem: \(a.response) vs \(expected)")
        XCTAssertEqual(a.stations.map(\.name), ["front", "back"])
        XCTAssertEqual(a.bottleneck, 0)
        XCTAssertLessThan(Self.relative(a.saturationRate, 1000), 1e-9)
        XCTAssertLessThan(Self.relative(a.minimumResponse, 0.0015), 1e-9)
        XCTAssertTrue(a.exact, "\(a.checks.filter { !$0.holds })")
    }

    /// Closed: N = 20 users thinking 50 ms (exponential) at one exponential server of 5 ms —
    /// the machine-repairman model: p₀ = 1 / Σₖ N!/(N−k)! (S/Z)^k, X = (1 − p₀)/S,
    /// R = N/X − Z. Also the asymptotic bounds min(N/(S+Z), 1/S) and max(S, NS − Z).
    func testClosedSingleQueueIsMachineRepairman() throws {
        let users = 20, s = 0.005, z = 0.05
        let a = OperationalAnalysis(try Self.load("""
            name: closed
            duration: 60s
            workload:
              arrivals: {kind: closed, users: \(users), think: exponential(mean=50ms)}
              requests:
                req: {weight: 1}
            architecture:
              routes: {req: app.op}
              services:
                app:
                  workers: 1
                  operations:
                    op: {cpu: exponential(mean=5ms)}
            """))
        var sum = 0.0, term = 1.0
        for k in 0...users {
            if k > 0 { term *= Double(users - k + 1) * s / z }
            sum += term
        }
        let x = (1 - 1 / sum) / s
        XCTAssertLessThan(Self.relative(a.rate, x), 1e-9, "MVA throughput \(a.rate) vs \(x)")
        XCTAssertLessThan(Self.relative(a.response, Double(users) / x - z), 1e-9)
        XCTAssertLessThan(Self.relative(a.throughputBound, min(Double(users) / (s + z), 1 / s)), 1e-9)
        XCTAssertLessThan(Self.relative(a.responseBound, max(s, Double(users) * s - z)), 1e-9)
        XCTAssertLessThan(Self.relative(a.saturationUsers!, (s + z) / s), 1e-9)
        XCTAssertTrue(a.exact, "\(a.checks.filter { !$0.holds })")
    }

    /// Che's approximation on bucketed Zipf keys equals a direct solution over every key (10⁶
    /// keys: the tail buckets), within 10⁻³; TTL and deletes reduce to their closed forms.
    func testCheOnBucketsMatchesEveryKey() throws {
        let n = 1_000_000, s = 0.99, capacity = 50_000.0
        let b = KeyBuckets(KeySpace(name: "k", count: n, popularity: .zipf(s: s)))
        XCTAssertLessThan(b.buckets, 17_500)
        XCTAssertEqual(b.count.reduce(0, +), Double(n))
        let t = CheApproximation.characteristicTime(policy: .lru, count: b.count, rate: b.probability,
                                                    deleteRate: [Double](repeating: 0, count: b.buckets), capacity: capacity)
        var hit = 0.0
        for i in 0..<b.buckets { hit += b.count[i] * b.probability[i] * -expm1(-b.probability[i] * t) }
        // Directly, key by key.
        var p = (1...n).map { pow(Double($0), -s) }
        let total = p.reduce(0, +)
        p = p.map { $0 / total }
        func filled(_ t: Double) -> Double { p.reduce(0) { $0 - expm1(-$1 * t) } }
        var lo = 0.0, hi = 1.0
        while filled(hi) < capacity { hi *= 2 }
        for _ in 0..<100 { let mid = (lo + hi) / 2; if filled(mid) < capacity { lo = mid } else { hi = mid } }
        let direct = p.reduce(0) { $0 + $1 * -expm1(-$1 * lo) }
        XCTAssertEqual(hit, direct, accuracy: 1e-3, "bucketed \(hit) vs every key \(direct)")

        // Everything fits: T is infinite; a TTL L alone gives rL/(1 + rL); L ≤ T likewise.
        XCTAssertEqual(CheApproximation.characteristicTime(policy: .lru, count: [10], rate: [1], deleteRate: [0], capacity: 10), .infinity)
        XCTAssertEqual(CheApproximation.hit(policy: .lru, rate: 2, deleteRate: 0, time: .infinity, ttl: 3), 6.0 / 7, accuracy: 1e-12)
        XCTAssertEqual(CheApproximation.hit(policy: .lru, rate: 2, deleteRate: 0, time: 5, ttl: 3), 6.0 / 7, accuracy: 1e-12)
        // A TTL far beyond T: LRU alone, 1 − e^{−rT}; deletes: r/(r+δ) (1 − e^{−(r+δ)T}).
        XCTAssertEqual(CheApproximation.hit(policy: .lru, rate: 0.5, deleteRate: 0, time: 2, ttl: 1e6),
                       -expm1(-1.0), accuracy: 2e-3)
        XCTAssertEqual(CheApproximation.hit(policy: .lru, rate: 0.5, deleteRate: 0.25, time: 2, ttl: nil),
                       0.5 / 0.75 * -expm1(-1.5), accuracy: 1e-12)
    }

    /// On product-form scenarios the saturation rate X* is within 5% of the capacity the
    /// simulation finds with a mean-response objective that binds near saturation: an M/M/8,
    /// an async tandem of an M/M/2 and an M/M/4, and a service in front of a database of 2
    /// exponential connections. (X* bounds the capacity from above.)
    func testSaturationRateWithinFivePercentOfSimulatedCapacity() throws {
        let tandem = """
            name: tandem
            seed: 5
            duration: 60s
            warmup: 10s
            workload:
              arrivals: {kind: open, process: poisson, rate: 500/s}
              requests:
                req: {weight: 1}
            architecture:
              routes: {req: front.op}
              services:
                front:
                  workers: 2
                  io: async
                  operations:
                    op:
                      cpu: exponential(mean=2ms)
                      steps:
                        - call: back.op
                back:
                  workers: 4
                  operations:
                    op: {cpu: exponential(mean=3ms)}
            """
        let database = """
            name: database
            seed: 5
            duration: 60s
            warmup: 10s
            workload:
              arrivals: {kind: open, process: poisson, rate: 500/s}
              requests:
                req: {weight: 1}
            architecture:
              routes: {req: app.op}
              services:
                app:
                  workers: 100
                  io: async
                  operations:
                    op:
                      cpu: exponential(mean=0.2ms)
                      steps:
                        - db_read: db
              databases:
                db:
                  primary: {connections: 2, read: exponential(mean=2ms), write: exponential(mean=2ms)}
            """
        let cases: [(String, String, String)] = [
            // Each objective binds at ~97.5% of X* by Erlang C (60, 50 and 40 ms).
            (Self.queue(rate: "500/s", workers: 8, ms: 10), "mean<60ms", "app"),
            (tandem, "mean<50ms", "front"),
            (database, "mean<40ms", "db.primary"),
        ]
        for (yaml, slo, bottleneck) in cases {
            let scenario = try Self.load(yaml)
            let a = OperationalAnalysis(scenario)
            XCTAssertTrue(a.exact, "\(scenario.name): \(a.checks.filter { !$0.holds })")
            XCTAssertEqual(a.bottleneck.map { a.stations[$0].name }, bottleneck)
            let started = Date()
            let found = try CapacitySearch.search(scenario, objectives: [ServiceLevelObjective(parsing: slo)], jobs: 2,
                                                  tolerance: 0.01)
            let ratio = found.capacity / a.saturationRate
            print("\(scenario.name): simulated capacity \(found.capacity) / X* \(a.saturationRate) = \(ratio) "
                  + "(\(String(format: "%.1f", Date().timeIntervalSince(started))) s)")
            XCTAssertLessThanOrEqual(ratio, 1.01, "\(scenario.name): X* bounds the capacity")
            XCTAssertGreaterThanOrEqual(ratio, 0.95, "\(scenario.name): X* within 5% of the capacity")
        }
    }
}
