// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimReport
import ArchSimSweep
import Foundation
import XCTest

/// Merging shards gives the bytes of one process; shards of different sweeps, damaged or
/// missing files, duplicated and missing points are refused, and then nothing is written.
final class MergeTests: XCTestCase {
    let plan = Fixture.plan(count: 7, comma: true)

    /// The whole sweep in one directory, and its three shards' directories.
    func oneAndShards(_ n: Int = 3) throws -> (one: String, shards: [String]) {
        let one = Fixture.temporaryPath()
        try Fixture.run(plan, Array(plan.indices), into: one)
        try SweepMerge.merge([one], into: one)
        let shards = try (1...n).map { k in
            let dir = Fixture.temporaryPath()
            try Fixture.run(plan, plan.points(in: Shard(k: k, n: n)), into: dir)
            return dir
        }
        return (one, shards)
    }

    func testShardsMergeToTheBytesOfOneProcess() throws {
        let (one, shards) = try oneAndShards()
        let merged = Fixture.temporaryPath()
        XCTAssertEqual(try SweepMerge.merge(shards, into: merged), 7)
        XCTAssertEqual(try Fixture.files(under: merged), try Fixture.files(under: one), "sweep.csv, plan, fingerprint, every point")
        // Into the first shard (the default of `archsim merge`), in another order.
        XCTAssertEqual(try SweepMerge.merge([shards[1], shards[2], shards[0]], into: shards[1]), 7)
        XCTAssertEqual(try Fixture.files(under: shards[1]), try Fixture.files(under: one))
    }

    /// sweep.csv: the plan's row of each point before each of its summary rows; quoted cells stay quoted.
    func testSweepFileLayout() throws {
        let (one, _) = try oneAndShards()
        let text = try String(contentsOfFile: one + "/sweep.csv", encoding: .utf8)
        let table = try CSVTable(parsing: text)
        XCTAssertEqual(table.header, ["point", "p", "q"] + ResultFiles.summaryHeader)
        XCTAssertEqual(table.rows.count, 14)
        XCTAssertEqual(Array(table.rows[3].prefix(5)), ["p0001", "20", "{a: 1, b: \"x\"}", "base", "all"])
        XCTAssert(text.contains("\np0001,20,\"{a: 1, b: \"\"x\"\"}\",base,\"req, with a comma\",102,"), text)
        XCTAssertEqual(table.text, text)
    }

    func testShardsOfDifferentSweepsAreRefused() throws {
        let (_, shards) = try oneAndShards(2)
        let cases: [(SweepPlan, SweepFingerprint, String)] = [
            (Fixture.plan(count: 7), Fixture.fingerprint(Fixture.plan(count: 7)), "the points differ"),
            (plan, Fixture.fingerprint(plan, scenario: "name: other\n"), "the base scenario differs"),
            (plan, Fixture.fingerprint(plan, settings: ["replications=5"]), "the run settings differ"),
        ]
        for (other, fingerprint, fragment) in cases {
            let stranger = Fixture.temporaryPath()
            try Fixture.run(other, other.points(in: Shard(k: 2, n: 2)), into: stranger, fingerprint: fingerprint)
            assertNothingWritten(by: [shards[0], stranger], fragments: [stranger, shards[0], "different sweeps", fragment])
        }
    }

