// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimScenario
import ArchSimSweep
import Foundation
import XCTest

/// The fingerprint is the same in every process (no `Hasher`), survives its file, ignores how
/// the sweep file is written, and names what differs.
final class FingerprintTests: XCTestCase {
    /// A fixed value: a change to it (or a per-process hash) would make old shards unmergeable.
    func testStableValue() {
        let f = Fixture.fingerprint(Fixture.plan(count: 3))
        XCTAssertEqual(f["plan"], "632244981d5422fa")
        XCTAssertEqual(f["scenario"], "9d6c0b8e66c04079")
        XCTAssertEqual(f["replications"], "2")
        XCTAssertEqual(f["settings"], "-")
    }

    func testFileRoundTrip() throws {
        let f = SweepFingerprint(plan: Fixture.plan(count: 3), scenarioText: "a", compared: ["b", "c"], workload: "w",
                                 settings: ["seed=7", "warmup=0ns"])
        let read = try SweepFingerprint(text: f.text, path: "x")
        XCTAssertEqual(read, f)
        XCTAssertEqual(read.text, f.text)
        XCTAssertEqual(read["settings"], "seed=7 warmup=0ns")
        XCTAssert(read.matches(planText: Fixture.plan(count: 3).table.text))
        XCTAssertFalse(read.matches(planText: Fixture.plan(count: 4).table.text))
    }

    func testDamagedFileIsRefused() {
        for text in ["", "garbage\n", "format: archsim-sweep-fingerprint 99\nplan: 1\n", "format: archsim-sweep-fingerprint 1\n"] {
            assertSweepError(["dir/sweep-fingerprint.txt"]) { _ = try SweepFingerprint(text: text, path: "dir/sweep-fingerprint.txt") }
        }
    }

    func testDifferenceNamesThePart() {
        let plan = Fixture.plan(count: 3)
        let base = Fixture.fingerprint(plan)
        XCTAssertNil(base.difference(from: Fixture.fingerprint(plan)))
        XCTAssertEqual(base.difference(from: Fixture.fingerprint(Fixture.plan(count: 4))), "the points differ: another sweep file or grid")
        XCTAssertEqual(base.difference(from: Fixture.fingerprint(plan, scenario: "x")), "the base scenario differs")
        XCTAssertEqual(base.difference(from: SweepFingerprint(plan: plan, scenarioText: "name: base\n", workload: "w")),
                       "the workload differs")
    }

    /// Comments, spacing, grid-or-list and the sweep file's own path do not count; its points and
    /// its replications do.
    func testSweepFileIsNormalised() throws {
        let dir = Fixture.temporaryPath()
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let base = Fixture.sweepDirectory.appendingPathComponent("base.yaml").path
        func fingerprint(_ name: String, _ text: String) throws -> SweepFingerprint {
            try text.write(toFile: dir + "/" + name, atomically: true, encoding: .utf8)
            return try SweepFingerprint(plan: SweepPlan(SweepLoader.load(path: dir + "/" + name)))
        }
        let a = try fingerprint("a.yaml", "scenario: \(base)\nreplications: 1\ngrid:\n  architecture.services.front.instances: [1, 2]\n")
        let b = try fingerprint("b.yaml", "# the same sweep\nscenario:   \(base)\nreplications: 1   # one\ngrid: {architecture.services.front.instances: [1,  2]}\n")
        let c = try fingerprint("c.yaml", "scenario: \(base)\nreplications: 1\npoints:\n  - {architecture.services.front.instances: 1}\n  - {architecture.services.front.instances: 2}\n")
        let d = try fingerprint("d.yaml", "scenario: \(base)\nreplications: 2\ngrid:\n  architecture.services.front.instances: [1, 2]\n")
        let e = try fingerprint("e.yaml", "scenario: \(base)\nreplications: 1\ngrid:\n  architecture.services.front.instances: [2, 1]\n")
        XCTAssertEqual(a, b)
        XCTAssertEqual(a, c)
        XCTAssertNotEqual(a, d)
        XCTAssertNotEqual(a, e)
        XCTAssertEqual(a["scenario"], Fixture.fingerprint(Fixture.plan(), scenario: try String(contentsOfFile: base, encoding: .utf8))["scenario"])
    }

    func testUnreadableScenarioIsNamed() {
        assertSweepError(["/nonexistent/base.yaml", "missing"]) { _ = try SweepFingerprint(plan: Fixture.plan()) }
    }
}
