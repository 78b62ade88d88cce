// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimBackend
import ArchSimCalibration
import ArchSimLab
import XCTest

/// The model `archsim lab steps` predicts each real step with, on inputs whose answer is known.
final class StepModelTests: XCTestCase {
    /// Two request types, 1 ms and 3 ms of CPU (in proportion 1:3), on one core; the CPU curve is
    /// `points` (req/s, cores); delays 1 µs.
    func measurement(points: [(Double, Double)], backends: Int = 2, pathShare: Double = 1) -> StepComparison.Measurement {
        StepComparison.Measurement(
            step: 2, backends: backends, replicas: 0, cores: 1, pinned: true, capacities: [], capacityP99Ms: 0,
            components: ["nginx", "backend", "primary"],
            demands: ["view_product": [0.0001, 0.0006, 0.0003], "place_order": [0.0001, 0.002, 0.0009]],
            delays: ["view_product": [1e-6], "place_order": [1e-6]], typeUtilisation: [:], idleCores: 0,
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
        XCTAssertEqual(Set(files.keys), ["view_product.delay.csv", "place_order.delay.csv"])
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
        XCTAssertTrue(half.scenario(rate: 250).yaml.contains("cpu: constant(0.300000ms)"), half.scenario(rate: 250).yaml)  // 0.6 ms × 0.5
        let a = try full.predict(rate: 250), b = try half.predict(rate: 250)
        XCTAssertLessThan(b.p50Ms, a.p50Ms * 0.75)
        XCTAssertEqual(b.throughput, 250, accuracy: 250 * 0.03)
        // The background still loads the core, so the utilisation limit stays 500/s; a request's
        // own CPU being shorter, p99 reaches 50 ms nearer that limit.
        let (h, f) = (try half.capacity(p99BoundMs: 50), try full.capacity(p99BoundMs: 50))
        XCTAssertLessThan(h, 500)
        XCTAssertGreaterThan(h, f)
    }
}
