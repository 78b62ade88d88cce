// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimSweep
import Foundation
import XCTest

/// A point is finished when its `done` file exists; finished points are not run again, and a
/// directory holding another sweep's points is refused.
final class ResumeTests: XCTestCase {
    func testFinishedPointsAreNotRunAgain() throws {
        let plan = Fixture.plan(count: 6)
        let dir = Fixture.temporaryPath()
        XCTAssertEqual(try Fixture.run(plan, plan.points(in: Shard(k: 1, n: 2)), into: dir), [0, 2, 4])
        let runner = SweepRunner(plan: plan, fingerprint: Fixture.fingerprint(plan), directory: dir)
        XCTAssertEqual(runner.unfinished(Array(plan.indices)), [1, 3, 5])
        XCTAssertEqual(try Fixture.run(plan, Array(plan.indices), into: dir), [1, 3, 5])
        XCTAssertEqual(try Fixture.run(plan, Array(plan.indices), into: dir), [])
        let files = try Fixture.files(under: dir)
        XCTAssertEqual(files["points/p0003/params.csv"].map { String(decoding: $0, as: UTF8.self) }, "p\n40\n")
        XCTAssertEqual(files["points/p0003/done"], Data())
        XCTAssertEqual(files["sweep-plan.csv"].map { String(decoding: $0, as: UTF8.self) }, plan.table.text)
    }

    /// A point interrupted half-way (files but no `done`) runs again.
    func testHalfWrittenPointRunsAgain() throws {
        let plan = Fixture.plan(count: 3)
        let dir = Fixture.temporaryPath()
        try FileManager.default.createDirectory(atPath: dir + "/points/p0001", withIntermediateDirectories: true)
        try "garbage".write(toFile: dir + "/points/p0001/summary.csv", atomically: true, encoding: .utf8)
        XCTAssertEqual(try Fixture.run(plan, [1], into: dir), [1])
        XCTAssertNotEqual(try String(contentsOfFile: dir + "/points/p0001/summary.csv", encoding: .utf8), "garbage")
    }

    /// Rerunning into the directory of another sweep would label its points with this sweep's
    /// parameters: refused before anything is written.
    func testAnotherSweepsDirectoryIsRefused() throws {
        let plan = Fixture.plan(count: 4)
        let dir = Fixture.temporaryPath()
        try Fixture.run(plan, [0, 1], into: dir)
        let before = try Fixture.files(under: dir)
        let cases: [(SweepPlan, SweepFingerprint, String)] = [
            (Fixture.plan(count: 5), Fixture.fingerprint(Fixture.plan(count: 5)), "the points differ"),
            (plan, Fixture.fingerprint(plan, scenario: "name: other\n"), "the base scenario differs"),
            (plan, Fixture.fingerprint(plan, settings: ["seed=7"]), "settings differ (- vs seed=7)"),
            (Fixture.plan(count: 4, replications: 3), Fixture.fingerprint(Fixture.plan(count: 4, replications: 3)), "replications differ"),
        ]
        for (other, fingerprint, fragment) in cases {
            assertSweepError([dir, "another sweep", fragment]) {
                try Fixture.run(other, Array(other.indices), into: dir, fingerprint: fingerprint)
            }
        }
        XCTAssertEqual(try Fixture.files(under: dir), before, "nothing written")
    }

    /// A directory written before fingerprints existed is resumed when its plan is this sweep's.
    func testDirectoryWithoutFingerprintIsCheckedByItsPlan() throws {
        let plan = Fixture.plan(count: 4)
        let dir = Fixture.temporaryPath()
        try Fixture.run(plan, [0, 1], into: dir)
        try FileManager.default.removeItem(atPath: dir + "/" + SweepDirectory.fingerprintFile)
        assertSweepError(["lists other points"]) { try Fixture.run(Fixture.plan(count: 3), [0], into: dir) }
        XCTAssertEqual(try Fixture.run(plan, Array(plan.indices), into: dir), [2, 3])
        XCTAssert(FileManager.default.fileExists(atPath: dir + "/" + SweepDirectory.fingerprintFile))
    }

    /// A directory that cannot be made is a sentence naming it.
    func testUnwritableDirectoryIsNamed() throws {
        let file = Fixture.temporaryPath()
        try "a file".write(toFile: file, atomically: true, encoding: .utf8)
        assertSweepError(["cannot create the directory", file + "/points"]) {
            try Fixture.run(Fixture.plan(count: 1), [0], into: file)
        }
    }
}
