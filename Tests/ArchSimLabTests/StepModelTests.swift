// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimBackend
import ArchSimCalibration
import ArchSimLab
import XCTest

/// The model `archsim lab steps` predicts each real step with, on inputs whose answer is known.
final class StepModelTests: XCTestCase {
    /// Two request types, 1 ms and 3 ms of CPU (in proportion 1:3), on one core; the CPU curve is
    /// `points` (req/s, cores); no latencies unless given (the CPU is then a constant, no delay).
    func measurement(points: [(Double, Double)], backends: Int = 2, pathShare: Double = 1,
                     latencies: [String: [Double]] = [:]) -> StepComparison.Measurement {
        StepComparison.Measurement(
            step: 2, backends: backends, replicas: 0, cores: 1, pinned: true, capacities: [], capacityP99Ms: 0,
            components: ["nginx", "backend", "primary"],
            demands: ["view_product": [0.0001, 0.0006, 0.0003], "place_order": [0.0001, 0.002, 0.0009]],
            latencies: latencies, typeUtilisation: [:], idleCores: 0,
            cpuCurve: points.map { (rate: $0.0, cores: $0.1) }, pathShare: pathShare, levels: [], loadAverage1m: 0,
            mix: [.init(.viewProduct, weight: 1), .init(.placeOrder, weight: 1)])
    }

    func testTheCPUCurveInterpolatesExtendsAndGivesTheUtilisationLimit() {
        let m = measurement(points: [(100, 0.2), (300, 0.5), (500, 0.7)])
        XCTAssertEqual(m.labCores(atRate: 200), 0.35, accuracy: 1e-12)
        XCTAssertEqual(m.labCores(atRate: 400), 0.6, accuracy: 1e-12)
        XCTAssertEqual(m.labCores(atRate: 600), 0.8, accuracy: 1e-12)   // the last segment extended
        XCTAssertEqual(m.labCores(atRate: 50), 0.125, accuracy: 1e-12)  // the first one, backwards
        XCTAssertEqual(m.utilisationLimit, 800, accuracy: 1e-9)           // 0.7 + 0.001 × (λ − 500) = 1
        XCTAssertEqual(m.demand(atRate: 300), 0.5 / 300, accuracy: 1e-15)
        XCTAssertEqual(m.typesDemand, 0.002, accuracy: 1e-15)
        // A curve that crosses the cores inside: the crossing segment, not the last.
        XCTAssertEqual(measurement(points: [(100, 0.5), (300, 1.5), (500, 1.6)]).utilisationLimit, 200, accuracy: 1e-9)
        // … also when the curve flattens after crossing; a flat end that never crosses: unknown (0).
        XCTAssertEqual(measurement(points: [(100, 0.5), (300, 1.2), (500, 1.2)]).utilisationLimit, 100 + 200 * 0.5 / 0.7, accuracy: 1e-9)
        XCTAssertEqual(measurement(points: [(100, 0.5), (300, 0.8), (500, 0.8)]).utilisationLimit, 0)
        // The first point already past the cores: the first segment, backwards.
        XCTAssertEqual(measurement(points: [(200, 1.1), (300, 1.3)]).utilisationLimit, 150, accuracy: 1e-9)
    }

    /// CPU 2 ms per request whatever the rate, on one core, processor sharing: M/G/1-PS, whose
    /// mean response E[S]/(1 − ρ) depends only on the mean; the types' 1 and 3 ms keep their ratio.
    func testTheModelIsProcessorSharingOnTheMeasuredDemand() throws {
        let m = measurement(points: [(100, 0.2), (400, 0.8)])
        let model = StepModel(m)
        XCTAssertEqual(m.utilisationLimit, 500, accuracy: 1e-9)
        let (yaml, files) = model.scenario(rate: 250)
        XCTAssertTrue(yaml.contains("lab: {cores: 1, background: 0.0000}"), yaml)
        XCTAssertTrue(yaml.contains("instances: 2"), yaml)
        XCTAssertTrue(yaml.contains("view_product: nginx.view_product"), yaml)
        XCTAssertTrue(files.isEmpty)
        XCTAssertTrue(yaml.contains("cpu: constant(0.900000ms)"), yaml)  // backend 0.6 + primary 0.3 ms, one draw
        let p = try model.predict(rate: 250)
        XCTAssertEqual(p.throughput, 250, accuracy: 250 * 0.03)
        XCTAssertEqual(p.errorRate, 0)
        // At ρ = 0.5 the mix's mean response is 2 ms / 0.5 = 4 ms; the median of a mix of 1 and
        // 3 ms jobs stretched by PS lies between 1/(1 − ρ) × 1 ms and 3 ms × the same.
        XCTAssertGreaterThan(p.p50Ms, 1.5)
        XCTAssertLessThan(p.p50Ms, 6.5)
        XCTAssertGreaterThan(p.p99Ms, 3 * 2)
        // Capacity by the real search's rule: below the utilisation limit (p99 ≤ 50 ms needs ρ < 1), near it.
        let capacity = try model.capacity(p99BoundMs: 50)
        XCTAssertLessThan(capacity, 500)
        XCTAssertGreaterThan(capacity, 0.7 * 500)
    }

