// SPDX-License-Identifier: GPL-3.0-or-later
import XCTest
import ArchSimKernel
import ArchSimModel

/// The simulator against queueing theory. Each test simulates enough requests that the 95%
/// confidence interval is a few percent wide, and asserts the analytic value within a stated
/// tolerance; a wrong model (service discipline, arrival process, statistics) fails them.
/// Every run is also checked for conservation and Little's law (``Invariants``).
final class QueueingTheoryTests: XCTestCase {
    func run(_ s: Scenario) throws -> ScenarioResult {
        let r = try Runner.run(s, jobs: 2)
        Invariants.check(r)
        return r
    }

    /// M/M/1: response time is exponential with rate μ − λ: mean 1/(μ−λ), p99 ln(100)/(μ−λ).
    /// Tolerance: mean 3%, p99 4% (the CI half-width is about 1% and 2%).
    func testMM1() throws {
        for (rho, seconds) in [(0.5, Int64(400)), (0.9, Int64(1200))] {
            let mu = 1000.0, lambda = rho * mu
            let r = try run(Fixtures.singleQueue(rate: lambda, service: .exponential(mean: Fixtures.ms), seconds: seconds))
            let all = r.summary.last!
            let mean = 1000 / (mu - lambda), p99 = log(100) * 1000 / (mu - lambda)
            XCTAssertEqual(all.meanMs, mean, accuracy: mean * 0.03, "M/M/1 ρ=\(rho) mean")
            XCTAssertEqual(all.p99Ms, p99, accuracy: p99 * 0.04, "M/M/1 ρ=\(rho) p99")
            XCTAssertEqual(r.components[0].utilization!, rho, accuracy: 0.01)
            // The analytic mean lies within a few CI half-widths (the CI is honest).
            XCTAssertLessThan(abs(all.meanMs - mean), 4 * all.meanCI95Ms!)
        }
    }

    /// M/M/c with c = 8 at ρ = 0.9: Erlang C mean wait in queue.
    func testMMcErlangC() throws {
        let c = 8, mu = 1000.0, lambda = 7200.0
        let r = try run(Fixtures.singleQueue(rate: lambda, workers: c, service: .exponential(mean: Fixtures.ms), seconds: 150))
        let wq = Analytic.erlangCWait(arrival: lambda, service: mu, servers: c) * 1000
        XCTAssertEqual(wq, 0.8769, accuracy: 0.0005, "Erlang C reference")
        XCTAssertEqual(r.components[0].meanWaitMs!, wq, accuracy: wq * 0.05, "M/M/8 mean wait")
        XCTAssertEqual(r.summary.last!.meanMs, wq + 1, accuracy: (wq + 1) * 0.02, "M/M/8 mean response")
    }

    /// M/D/1 at ρ = 0.8: Pollaczek–Khinchine with zero service variance, Wq = ρ/(2μ(1−ρ)).
    func testMD1() throws {
        let mu = 1000.0, lambda = 800.0
        let r = try run(Fixtures.singleQueue(rate: lambda, service: .constant(Fixtures.ms), seconds: 500))
        let wq = Analytic.pollaczekKhinchineWait(arrival: lambda, meanService: 1 / mu, serviceVariance: 0) * 1000
        XCTAssertEqual(wq, 2.0, accuracy: 1e-9)
        XCTAssertEqual(r.components[0].meanWaitMs!, wq, accuracy: wq * 0.04, "M/D/1 mean wait")
    }

    /// M/G/1 with lognormal service (mean 1 ms, sd 2 ms) at ρ = 0.7: Pollaczek–Khinchine.
    func testMG1Lognormal() throws {
        let lambda = 700.0
        let service = Distribution.lognormal(mean: Fixtures.ms, sd: 2 * Fixtures.ms)
        let r = try run(Fixtures.singleQueue(rate: lambda, service: service, seconds: 800))
        let wq = Analytic.pollaczekKhinchineWait(arrival: lambda, meanService: 1e-3, serviceVariance: 4e-6) * 1000
        XCTAssertEqual(r.components[0].meanWaitMs!, wq, accuracy: wq * 0.06, "M/G/1 mean wait (P-K \(wq) ms)")
    }

