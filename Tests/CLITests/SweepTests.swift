// SPDX-License-Identifier: GPL-3.0-or-later
import Foundation
import XCTest

/// Sweeps: one process, shards + merge, resume after an interruption, and bad sweep files.
final class SweepTests: XCTestCase {
    let fixtures = CLI.repository.appendingPathComponent("Tests/CLITests/Fixtures/sweep")
    var grid: String { fixtures.appendingPathComponent("grid12.yaml").path }

    func testShardsMergeToTheSameBytesAsOneProcess() throws {
        let one = try CLI.temporaryDirectory()
        let r = try CLI.run(["sweep", grid, "--out", one.path, "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let expected = try Data(contentsOf: one.appendingPathComponent("sweep.csv"))
        let rows = try CLI.readCSV(one.appendingPathComponent("sweep.csv"))
        XCTAssertEqual(rows.count, 12 * 2, "one row per point and request type (req, all)")
        XCTAssertEqual(Set(rows.map { $0["point"]! }).count, 12)
        XCTAssertEqual(rows[0]["architecture.services.front.instances"], "1")
        XCTAssertEqual(rows[0]["workload.arrivals.rate"], "100/s")

        var shards: [String] = []
        for k in 1...3 {
            let dir = try CLI.temporaryDirectory()
            let s = try CLI.run(["sweep", grid, "--shard", "\(k)/3", "--out", dir.path, "--quiet"])
            XCTAssertEqual(s.status, 0, s.stderr)
            XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("sweep.csv").path))
            shards.append(dir.path)
        }
        let merged = try CLI.temporaryDirectory()
        let m = try CLI.run(["merge"] + shards + ["--out", merged.path])
        XCTAssertEqual(m.status, 0, m.stderr)
        XCTAssertEqual(try Data(contentsOf: merged.appendingPathComponent("sweep.csv")), expected)
        // Merging without one shard names what is missing.
        let partial = try CLI.run(["merge", shards[0], shards[1], "--out", try CLI.temporaryDirectory().path])
        XCTAssertEqual(partial.status, 2)
        XCTAssert(partial.stderr.contains("p0002"), partial.stderr)
    }

    /// An interrupted sweep resumes: finished points are not rerun, and the bytes are the same.
    func testResumeRunsOnlyWhatIsMissing() throws {
        let full = try CLI.temporaryDirectory()
        XCTAssertEqual(try CLI.run(["sweep", grid, "--out", full.path, "--quiet"]).status, 0)
        let dir = try CLI.temporaryDirectory()
        // Half the points done (as a killed run leaves them), one point half-written (no `done`).
        XCTAssertEqual(try CLI.run(["sweep", grid, "--shard", "1/2", "--out", dir.path, "--quiet"]).status, 0)
        let half = dir.appendingPathComponent("points/p0001")
        try FileManager.default.createDirectory(at: half, withIntermediateDirectories: true)
        try "garbage".write(to: half.appendingPathComponent("summary.csv"), atomically: true, encoding: .utf8)
        let before = try FileManager.default.attributesOfItem(atPath: dir.appendingPathComponent("points/p0000/summary.csv").path)[.modificationDate] as! Date
        Thread.sleep(forTimeInterval: 1.1)
        XCTAssertEqual(try CLI.run(["sweep", grid, "--out", dir.path, "--quiet"]).status, 0)
        let after = try FileManager.default.attributesOfItem(atPath: dir.appendingPathComponent("points/p0000/summary.csv").path)[.modificationDate] as! Date
        XCTAssertEqual(before, after, "a finished point is not rerun")
        XCTAssertEqual(try Data(contentsOf: dir.appendingPathComponent("sweep.csv")),
                       try Data(contentsOf: full.appendingPathComponent("sweep.csv")))
    }

    func testListPrintsStableIds() throws {
        let r = try CLI.run(["sweep", grid, "--list"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = r.stdout.split(separator: "\n")
        XCTAssertEqual(lines.count, 12)
        XCTAssertEqual(lines[5], "p0005  architecture.services.front.instances=2  workload.arrivals.rate=200/s")
    }

    /// Bad sweep files are refused before any run, with line:column in the sweep file.
    func testBadSweepFiles() throws {
        let cases: [(String, [String])] = [
            ("architecture.services.front.instancez: [1, 2]", ["bad.yaml:4:", "unknown key 'instancez'", "did you mean 'instances'"]),
            ("architecture.services.front.instances: []", ["bad.yaml:4:", "empty grid"]),
            ("architecture.services.front.instances: [1, two]", ["bad.yaml:4:", "instances", "two"]),
            ("architecture.services.nothere.instances: [1]", ["no such key"]),
        ]
        for (line, fragments) in cases {
            let dir = try CLI.temporaryDirectory()
            try FileManager.default.copyItem(at: fixtures.appendingPathComponent("base.yaml"), to: dir.appendingPathComponent("base.yaml"))
            let file = dir.appendingPathComponent("bad.yaml").path
            try "scenario: base.yaml\nreplications: 1\ngrid:\n  \(line)\n".write(toFile: file, atomically: true, encoding: .utf8)
            let out = dir.appendingPathComponent("out")
            let r = try CLI.run(["sweep", file, "--out", out.path])
            XCTAssertEqual(r.status, 2, "\(line): \(r.stderr)")
            for f in fragments { XCTAssert(r.stderr.contains(f), "\(line): stderr lacks '\(f)': \(r.stderr)") }
            XCTAssertFalse(FileManager.default.fileExists(atPath: out.path), "nothing ran")
        }
    }

    /// run --sweep varies one parameter and writes one tidy CSV.
    func testRunSweepOption() throws {
        let dir = try CLI.temporaryDirectory()
        let r = try CLI.run(["run", fixtures.appendingPathComponent("base.yaml").path, "--sweep",
                             "architecture.services.back.workers=1,2,8", "--out", dir.path, "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let rows = try CLI.readCSV(dir.appendingPathComponent("sweep.csv")).filter { $0["request_type"] == "all" }
        XCTAssertEqual(rows.map { $0["architecture.services.back.workers"]! }, ["1", "2", "8"])
        // More back workers, lower latency.
        let means = rows.map { Double($0["mean_ms"]!)! }
        XCTAssertGreaterThan(means[0], means[1])
        XCTAssertGreaterThan(means[1], means[2])
    }
}