    func testDamagedOrMissingFilesAreRefused() throws {
        let cases: [(String, String?, [String])] = [
            ("points/p0002/summary.csv", "garbage", ["points/p0002/summary.csv", "damaged", "header"]),
            ("points/p0002/summary.csv", String(ResultFiles.summaryHeader.joined(separator: ",")) + "\n", ["p0002/summary.csv", "no rows"]),
            ("points/p0002/summary.csv", "a,\"b\n", ["p0002/summary.csv", "not a valid CSV file", "not closed"]),
            ("points/p0002/summary.csv", nil, ["points/p0002/summary.csv", "missing"]),
            ("points/p0002/params.csv", "p,q\n99,x\n", ["p0002/params.csv", "labels another point"]),
            ("points/p0002/params.csv", nil, ["p0002/params.csv", "missing"]),
            ("sweep-fingerprint.txt", nil, ["sweep-fingerprint.txt", "missing", "which sweep"]),
            ("sweep-fingerprint.txt", "what\n", ["sweep-fingerprint.txt", "damaged"]),
            ("sweep-plan.csv", nil, ["not a sweep's output directory", "sweep-plan.csv"]),
            ("sweep-plan.csv", "point,p,q\np0000,10,x\n", ["sweep-plan.csv", "damaged", "not the plan"]),
        ]
        for (file, content, fragments) in cases {
            let (_, shards) = try oneAndShards()
            let path = shards[2] + "/" + file
            if let content { try content.write(toFile: path, atomically: true, encoding: .utf8) }
            else { try FileManager.default.removeItem(atPath: path) }
            assertNothingWritten(by: shards, fragments: fragments)
        }
    }

    func testDuplicatePointsAreRefused() throws {
        let (one, shards) = try oneAndShards()
        // A whole sweep and one of its shards; shards of 1/3 and 1/2 overlap.
        assertNothingWritten(by: [one] + shards, fragments: ["point p0000 is finished in more than one directory", one, shards[0]])
        let half = Fixture.temporaryPath()
        try Fixture.run(plan, plan.points(in: Shard(k: 1, n: 2)), into: half)
        assertNothingWritten(by: shards + [half], fragments: ["point p0000", "point p0006", half])
        // One directory given twice.
        assertNothingWritten(by: [shards[0], shards[1], shards[0] + "/", shards[2]], fragments: ["same directory", "give each shard once"])
    }

    /// Missing points are named, and no points/ folder is left behind (issue #15).
    func testMissingPointsAreNamedAndNothingIsLeft() throws {
        let (_, shards) = try oneAndShards()
        assertNothingWritten(by: [shards[0], shards[2]], fragments: ["points missing", "p0001, p0004"])
        assertSweepError(["no such directory"]) { try SweepMerge.merge([shards[0], Fixture.temporaryPath()], into: Fixture.temporaryPath()) }
    }

    /// Merging into a directory holding another sweep is refused; into one holding this sweep's
    /// points, they are kept.
    func testTargetHoldingAnotherSweepIsRefused() throws {
        let (one, shards) = try oneAndShards()
        let other = Fixture.temporaryPath()
        try Fixture.run(Fixture.plan(count: 2), [0, 1], into: other)
        let before = try Fixture.files(under: other)
        assertSweepError([other, "another sweep"]) { try SweepMerge.merge(shards, into: other) }
        XCTAssertEqual(try Fixture.files(under: other), before)
        XCTAssertEqual(try SweepMerge.merge(shards, into: one), 7)
    }

    /// `merge` refuses and leaves both the shards and a fresh target as they were.
    func assertNothingWritten(by sources: [String], fragments: [String], file: StaticString = #filePath, line: UInt = #line) {
        let target = Fixture.temporaryPath()
        let before = try? sources.map { try Fixture.files(under: $0) }
        assertSweepError(fragments, file: file, line: line) { try SweepMerge.merge(sources, into: target) }
        XCTAssertFalse(FileManager.default.fileExists(atPath: target), "a fresh target is not created", file: file, line: line)
        XCTAssertEqual(try? sources.map { try Fixture.files(under: $0) }, before, "the shards are untouched", file: file, line: line)
        // Into the first shard, the default: it is left as it was.
        assertSweepError(fragments, file: file, line: line) { try SweepMerge.merge(sources, into: sources[0]) }
        XCTAssertEqual(try? sources.map { try Fixture.files(under: $0) }, before, "nothing written into the first shard", file: file, line: line)
    }
}