    /// Closed: N users with exponential think time Z against one exponential server S.
    /// Exact Mean Value Analysis gives throughput and response time.
    func testClosedUsersMVA() throws {
        let users = 10, think = 0.050, service = 0.005
        var s = Fixtures.singleQueue(rate: 1, service: .exponential(mean: service * 1e9), seconds: 600)
        s.workload.arrivals = .closed(users: users, think: .exponential(mean: think * 1e9))
        let r = try run(s)
        let (x, resp) = Analytic.mva(users: users, think: think, service: service)
        XCTAssertEqual(r.summary.last!.throughput, x, accuracy: x * 0.02, "MVA throughput")
        XCTAssertEqual(r.summary.last!.meanMs, resp * 1000, accuracy: resp * 1000 * 0.03, "MVA response time")
    }

    /// Processor sharing: with workers never the limit and one core, the instance is an
    /// M/M/1-PS queue, whose mean response is 1/(μ−λ), as for FCFS.
    func testProcessorSharingMeanResponse() throws {
        var s = Fixtures.singleQueue(rate: 800, workers: 10_000, service: .exponential(mean: Fixtures.ms), seconds: 400)
        s.architecture.services[0].cores = 1
        let r = try run(s)
        XCTAssertEqual(r.summary.last!.meanMs, 5.0, accuracy: 5.0 * 0.04, "M/M/1-PS mean response")
    }
}

/// Closed-form results the tests compare with.
enum Analytic {
    /// Erlang C mean wait in queue (seconds) of M/M/c.
    static func erlangCWait(arrival lambda: Double, service mu: Double, servers c: Int) -> Double {
        let a = lambda / mu, rho = a / Double(c)
        var term = 1.0, sum = 0.0
        for k in 0..<c { if k > 0 { term *= a / Double(k) }; sum += term }
        let last = term * a / Double(c) / (1 - rho)
        let pWait = last / (sum + last)
        return pWait / (Double(c) * mu - lambda)
    }

    /// Pollaczek–Khinchine mean wait in queue (seconds) of M/G/1.
    static func pollaczekKhinchineWait(arrival lambda: Double, meanService s: Double, serviceVariance v: Double) -> Double {
        let rho = lambda * s
        return lambda * (v + s * s) / (2 * (1 - rho))
    }

    /// Exact MVA for N users, think time Z, one FCFS exponential server S: (throughput /s, response s).
    static func mva(users: Int, think z: Double, service s: Double) -> (Double, Double) {
        var q = 0.0, x = 0.0, r = 0.0
        for n in 1...users {
            r = s * (1 + q)
            x = Double(n) / (z + r)
            q = x * r
        }
        return (x, r)
    }
}

/// Checks that hold on every run.
enum Invariants {
    static func check(_ r: ScenarioResult, file: StaticString = #filePath, line: UInt = #line) {
        for rep in r.replications {
            let all = rep.all
            // Conservation: offered = completed + errors + in flight at the end (counted apart).
            XCTAssertEqual(all.offered, all.completed + all.errors + rep.measuredInFlightAtEnd,
                           "conservation, replication \(rep.replication)", file: file, line: line)
            // Little's law for the whole system, L = λW, when nothing times out or is lost.
            if all.errors == 0 && all.completed > 10_000 {
                let lambda = Double(all.offered) / rep.seconds
                let w = all.latency.mean / 1e9
                XCTAssertEqual(rep.meanInSystem, lambda * w, accuracy: max(0.05, lambda * w * 0.03),
                               "Little's law L = λW, replication \(rep.replication)", file: file, line: line)
            }
            // Little's law for each service's queue: Lq = λ Wq.
            for (s, service) in rep.services.enumerated() where service.served > 10_000 {
                let lq = Double(service.served) / rep.seconds * service.meanWaitMs / 1000
                XCTAssertEqual(service.meanQueueLength, lq, accuracy: max(0.02, lq * 0.03),
                               "Little's law Lq = λWq, service \(s)", file: file, line: line)
            }
        }
    }
}
