// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimScenario
import XCTest

final class ScenarioKnobTests: XCTestCase {
    func testNumbersAreInterpolatedAndNamesKept() throws {
        let k = try ScenarioKnob(parsing: "a.b.cpu=lognormal(median=2ms, p99=10ms)..lognormal(median=4ms, p99=30ms)")
        XCTAssertEqual(k.path, "a.b.cpu")
        XCTAssertEqual(k.text(at: 0), "lognormal(median=2ms, p99=10ms)")
        XCTAssertEqual(k.text(at: 0.5), "lognormal(median=3ms, p99=20ms)")
        XCTAssertEqual(k.text(at: 0.25), "lognormal(median=2.5ms, p99=15ms)")
        XCTAssertEqual(k.value(at: 1), 4)
        XCTAssertEqual(k.override(at: 0.5).keyPath, "a.b.cpu")
    }

    func testIntegersStayIntegersAndDecimalsStayExact() throws {
        let w = try ScenarioKnob(parsing: "s.app.workers=2..16")
        XCTAssertEqual(w.text(at: 0.3), "6")                 // 2 + 0.3 × 14 = 6.2 → 6
        XCTAssertTrue(w.resolved(0.3, 0.35, tolerance: 0.01))  // 6 and 7
        XCTAssertFalse(w.resolved(0, 0.5, tolerance: 0.5))
        // A large count stops at the tolerance, not at one apart.
        let pool = try ScenarioKnob(parsing: "d.buffer_pool.capacity=8192..800000")
        XCTAssertTrue(pool.resolved(0.07, 0.0702, tolerance: 0.1))       // 63,622 and 63,780
        XCTAssertFalse(pool.resolved(0.05, 0.1, tolerance: 0.1))         // 47,782 and 87,373
        // Next to 0 the search still ends: never finer than 1% of the range times the tolerance.
        let ttl = try ScenarioKnob(parsing: "c.ttl=0s..60s")
        XCTAssertTrue(ttl.resolved(0, 0.0001, tolerance: 0.02))          // 0 s and 0.006 s
        XCTAssertFalse(ttl.resolved(0, 0.01, tolerance: 0.02))           // 0 s and 0.6 s
        let z = try ScenarioKnob(parsing: "w.keys.p.popularity=zipf(s=0.6)..zipf(s=1.2)")
        XCTAssertEqual(z.text(at: 0.5), "zipf(s=0.9)")
        XCTAssertEqual(z.text(at: 1.0 / 3), "zipf(s=0.8)")
        let r = try ScenarioKnob(parsing: "w.arrivals.rate=1e3/s..8000/s")
        XCTAssertEqual(r.text(at: 0.5), "4500/s")
        XCTAssertTrue(z.resolved(0.5, 0.501, tolerance: 0.01))
    }

    func testRefusals() {
        for text in ["x=1", "=1..2", "a..b=1..2", "x=1..", "x=2ms..2ms", "x=exponential(mean=1ms)..constant(1ms)", "x=1ms..2s"] {
            XCTAssertThrowsError(try ScenarioKnob(parsing: text), text)
        }
    }
}
