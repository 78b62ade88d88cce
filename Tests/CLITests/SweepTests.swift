// SPDX-License-Identifier: GPL-3.0-or-later
import Foundation
import XCTest

/// Sweeps: one process, shards + merge, resume after an interruption, bad sweep files, and the
/// merges and reruns refused (different sweeps, damaged files, duplicate points).
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
        // Merging without one shard names what is missing, and leaves nothing behind (no points/).
        let partialOut = try CLI.temporaryDirectory().appendingPathComponent("merged")
        let partial = try CLI.run(["merge", shards[0], shards[1], "--out", partialOut.path])
        XCTAssertEqual(partial.status, 2)
        XCTAssert(partial.stderr.contains("p0002"), partial.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: partialOut.path), "nothing written")
    }

    /// Short runs of the shards of a sweep file (the merge refusals do not need long ones).
    func shards(of sweep: String, _ ks: [Int], of n: Int, _ extra: [String] = []) throws -> [String] {
        try ks.map { k in
            let dir = try CLI.temporaryDirectory().appendingPathComponent("shard-\(k)")
            let r = try CLI.run(["sweep", sweep, "--shard", "\(k)/\(n)", "--out", dir.path, "--duration", "2s", "--quiet"] + extra)
            XCTAssertEqual(r.status, 0, r.stderr)
            return dir.path
        }
    }

    /// `merge` exits 2 with `fragments` in its message and writes nothing: neither a fresh --out
    /// nor anything in the first shard (the default output).
    func assertMergeRefused(_ directories: [String], _ fragments: [String], line: UInt = #line) throws {
        let out = try CLI.temporaryDirectory().appendingPathComponent("merged")
        let r = try CLI.run(["merge"] + directories + ["--out", out.path])
        XCTAssertEqual(r.status, 2, r.stderr, line: line)
        for f in fragments { XCTAssert(r.stderr.contains(f), "stderr lacks '\(f)': \(r.stderr)", line: line) }
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.path), "nothing written", line: line)
        let first = try FileManager.default.contentsOfDirectory(atPath: directories[0]).sorted()
        XCTAssertEqual(try CLI.run(["merge"] + directories).status, 2, line: line)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directories[0]).sorted(), first, line: line)
        XCTAssertFalse(FileManager.default.fileExists(atPath: directories[0] + "/sweep.csv"), line: line)
    }

    /// Shards of another grid (same parameters, other rates) are not merged under this grid's
    /// labels: a 200/s point would be labelled 100/s (issue #15).
    func testMergeRefusesShardsOfDifferentSweeps() throws {
        let dir = try CLI.temporaryDirectory()
        try FileManager.default.copyItem(at: fixtures.appendingPathComponent("base.yaml"), to: dir.appendingPathComponent("base.yaml"))
        let other = dir.appendingPathComponent("other.yaml").path
        try "scenario: base.yaml\nreplications: 2\ngrid:\n  architecture.services.front.instances: [1, 2, 4]\n  workload.arrivals.rate: [200/s, 300/s, 400/s, 800/s]\n"
            .write(toFile: other, atomically: true, encoding: .utf8)
        let mine = try shards(of: grid, [1, 3], of: 3)
        let theirs = try shards(of: other, [2], of: 3)
        try assertMergeRefused([mine[0], theirs[0], mine[1]], ["different sweeps", "the points differ", theirs[0]])
        // The same grid run with other settings is another sweep too.
        let reseeded = try shards(of: grid, [2], of: 3, ["--seed", "9"])
        try assertMergeRefused([mine[0], reseeded[0], mine[1]], ["different sweeps", "settings differ"])
        // A shard written without a fingerprint (an older archsim) cannot be checked.
        let old = try shards(of: grid, [2], of: 3)[0]
        try FileManager.default.removeItem(atPath: old + "/sweep-fingerprint.txt")
        try assertMergeRefused([mine[0], old, mine[1]], [old + "/sweep-fingerprint.txt", "missing"])
    }

    /// A damaged summary.csv is refused rather than dropping its point; so is a point finished in
    /// two shards (here shards 1/3 and 1/2 share p0000 and p0006).
    func testMergeRefusesDamagedFilesAndDuplicatePoints() throws {
        let thirds = try shards(of: grid, [1, 2, 3], of: 3)
        let summary = thirds[1] + "/points/p0004/summary.csv"
        let good = try Data(contentsOf: URL(fileURLWithPath: summary))
        try "garbage\n".write(toFile: summary, atomically: true, encoding: .utf8)
        try assertMergeRefused(thirds, [summary, "damaged"])
        try good.write(to: URL(fileURLWithPath: summary))
        let half = try shards(of: grid, [1], of: 2)[0]
        try assertMergeRefused(thirds + [half], ["p0000", "p0006", "more than one directory", half])
        XCTAssertEqual(try CLI.run(["merge"] + thirds + ["--out", try CLI.temporaryDirectory().path]).status, 0)
    }

    /// Rerunning another sweep into a sweep's directory is refused before anything runs: its
    /// finished points would be resumed under the other sweep's labels.
    func testSweepRefusesAnotherSweepsDirectory() throws {
        let dir = try CLI.temporaryDirectory().appendingPathComponent("out")
        XCTAssertEqual(try CLI.run(["sweep", grid, "--shard", "1/4", "--out", dir.path, "--duration", "2s", "--quiet"]).status, 0)
        let before = try FileManager.default.subpathsOfDirectory(atPath: dir.path).sorted()
        let r = try CLI.run(["sweep", grid, "--shard", "2/4", "--out", dir.path, "--duration", "3s", "--quiet"])
        XCTAssertEqual(r.status, 2, r.stderr)
        XCTAssert(r.stderr.contains(dir.path) && r.stderr.contains("another sweep"), r.stderr)
        XCTAssertEqual(try FileManager.default.subpathsOfDirectory(atPath: dir.path).sorted(), before)
    }

    /// A file-system failure is a sentence naming the path, status 2.
    func testUnwritableOutputIsNamed() throws {
        let file = try CLI.temporaryDirectory().appendingPathComponent("a-file")
        try "x".write(to: file, atomically: true, encoding: .utf8)
        let r = try CLI.run(["sweep", grid, "--out", file.path, "--quiet"])
        XCTAssertEqual(r.status, 2, r.stderr)
        XCTAssert(r.stderr.contains(file.path), r.stderr)
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

    /// Replications as sweep points (#13): point K runs replication K of the scenario — the same
    /// rows as `run --replications N` — shards merge to the same bytes, and
    /// replication-summary.csv gives the mean and Student-t interval over the points.
    func testReplicationsAsSweepPoints() throws {
        let dir = try CLI.temporaryDirectory()
        try FileManager.default.copyItem(at: fixtures.appendingPathComponent("base.yaml"), to: dir.appendingPathComponent("base.yaml"))
        let sweep = dir.appendingPathComponent("reps.yaml").path
        try "scenario: base.yaml\ngrid:\n  replication: [0, 1, 2, 3]\n".write(toFile: sweep, atomically: true, encoding: .utf8)
        let one = dir.appendingPathComponent("one")
        let r = try CLI.run(["sweep", sweep, "--out", one.path, "--duration", "5s", "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let run = dir.appendingPathComponent("run")
        let full = try CLI.run(["run", dir.appendingPathComponent("base.yaml").path, "--replications", "4", "--duration", "5s",
                                "--out", run.path, "--quiet"])
        XCTAssertEqual(full.status, 0, full.stderr)
        let fullRows = try String(contentsOf: run.appendingPathComponent("replications.csv"), encoding: .utf8)
            .split(separator: "\n").map(String.init)
        for k in 0..<4 {
            let point = one.appendingPathComponent("points/p000\(k)/replications.csv")
            let lines = try String(contentsOf: point, encoding: .utf8).split(separator: "\n").map(String.init)
            XCTAssertEqual(lines, [fullRows[0], fullRows[k + 1]], "point \(k) is replication \(k) of the full run")
        }
        // The summary: per request type, the mean over the points and its interval, as run's summary.
        let summary = try CLI.readCSV(one.appendingPathComponent("replication-summary.csv"))
        let runSummary = try CLI.readCSV(run.appendingPathComponent("summary.csv"))
        XCTAssertEqual(summary.map { $0["request_type"]! }, ["req", "all"])
        for (mine, theirs) in zip(summary, runSummary) {
            XCTAssertEqual(mine["replications"], "4")
            for (column, runColumn) in [("throughput_rps", "throughput_rps"), ("mean_ms", "mean_ms"), ("p99_ms", "p99_ms"),
                                        ("mean_ci95_ms", "mean_ci95_ms")] {
                let a = Double(mine[column]!)!, b = Double(theirs[runColumn]!)!
                XCTAssertEqual(a, b, accuracy: 1e-5 * max(1, abs(b)), "\(column)")
            }
            XCTAssertGreaterThan(Double(mine["p99_ci95_ms"]!)!, 0)
        }
        // Two shards merged: the same sweep.csv and summary, byte for byte.
        let shards = try [1, 2].map { k in
            let out = dir.appendingPathComponent("shard-\(k)")
            let s = try CLI.run(["sweep", sweep, "--shard", "\(k)/2", "--out", out.path, "--duration", "5s", "--quiet"])
            XCTAssertEqual(s.status, 0, s.stderr)
            return out.path
        }
        let merged = dir.appendingPathComponent("merged")
        XCTAssertEqual(try CLI.run(["merge"] + shards + ["--out", merged.path]).status, 0)
        for file in ["sweep.csv", "replication-summary.csv"] {
            XCTAssertEqual(try Data(contentsOf: merged.appendingPathComponent(file)), try Data(contentsOf: one.appendingPathComponent(file)), file)
        }
        // Refused: a replication that is no index, replications beside replication points, --replications.
        let bad = [("scenario: base.yaml\ngrid:\n  replication: [0, -1]\n", ["bad.yaml:3:", "replication = -1", "whole number"]),
                   ("scenario: base.yaml\nreplications: 2\ngrid:\n  replication: [0, 1]\n", ["bad.yaml:4:", "drop `replications`"])]
        for (text, fragments) in bad {
            let file = dir.appendingPathComponent("bad.yaml").path
            try text.write(toFile: file, atomically: true, encoding: .utf8)
            let b = try CLI.run(["sweep", file, "--out", dir.appendingPathComponent("bad-out").path, "--quiet"])
            XCTAssertEqual(b.status, 2, b.stderr)
            for f in fragments { XCTAssert(b.stderr.contains(f), "stderr lacks '\(f)': \(b.stderr)") }
        }
        let withReplications = try CLI.run(["sweep", sweep, "--replications", "2", "--out", dir.appendingPathComponent("x").path])
        XCTAssertEqual(withReplications.status, 2)
        XCTAssert(withReplications.stderr.contains("--replications"), withReplications.stderr)
    }
}