    /// Half the CPU off the requests' paths: it becomes the host's background (it still loads the
    /// core, so capacity is the same), and a request's own CPU halves: lower latency, same limit.
    func testCPUBesideThePathsIsTheHostsBackground() throws {
        let full = StepModel(measurement(points: [(100, 0.2), (400, 0.8)]))
        let half = StepModel(measurement(points: [(100, 0.2), (400, 0.8)], pathShare: 0.5))
        XCTAssertTrue(half.scenario(rate: 250).yaml.contains("lab: {cores: 1, background: 0.2500}"))
        XCTAssertTrue(half.scenario(rate: 250).yaml.contains("cpu: constant(0.450000ms)"), half.scenario(rate: 250).yaml)  // 0.9 ms × 0.5
        let a = try full.predict(rate: 250), b = try half.predict(rate: 250)
        XCTAssertLessThan(b.p50Ms, a.p50Ms * 0.75)
        XCTAssertEqual(b.throughput, 250, accuracy: 250 * 0.03)
        // The background still loads the core, so the utilisation limit stays 500/s; a request's
        // own CPU being shorter, p99 reaches 50 ms nearer that limit.
        let (h, f) = (try half.capacity(p99BoundMs: 50), try full.capacity(p99BoundMs: 50))
        XCTAssertLessThan(h, 500)
        XCTAssertGreaterThan(h, f)
    }

    /// Exponential-shaped latencies of mean 3 ms (views) and 5 ms (orders) at 100 req/s, where
    /// the curve gives 2 ms per request (scale 1) and ρ = 0.2: a view's CPU on the path is
    /// 1 ms / 0.8 = 1.25 ms, an order's 3 ms / 0.8 = 3.75 ms. The split keeps each latency's
    /// shape; the model, at that rate, gives back the latencies' mean and, roughly, their median.
    func testTheLatenciesAreSplitIntoCPUAndDelayAndTheModelGivesThemBack() throws {
        func exponential(_ mean: Double) -> [Double] { (0..<2_000).map { -mean * log(1 - (Double($0) + 0.5) / 2_000) } }
        let latencies = ["view_product": exponential(0.003), "place_order": exponential(0.005)]
        let m = measurement(points: [(100, 0.2), (400, 0.8)], latencies: latencies)
        let view = m.split("view_product"), order = m.split("place_order")
        XCTAssertEqual(view.cpuFraction, 1.25 / 3, accuracy: 1e-3)
        XCTAssertEqual(order.cpuFraction, 3.75 / 5, accuracy: 1e-3)
        XCTAssertFalse(view.exceeds)
        XCTAssertEqual(view.shape.reduce(0, +) / 2_000, 1, accuracy: 1e-9)
        XCTAssertEqual(view.delays.reduce(0, +) / 2_000, 0.003 * (1 - 1.25 / 3), accuracy: 2e-5)
        // Latencies shorter than the CPU: all of it is CPU, and the split says so.
        let short = measurement(points: [(100, 0.2), (400, 0.8)], latencies: ["view_product": exponential(0.001)]).split("view_product")
        XCTAssertEqual(short.cpuFraction, 1)
        XCTAssertTrue(short.exceeds)

        let model = StepModel(m)
        let (yaml, files) = model.scenario(rate: 100)
        XCTAssertEqual(Set(files.keys), ["view_product.cpu.csv", "view_product.delay.csv", "place_order.cpu.csv", "place_order.delay.csv"])
        XCTAssertTrue(yaml.contains("cpu: empirical(\"view_product.cpu.csv\")"), yaml)
        // M/G/1-PS: a job of size s takes s/(1 − ρ) on average, so the mean latency is the CPU on
        // the path (c) plus the delays ((1 − f) × mean): the measured 4 ms.
        let p = try model.predict(rate: 100)
        XCTAssertEqual(p.meanMs, 4, accuracy: 4 * 0.05)
        let all = (latencies["view_product"]! + latencies["place_order"]!).sorted()
        XCTAssertEqual(p.p50Ms, all[all.count / 2] * 1e3, accuracy: all[all.count / 2] * 1e3 * 0.15)
        // (A constant CPU plus the latency less it, floored at 0, would give a mean of
        // 1.25 + 3 e^(−1.25/3) and 3.75 + 5 e^(−0.75) ms: 4.67 ms, 17% high.)
    }
}
