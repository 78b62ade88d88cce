// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimLab
import ArchSimModel
import XCTest

/// The formulas the lab's checks predict with, against values computed independently.
final class TheoryTests: XCTestCase {
    func testErlangBAgainstTheClosedForm() {
        // B(c, a) = (a^c / c!) / Σ_{k=0}^{c} a^k / k!
        for (c, a) in [(1, 0.5), (8, 8.0), (8, 4.0), (20, 15.0)] {
            var term = 1.0, sum = 1.0
            for k in 1...c { term *= a / Double(k); sum += term }
            XCTAssertEqual(QueueingFormulas.erlangB(servers: c, load: a), term / sum, accuracy: 1e-12, "c=\(c) a=\(a)")
        }
        XCTAssertEqual(QueueingFormulas.erlangB(servers: 1, load: 0.5), 1.0 / 3.0, accuracy: 1e-15)
    }

    func testCheLRUAgainstItsFixedPoint() {
        // All pages fit: every reference after the first hits.
        XCTAssertEqual(BufferPoolCheck.cheLRU(pages: 100, s: 0.9, capacity: 100), 1, accuracy: 1e-12)
        // Uniform popularity (s → 0 limit approximated by s = 1e-9): hit ratio = C/N.
        XCTAssertEqual(BufferPoolCheck.cheLRU(pages: 1000, s: 1e-9, capacity: 250), 0.25, accuracy: 1e-6)
        // Zipf: between the uniform value and the top-C mass (LFU's static optimum).
        let n = 4096, c = 1000.0, s = 0.9
        let h = (1...n).reduce(0.0) { $0 + pow(Double($1), -s) }
        let top = (1...Int(c)).reduce(0.0) { $0 + pow(Double($1), -s) } / h
        let che = BufferPoolCheck.cheLRU(pages: n, s: s, capacity: c)
        XCTAssertGreaterThan(che, c / Double(n))
        XCTAssertLessThan(che, top)
    }
}
