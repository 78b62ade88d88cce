// SPDX-License-Identifier: GPL-3.0-or-later
import Foundation
import XCTest

/// Bad input, one test per class: a clear message (with line:column where one exists), exit
/// status 2, no output files, no crash.
final class BadInputTests: XCTestCase {
    static let valid = """
    version: 1
    name: t
    duration: 10s
    workload:
      arrivals: {kind: open, process: poisson, rate: 100/s}
      requests:
        req: {weight: 1}
    architecture:
      routes: {req: app.op}
      services:
        app:
          workers: 1
          operations:
            op: {cpu: exponential(mean=1ms)}

    """

    /// Runs `archsim run` and `archsim check` on `yaml` (nil: use `path` as is); both must fail
    /// with status 2 and every expected fragment in stderr; `run` must write nothing.
    func assertRejected(_ yaml: String?, path: String? = nil, expect fragments: [String],
                        file: StaticString = #filePath, line: UInt = #line) throws {
        let dir = try CLI.temporaryDirectory()
        let scenario = path ?? dir.appendingPathComponent("s.yaml").path
        if let yaml { try yaml.write(toFile: scenario, atomically: true, encoding: .utf8) }
        let out = dir.appendingPathComponent("out")
        for command in [["run", scenario, "--out", out.path], ["check", scenario]] {
            let r = try CLI.run(command)
            XCTAssertEqual(r.status, 2, "\(command[0]) status; stderr: \(r.stderr)", file: file, line: line)
            for fragment in fragments {
                XCTAssert(r.stderr.contains(fragment), "\(command[0]) stderr lacks '\(fragment)': \(r.stderr)", file: file, line: line)
            }
            XCTAssertFalse(r.stderr.contains("Fatal error"), file: file, line: line)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.path), "no output written", file: file, line: line)
    }

    func testYAMLSyntaxError() throws {
        try assertRejected(Self.valid.replacingOccurrences(of: "req: {weight: 1}", with: "req: {weight: 1"),
                           expect: ["s.yaml:", ":"])
    }

    func testUnknownKeyWithDidYouMean() throws {
        try assertRejected(Self.valid.replacingOccurrences(of: "workers: 1", with: "worker: 1"),
                           expect: ["s.yaml:12:", "architecture.services.app", "did you mean 'workers'"])
    }

    func testWrongType() throws {
        try assertRejected(Self.valid.replacingOccurrences(of: "workers: 1", with: "workers: [1]"),
                           expect: ["s.yaml:12:", "architecture.services.app.workers"])
    }

    func testZeroAndNegative() throws {
        try assertRejected(Self.valid.replacingOccurrences(of: "workers: 1", with: "workers: 0"),
                           expect: ["s.yaml:12:", "architecture.services.app.workers", "positive"])
        try assertRejected(Self.valid.replacingOccurrences(of: "workers: 1", with: "workers: -3"),
                           expect: ["s.yaml:12:", "got -3"])
    }

    func testMissingUnit() throws {
        try assertRejected(Self.valid.replacingOccurrences(of: "duration: 10s", with: "duration: 10"),
                           expect: ["s.yaml:3:", "duration", "unit"])
    }

    func testUnknownRouteTarget() throws {
        try assertRejected(Self.valid.replacingOccurrences(of: "routes: {req: app.op}", with: "routes: {req: ap.op}"),
                           expect: ["s.yaml:9:", "architecture.routes.req"])
    }

    func testCallCycle() throws {
        let yaml = """
        version: 1
        duration: 10s
        workload:
          arrivals: {kind: open, rate: 100/s}
          requests:
            req: {weight: 1}
        architecture:
          routes: {req: app.op}
          services:
            app:
              operations:
                op:
                  steps:
                    - call: b.x
            b:
              operations:
                x:
                  steps:
                    - call: app.op

        """
        try assertRejected(yaml, expect: ["s.yaml:19:", "cycle", "app.op -> b.x -> app.op"])
    }

    func testAllWeightsZero() throws {
        try assertRejected(Self.valid.replacingOccurrences(of: "req: {weight: 1}", with: "req: {weight: 0}"),
                           expect: ["s.yaml:7:", "weight"])
    }

    func testEmptyFile() throws {
        try assertRejected("", expect: ["s.yaml", "empty"])
    }

    func testDirectoryInsteadOfFile() throws {
        let dir = try CLI.temporaryDirectory()
        try assertRejected(nil, path: dir.path, expect: [dir.path, "directory"])
    }

    func testMissingFile() throws {
        try assertRejected(nil, path: "/nonexistent/x.yaml", expect: ["/nonexistent/x.yaml"])
    }

    /// Several problems in one file are all reported at once.
    func testEveryProblemReported() throws {
        let yaml = Self.valid.replacingOccurrences(of: "workers: 1", with: "workers: 0")
            .replacingOccurrences(of: "duration: 10s", with: "duration: 10")
        try assertRejected(yaml, expect: ["s.yaml:3:", "s.yaml:12:"])
    }

    func testBadCommandLineValues() throws {
        let dir = try CLI.temporaryDirectory()
        let scenario = dir.appendingPathComponent("s.yaml").path
        try Self.valid.write(toFile: scenario, atomically: true, encoding: .utf8)
        for (args, fragment) in [(["--duration", "10"], "unit"), (["--replications", "0"], "replications"),
                                 (["--jobs", "0"], "jobs"), (["--no-such-flag"], "no-such-flag")] {
            let r = try CLI.run(["run", scenario, "--out", dir.appendingPathComponent("o").path] + args)
            XCTAssertEqual(r.status, 2, "\(args): \(r.stderr)")
            XCTAssert(r.stderr.contains(fragment), "\(args): \(r.stderr)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("o").path))
    }

    func testCheckAcceptsValidFile() throws {
        let dir = try CLI.temporaryDirectory()
        let scenario = dir.appendingPathComponent("s.yaml").path
        try Self.valid.write(toFile: scenario, atomically: true, encoding: .utf8)
        let r = try CLI.run(["check", scenario])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssert(r.stdout.contains("ok"))
    }
}
