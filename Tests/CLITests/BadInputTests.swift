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
    func assertRejected(_ yaml: String?, path: String? = nil, in directory: URL? = nil, expect fragments: [String],
                        file: StaticString = #filePath, line: UInt = #line) throws {
        let dir = try directory ?? CLI.temporaryDirectory()
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

    // MARK: Issue #15: values that crashed, hung or ate memory are refused with a position

    /// `valid` with `old` replaced by `new`.
    func variant(_ old: String, _ new: String) -> String {
        precondition(Self.valid.contains(old), old)
        return Self.valid.replacingOccurrences(of: old, with: new)
    }

    func testValuesThatCrashedTheEngineAreRefused() throws {
        let op = "op: {cpu: exponential(mean=1ms)}"
        try assertRejected(variant(op, "op: {cpu: constant(2000000h)}"), expect: ["s.yaml:14:", "too long (at most 1000000h)"])
        try assertRejected(variant("req: {weight: 1}", "req: {weight: 1e308}"), expect: ["s.yaml:7:", "at most 1e15"])
        try assertRejected(variant(op, "op: {steps: [{call: b.x, retries: 4294967296}]}\n    b: {operations: {x: {cpu: 1ms}}}"),
                           expect: ["s.yaml:14:", "retries", "at most 1,000"])
        try assertRejected(Self.valid + "faults:\n  - {at: 1s, target: \"app[0]\", kind: slow, factor: 1e308, for: 1s}\n",
                           expect: ["s.yaml:16:", "factor", "at most 1000000"])
        try assertRejected(Self.valid.replacingOccurrences(of: "  services:", with: "  caches: {c: {nodes: 1e12, capacity: 2147483648}}\n  services:"),
                           expect: ["s.yaml:10:", "caches.c.nodes", "at most 10,000", "caches.c.capacity", "below 2^31"])
        try assertRejected(variant("  arrivals: {kind: open, process: poisson, rate: 100/s}",
                                   "  arrivals: {kind: open, process: poisson, rate: 100/s}\n  keys: {k: {count: 4294967296}}"),
                           expect: ["s.yaml:6:", "workload.keys.k.count", "below 2^32"])
    }

    /// Heavy tails are accepted: the sampler truncates draws at 10⁶ h, so the run completes.
    func testHeavyTailsRunToTheEnd() throws {
        let dir = try CLI.temporaryDirectory()
        let scenario = dir.appendingPathComponent("s.yaml").path
        try variant("op: {cpu: exponential(mean=1ms)}", "op: {cpu: 'pareto(shape=0.001, min=1ms)'}")
            .write(toFile: scenario, atomically: true, encoding: .utf8)
        let r = try CLI.run(["run", scenario, "--duration", "2s", "--warmup", "0s", "--replications", "1", "--quiet",
                             "--out", dir.appendingPathComponent("out").path])
        XCTAssertEqual(r.status, 0, r.stderr)
    }

    /// The largest values the format allows run to the end: three samples of 10⁶ h in one
    /// cache round trip (hop, latency, hop), and a 10⁶ h compute stretched ×10⁶ by a slow fault.
    func testLargestAllowedValuesRunToTheEnd() throws {
        let dir = try CLI.temporaryDirectory()
        let cache = """
            duration: 10s
            workload:
              arrivals: {kind: open, rate: 100/s}
              keys: {k: {count: 100}}
              requests: {req: {weight: 1, key: k}}
            architecture:
              network: {hop: constant(1000000h)}
              routes: {req: app.op}
              services: {app: {operations: {op: {steps: [{cache_get: c}]}}}}
              caches: {c: {capacity: 10, latency: constant(1000000h)}}
            """
        let slow = variant("op: {cpu: exponential(mean=1ms)}", "op: {cpu: constant(1000000h)}")
            + "\nfaults:\n  - {at: 0s, target: \"app[0]\", kind: slow, factor: 1000000, for: 1s}\n"
        for (name, yaml) in [("cache", cache), ("slow", slow)] {
            let scenario = dir.appendingPathComponent("\(name).yaml").path
            try yaml.write(toFile: scenario, atomically: true, encoding: .utf8)
            let r = try CLI.run(["run", scenario, "--duration", "2s", "--warmup", "0s", "--replications", "1", "--quiet",
                                 "--out", dir.appendingPathComponent("out-\(name)").path])
            XCTAssertEqual(r.status, 0, "\(name): \(r.stderr)")
        }
    }

    func testValuesThatHungAreRefused() throws {
        try assertRejected(variant("duration: 10s", "duration: 10s\nwindow: 0.4ns"),
                           expect: ["s.yaml:4:9: window: expected a positive duration, got 0.4ns", "rounds to 0 ns"])
        try assertRejected(variant("duration: 10s", "duration: 10s\nwindow: 1e-300s"), expect: ["s.yaml:4:9:", "rounds to 0 ns"])
        try assertRejected(variant("workers: 1", "workers: 1\n      autoscale: {min: 1, max: 2, interval: 0.4ns}"),
                           expect: ["s.yaml:13:", "autoscale.interval", "rounds to 0 ns"])
        try assertRejected(variant("  arrivals: {kind: open, process: poisson, rate: 100/s}", "  arrivals: {kind: closed, users: 5, think: 0s}")
                           .replacingOccurrences(of: "exponential(mean=1ms)", with: "constant(0ms)"),
                           expect: ["s.yaml:5:", "workload.arrivals.think", "the clock would never advance"])
    }

    func testValuesThatAteMemoryAreRefused() throws {
        let cases: [(String, String, [String])] = [
            ("workers: 1", "workers: 1\n      instances: 1e18", ["s.yaml:13:", "at most 100,000"]),
            ("workers: 1", "workers: 1\n      autoscale: {min: 1, max: 1e18}", ["s.yaml:13:", "autoscale.max", "at most 100,000"]),
            ("duration: 10s", "duration: 10s\nwindow: 1ns", ["s.yaml:4:9: window:", "timeseries windows", "at most 1,000,000"]),
            ("rate: 100/s", "rate: 1e18/s", ["s.yaml:5:", "at most 10000000/s"]),
            ("  arrivals: {kind: open, process: poisson, rate: 100/s}", "  arrivals: {kind: closed, users: 1e9, think: 1s}",
             ["s.yaml:5:", "users", "at most 1,000,000"]),
        ]
        for (old, new, expect) in cases { try assertRejected(variant(old, new), expect: expect) }
        try assertRejected(Self.valid.replacingOccurrences(of: "  services:", with: """
              databases: {db: {primary: {connections: 1, read: 1ms, write: 1ms}, replicas: 1000000}}
              caches: {c: {nodes: 100000000, capacity: 100000000}}
              services:
            """), expect: ["s.yaml:10:", "replicas", "at most 1,000,", "s.yaml:11:", "nodes", "at most 10,000"])
    }

    func testEmpiricalCSVProblemsNameTheScenarioAndTheCSVLine() throws {
        let dir = try CLI.temporaryDirectory()
        try "1\n5e12\n".write(toFile: dir.appendingPathComponent("big.csv").path, atomically: true, encoding: .utf8)
        try assertRejected(variant("op: {cpu: exponential(mean=1ms)}", "op: {cpu: empirical(\"big.csv\")}"),
                           path: nil, in: dir, expect: ["s.yaml:14:19:", "big.csv:2: a value may be at most 3600000000000 ms"])
    }

    func testEmptyAndNonUTF8FilesHavePositions() throws {
        try assertRejected("", expect: ["s.yaml:1:1: empty scenario file"])
        let dir = try CLI.temporaryDirectory()
        let path = dir.appendingPathComponent("latin1.yaml").path
        try Data([0x6e, 0x61, 0x6d, 0x65, 0x3a, 0x20, 0x63, 0x61, 0x66, 0xe9, 0x0a]).write(to: URL(fileURLWithPath: path))
        try assertRejected(nil, path: path, expect: ["latin1.yaml:1:10: scenario file is not UTF-8 text"])
    }

    func testMessagesQuoteShortExcerpts() throws {
        let long = String(repeating: "z", count: 5_000)
        let dir = try CLI.temporaryDirectory()
        let scenario = dir.appendingPathComponent("s.yaml").path
        try variant("duration: 10s", "duration: 10\(long)").write(toFile: scenario, atomically: true, encoding: .utf8)
        let r = try CLI.run(["check", scenario])
        XCTAssertEqual(r.status, 2)
        XCTAssert(r.stderr.contains("s.yaml:3:11: duration: unknown duration unit 'zzz"), r.stderr)
        XCTAssertLessThan(r.stderr.count, 400 + scenario.count, r.stderr)
    }

    /// `check` of generated files that used to take seconds (issue #15: 8.8 s and 31 s).
    func testCheckStaysFastOnLargeFiles() throws {
        let dir = try CLI.temporaryDirectory()
        let unknown = dir.appendingPathComponent("unknown.yaml").path
        try variant("workers: 1", "workers: 1\n" + (0..<50_000).map { "      k\($0): 1" }.joined(separator: "\n"))
            .write(toFile: unknown, atomically: true, encoding: .utf8)
        var services = "", routes = "", requests = ""
        for i in 0..<100_000 {
            services += "    s\(i): {operations: {op: {cpu: 1ms}}}\n"
            routes += "    r\(i): s\(i).op\n"
            requests += "    r\(i): {weight: 1}\n"
        }
        let many = dir.appendingPathComponent("many.yaml").path
        try ("duration: 1s\nworkload:\n  arrivals: {kind: open, rate: 100/s}\n  requests:\n\(requests)"
             + "architecture:\n  routes:\n\(routes)  services:\n\(services)").write(toFile: many, atomically: true, encoding: .utf8)
        for (file, status) in [(unknown, Int32(2)), (many, Int32(0))] {
            let start = Date()
            let r = try runLimited(["check", file], seconds: 60)
            XCTAssertEqual(r.status, status, r.stderr.prefix(300) + "")
            // 11 s for both files here alone (26 s before the basic YAML resolver, 31 s and more before
            // that); the bound leaves room for a loaded machine.
            XCTAssertLessThan(Date().timeIntervalSince(start), 30, file)
        }
    }

    func testAliasBombIsRefused() throws {
        var yaml = "x0: &x0 [a, a, a, a, a, a, a, a, a, a]\n"
        for level in 1...9 {
            yaml += "x\(level): &x\(level) [" + Array(repeating: "*x\(level - 1)", count: 10).joined(separator: ", ") + "]\n"
        }
        try assertRejected(yaml + Self.valid, expect: ["s.yaml:1:1:", "YAML aliases (*name) expand this scenario file past"])
    }

    // MARK: Command-line values

    func testDurationFlagsAreBounded() throws {
        try assertOptionsRejected("run", [
            (["--duration", "2000000h"], "--duration: duration '2000000h' is too long (at most 1000000h)"),
            (["--duration", "600000h", "--warmup", "600000h"], "--duration 600000h --warmup 600000h: duration and warm-up together may be at most 1000000h"),
            (["--duration", "-1s"], "--duration: expected a positive duration like 10m, got -1s"),
            (["--warmup", "-1s"], "--warmup: expected a non-negative duration like 10m, got -1s"),
            (["--duration", "0.4ns"], "--duration: expected a positive duration like 10m, got 0.4ns"),
            (["--duration", "1000000h"], "--duration 1000000h: warm-up + duration (1000000h) make 3600000000 timeseries windows"),
            (["--replications", "1000000000"], "--replications must be at most 10000"),
        ])
    }

    func testCapacityOptionsAreBounded() throws {
        try assertOptionsRejected("capacity", [
            (["--slo", "p99<10ms", "--tolerance", "1e-300"], "--tolerance must be at least 0.0001 and below 1"),
            (["--slo", "p99<1e400ms"], "--slo p99<1e400ms: no request measured in a run of 10s can take that long"),
            (["--slo", "p99<3600s", "--duration", "2s"], "--slo p99<3600s: no request measured in a run of 2s"),
        ])
    }

    func testSweepValuesMustNotBeEmptyOrRepeated() throws {
        let key = "architecture.services.app.workers"
        try assertOptionsRejected("run", [
            (["--sweep", "\(key)=1,,2"], "--sweep: \(key): value 2 of 3 is empty"),
            (["--sweep", "\(key)=1,2,"], "--sweep: \(key): value 3 of 3 is empty"),
            (["--sweep", "\(key)=1", "--sweep", "\(key)=2"], "--sweep: \(key): given twice"),
        ])
    }

    /// `archsim COMMAND s.yaml --out o ARGS` on the valid scenario, for each case: status 2,
    /// the fragment in stderr, and no `o` written.
    func assertOptionsRejected(_ command: String, _ cases: [([String], String)],
                               file: StaticString = #filePath, line: UInt = #line) throws {
        let dir = try CLI.temporaryDirectory()
        let scenario = dir.appendingPathComponent("s.yaml").path
        try Self.valid.write(toFile: scenario, atomically: true, encoding: .utf8)
        let out = dir.appendingPathComponent("o").path
        for (args, fragment) in cases {
            let r = try runLimited([command, scenario, "--out", out] + args, seconds: 60)
            XCTAssertEqual(r.status, 2, "\(args): \(r.stderr)", file: file, line: line)
            XCTAssert(r.stderr.contains(fragment), "\(args): \(r.stderr)", file: file, line: line)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: out), file: file, line: line)
    }

    func testEstimateRefusesWhatIsNotFinite() throws {
        for args in [["--users", "1e400"], ["--users", "inf"], ["--users", "nan"], ["--actions", "inf"],
                     ["--peak-factor", "1e308"], ["--active", "nan"]] {
            let r = try runLimited(["estimate"] + args, seconds: 60)
            XCTAssertEqual(r.status, 2, "\(args): \(r.stderr)")
            XCTAssert(r.stderr.contains(args[0]), "\(args): \(r.stderr)")
            XCTAssertFalse(r.stdout.contains("inf") || r.stdout.contains("nan"), "\(args): \(r.stdout)")
        }
    }

    // MARK: Paths the command cannot write

    func testOutputPathsThatCannotBeWritten() throws {
        let dir = try CLI.temporaryDirectory()
        let scenario = dir.appendingPathComponent("s.yaml").path
        try Self.valid.write(toFile: scenario, atomically: true, encoding: .utf8)
        let file = dir.appendingPathComponent("a-file").path
        try "x".write(toFile: file, atomically: true, encoding: .utf8)
        let longName = dir.appendingPathComponent(String(repeating: "n", count: 300)).path
        for (out, fragment) in [
            (file, "--out \(file): is a file, not a directory"),
            (file + "/sub", "--out \(file)/sub: \(file) is a file, so no directory can be made under it"),
            ("/dev/null", "--out /dev/null: is a device or special file, not a directory"),
            (longName, "is too long (300 bytes; at most 255)"),
            ("", "--out: expected a directory, got an empty path"),
        ] {
            for command in [["run", scenario, "--out", out], ["compare", scenario, "--out", out],
                            ["capacity", scenario, "--slo", "p99<10ms", "--out", out]] {
                let r = try runLimited(command + ["--duration", "1s", "--quiet"], seconds: 60)
                XCTAssertEqual(r.status, 2, "\(command): \(r.stderr)")
                XCTAssert(r.stderr.contains(fragment), "\(command): \(r.stderr)")
                XCTAssertFalse(r.stderr.contains("NSCocoaErrorDomain") || r.stderr.contains("Error Domain"), r.stderr)
            }
        }
        XCTAssertEqual(try String(contentsOfFile: file, encoding: .utf8), "x", "the file in the way is untouched")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted(), ["a-file", "s.yaml"], "nothing written")
    }

    /// An unwritable directory (root writes anywhere, so this needs an ordinary user) and an
    /// immutable one (needs chattr and root).
    func testUnwritableAndImmutableDirectories() throws {
        let dir = try CLI.temporaryDirectory()
        let scenario = dir.appendingPathComponent("s.yaml").path
        try Self.valid.write(toFile: scenario, atomically: true, encoding: .utf8)
        let locked = dir.appendingPathComponent("locked").path
        try FileManager.default.createDirectory(atPath: locked, withIntermediateDirectories: false)
        var tried = false
        if getuid() != 0 {
            try FileManager.default.setAttributes([.posixPermissions: 0o555], ofItemAtPath: locked)
            tried = true
        } else if (try? runProcess("/usr/bin/chattr", ["+i", locked])) == 0 {
            tried = true
        }
        defer {
            _ = try? runProcess("/usr/bin/chattr", ["-i", locked])
            try? FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: locked)
        }
        try XCTSkipUnless(tried, "needs an ordinary user or chattr")
        for out in [locked, locked + "/sub"] {
            let r = try runLimited(["run", scenario, "--out", out, "--duration", "1s", "--quiet"], seconds: 60)
            XCTAssertEqual(r.status, 2, r.stderr)
            XCTAssert(r.stderr.contains("is not writable"), r.stderr)
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: locked), [])
    }

    func testWriteProfileIntoADirectoryOrNowhere() throws {
        let dir = try CLI.temporaryDirectory()
        for (path, fragment) in [(dir.path, "--write-profile \(dir.path): is a directory, not a file; give a file name"),
                                 (dir.path + "/missing/w.yaml", "directory \(dir.path)/missing does not exist"),
                                 ("/dev/null", "--write-profile /dev/null: is a device or special file, not a file")] {
            let r = try runLimited(["estimate", "--write-profile", path], seconds: 60)
            XCTAssertEqual(r.status, 2, r.stderr)
            XCTAssert(r.stderr.contains(fragment), r.stderr)
            XCTAssert(r.stdout.isEmpty, "nothing printed before the refusal: \(r.stdout)")
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), [])
    }

    func testBackendServeRefusesABadDirectoryOrHostBeforeBuildingTheCatalogue() throws {
        let dir = try CLI.temporaryDirectory()
        let file = dir.appendingPathComponent("a-file").path
        try "x".write(toFile: file, atomically: true, encoding: .utf8)
        let data = dir.appendingPathComponent("data").path
        for (args, fragment) in [
            (["--dir", file], "--dir \(file): is a file, not a directory"),
            (["--dir", file + "/db"], "\(file) is a file, so no directory can be made under it"),
            (["--dir", data, "--host", "no-such-host.invalid"], "--host no-such-host.invalid: not an address of this machine"),
            (["--dir", data, "--host", "192.0.2.1"], "--host 192.0.2.1: this machine cannot listen on it"),
            (["--dir", data, "--host", "999.1.1.1"], "--host 999.1.1.1:"),
        ] {
            let r = try runLimited(["backend", "serve", "--port", "0", "--products", "10", "--users", "10"] + args, seconds: 60)
            XCTAssertEqual(r.status, 2, "\(args): \(r.stderr)")
            XCTAssert(r.stderr.contains(fragment), "\(args): \(r.stderr)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: data), "no catalogue built")
    }

    // MARK: Helpers

    /// Runs archsim with a time limit: a command that should fail at once must not hang the
    /// tests (it is killed, and the test fails, past `seconds`).
    func runLimited(_ arguments: [String], seconds: Double) throws -> CLI.Output {
        let dir = try CLI.temporaryDirectory()
        let outURL = dir.appendingPathComponent("stdout"), errURL = dir.appendingPathComponent("stderr")
        FileManager.default.createFile(atPath: outURL.path, contents: nil)
        FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let p = Process()
        p.executableURL = CLI.executable
        p.arguments = arguments
        p.standardOutput = try FileHandle(forWritingTo: outURL)
        p.standardError = try FileHandle(forWritingTo: errURL)
        try p.run()
        let deadline = Date().addingTimeInterval(seconds)
        while p.isRunning && Date() < deadline { usleep(20_000) }
        if p.isRunning {
            p.terminate()
            p.waitUntilExit()
            XCTFail("archsim \(arguments.joined(separator: " ")) still running after \(seconds) s")
        }
        p.waitUntilExit()
        defer { try? FileManager.default.removeItem(at: dir) }
        return CLI.Output(status: p.terminationStatus, stdout: try String(contentsOf: outURL, encoding: .utf8),
                          stderr: try String(contentsOf: errURL, encoding: .utf8))
    }

    /// Runs a system tool; its exit status.
    func runProcess(_ tool: String, _ arguments: [String]) throws -> Int32 {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: tool)
        p.arguments = arguments
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        return p.terminationStatus
    }
}
