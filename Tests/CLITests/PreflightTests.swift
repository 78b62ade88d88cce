// SPDX-License-Identifier: GPL-3.0-or-later
import Foundation
import XCTest

/// The pre-flight estimate: `check` prints it; a run over `--max-memory` or `--max-events` is
/// refused before anything runs (status 2, nothing written) unless `--force`.
final class PreflightTests: XCTestCase {
    /// A cache of 20 million slots: about 1.3 GB of slots, nothing else of size.
    static let bigCache = """
    version: 1
    name: big
    duration: 1s
    replications: 1
    workload:
      arrivals: {kind: open, rate: 100/s}
      keys: {k: {count: 1000}}
      requests: {req: {weight: 1, key: k}}
    architecture:
      routes: {req: app.op}
      services: {app: {workers: 4, operations: {op: {steps: [{cache_get: c}]}}}}
      caches: {c: {capacity: 20000000}}
    """

    func write(_ yaml: String) throws -> (scenario: String, dir: URL) {
        let dir = try CLI.temporaryDirectory()
        let path = dir.appendingPathComponent("s.yaml").path
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        return (path, dir)
    }

    func testCheckPrintsTheEstimate() throws {
        let (scenario, _) = try write(Self.bigCache)
        let r = try CLI.run(["check", scenario])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssert(r.stdout.contains("estimate: peak memory ~1.3 GB"), r.stdout)
        XCTAssert(r.stdout.contains("cache slots: ~1.3 GB"), r.stdout)
    }

    func testARunOverTheMemoryBudgetIsRefusedUnlessForced() throws {
        let (scenario, dir) = try write(Self.bigCache)
        let out = dir.appendingPathComponent("out").path
        let refused = try CLI.run(["run", scenario, "--max-memory", "500M", "--out", out, "--quiet"])
        XCTAssertEqual(refused.status, 2, refused.stderr)
        XCTAssert(refused.stderr.contains("would need ~1.3 GB of memory"), refused.stderr)
        XCTAssert(refused.stderr.contains("largest part is cache slots"), refused.stderr)
        XCTAssert(refused.stderr.contains("--force"), refused.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out), "nothing written")
        let forced = try CLI.run(["run", scenario, "--max-memory", "500M", "--force", "--out", out, "--quiet"])
        XCTAssertEqual(forced.status, 0, forced.stderr)
        XCTAssert(FileManager.default.fileExists(atPath: out + "/summary.csv"))
    }

    /// 100/s for 1 s, 4 events per request (arrival, cache, end... and the window): a budget of
    /// 100 events is too small; 10,000 is enough.
    func testARunOverTheEventBudgetIsRefused() throws {
        let (scenario, dir) = try write(Self.bigCache.replacingOccurrences(of: "capacity: 20000000", with: "capacity: 100"))
        let out = dir.appendingPathComponent("out").path
        let refused = try CLI.run(["run", scenario, "--max-events", "100", "--out", out, "--quiet"])
        XCTAssertEqual(refused.status, 2, refused.stderr)
        XCTAssert(refused.stderr.contains("events") && refused.stderr.contains("--max-events"), refused.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out))
        let ok = try CLI.run(["run", scenario, "--max-events", "10000", "--out", out, "--quiet"])
        XCTAssertEqual(ok.status, 0, ok.stderr)
    }

    func testBadBudgetsAreRefused() throws {
        let (scenario, _) = try write(Self.bigCache)
        for args in [["--max-memory", "lots"], ["--max-memory", "-1G"], ["--max-events", "0"]] {
            let r = try CLI.run(["run", scenario] + args)
            XCTAssertEqual(r.status, 2, "\(args): \(r.stderr)")
        }
    }
}
