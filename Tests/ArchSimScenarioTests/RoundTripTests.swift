// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimKernel
import ArchSimModel
import ArchSimScenario
import Foundation
import XCTest

/// The writer and the reader agree: reading what the writer wrote gives back an equal
/// scenario, for every bundled scenario, every fragment of the spec, and the calibrated one.
final class RoundTripTests: XCTestCase {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().path

    /// Writes `s` as one file in `directory`, reads it back and compares; writing what was read
    /// gives the same text again (the output is a function of the value).
    @discardableResult
    func assertRoundTrip(_ s: Scenario, directory: String = "/nonexistent", _ what: String = "",
                         line: UInt = #line) throws -> String {
        let writer = ScenarioWriter(directory: directory)
        let text = try writer.scenario(s)
        let back: Scenario
        do {
            back = try ScenarioLoader.load(yaml: text, file: directory + "/written.yaml", baseDirectory: directory)
        } catch {
            XCTFail("\(what): the written text does not read: \(error)\n\(text)", line: line)
            return text
        }
        var expected = s
        expected.sourcePath = nil
        if back != expected {
            XCTFail("\(what): differs after the round trip at \(firstDifference(expected, back) ?? "?")\n\(text)", line: line)
        }
        XCTAssertEqual(try writer.scenario(back), text, what, line: line)
        return text
    }

    // MARK: What the brief names

    func testEveryBundledScenario() throws {
        let root = Self.repository + "/scenarios"
        var files: [String] = []
        let walker = FileManager.default.enumerator(atPath: root)!
        for case let rel as String in walker where rel.hasSuffix(".yaml") {
            // Workload and architecture files are parts of the scenarios that name them; sweeps are not scenarios.
            if rel.hasPrefix("workloads/") || rel.hasPrefix("architectures/") || rel.hasSuffix(".sweep.yaml") { continue }
            files.append(root + "/" + rel)
        }
        files.sort()
        XCTAssertGreaterThanOrEqual(files.count, 12)
        for path in files {
            let s = try ScenarioLoader.load(path: path)
            try assertRoundTrip(s, directory: (path as NSString).deletingLastPathComponent, path)
        }
    }

    func testSpecFragmentsJoinedIntoOneScenario() throws {
        let path = Self.repository + "/Tests/CLITests/Fixtures/spec-fragments.yaml"
        let s = try ScenarioLoader.load(path: path)
        XCTAssertEqual(s.faults.count, 2)
        try assertRoundTrip(s, directory: (path as NSString).deletingLastPathComponent, path)
    }

    func testVersion11FragmentsJoinedIntoOneScenario() throws {
        let path = Self.repository + "/Tests/CLITests/Fixtures/spec-v11.yaml"
        let s = try ScenarioLoader.load(path: path)
        XCTAssertEqual(s.architecture.databases[0].shards, 4)
        try assertRoundTrip(s, directory: (path as NSString).deletingLastPathComponent, path)
    }

    /// Each fragment of the spec as ``FragmentTests`` embeds it.
    func testEachSpecFragment() throws {
        let f = FragmentTests.self
        let scenarios = [
            "duration: 1m\n\(f.workloadFragment)\narchitecture:\n  routes: {view_product: app.op, place_order: app.op}\n  services: {app: {operations: {op: {}}}}",
            "duration: 1m\nworkload:\n  arrivals: {kind: open, rate: 10/s}\n  requests: {view_product: {weight: 1}, place_order: {weight: 1}}\n\(f.architectureFragment)",
            f.stepsAndStorageScenario,
            minimal(more: f.storageFragment, extra: f.faultsFragment),
            scenario(workload: "  arrivals: {kind: open, rate: 7200/h}\n  requests: {req: {weight: 1}}", architecture: """
              network: {hop: exponential(mean=100us)}
              load_balancer: {policy: consistent_hash}
              routes: {req: app.op}
              services: {app: {operations: {op: {}}}}
            """),
        ]
        for (i, yaml) in scenarios.enumerated() { try assertRoundTrip(try load(yaml), "fragment \(i)") }
    }

    /// The fragments' alternatives (a rate profile, closed arrivals, the other fault targets),
    /// set in code rather than read: the writer also writes what no file said.
    func testAlternativesMadeInCode() throws {
        var s = try load(minimal(more: FragmentTests.storageFragment))
        s.workload.keySpaces = [KeySpace(name: "products", count: 10, popularity: .uniform)]
        s.workload.requestTypes[0].keySpace = 0
        s.workload.arrivals = .open(process: .constant, rate: .profile([RatePoint(at: 0, perSecond: 2667),
                                                                        RatePoint(at: 300_000_000_000, perSecond: 8000)]))
        s.faults = [Fault(at: 0, target: .cacheNode(cache: 0, node: 2), kind: .crash, duration: nil),
                    Fault(at: 1_000_000_000, target: .primary(database: 0), kind: .slow(factor: 2.5), duration: 1)]
        try assertRoundTrip(s, "profile and faults")
        s.workload.arrivals = .closed(users: 200, think: .exponential(mean: 1e9))
        try assertRoundTrip(s, "closed")
    }

    /// Every form of the spec's distribution table, and the forms the reader adds.
    func testEveryDistributionForm() throws {
        let forms = ["constant(1ms)", "exponential(mean=2ms)", "uniform(min=1ms, max=3ms)", "normal(mean=5ms, sd=1ms)",
                     "lognormal(median=3ms, p99=20ms)", "lognormal(mean=4ms, sd=3ms)", "gamma(shape=2, mean=4ms)",
                     "gamma(shape=2.5, scale=1.3ms)", "erlang(k=3, mean=3ms)", "weibull(shape=1.5, scale=2ms)",
                     "pareto(shape=2.5, min=1ms)", "250us", "constant(2h)", "constant(10ns)", "constant(0.5ns)",
                     "lognormal(median=123.4567us, p99=7.654321ms)", "lognormal(mean=12.3456us, sd=100.5us)",
                     "exponential(mean=1.0000001s)", "uniform(min=0ms, max=1e-3ms)"]
        for form in forms {
            let text = try assertRoundTrip(try load(minimal(services: "    x: {operations: {op: {cpu: \"\(form)\"}}}")), form)
            // A distribution written as the spec writes it comes back in that form; a lognormal
            // at least in its form (mean/sd here has an exact pair with fewer digits, in ns).
            if form.contains("(") && !form.contains("e-3") {
                let kept = form.hasPrefix("lognormal(mean=12") ? "cpu: lognormal(mean=" : "cpu: " + form
                XCTAssertTrue(text.contains(kept), "\(form) not kept in:\n\(text)")
            }
        }
    }

    /// The keys the reader takes beyond the spec's fragments: resilience, autoscaling, queues,
    /// cores, the timeseries window, empirical CSVs of both shapes.
    func testKeysBeyondTheFragments() throws {
        let dir = try temporaryDirectory(self)
        try write("ms\n1.5\n0.25\n3\n", to: dir + "/samples/values.csv")
        try write("lower_ms,upper_ms,weight\n0,1,3\n2,4,1\n", to: dir + "/hist.csv")
        let yaml = """
        version: 1
        name: "odd: name #1"
        description: |
          Two lines: "quoted",
          and a back\\slash.
        seed: 18446744073709551615
        duration: 90s
        warmup: 1.5m
        replications: 4
        window: 250ms
        workload:
          arrivals: {kind: open, process: constant, rate: 100/h}
          keys:
            users: {count: 5, popularity: zipf(s=1.2)}
          requests:
            on_sale: {weight: 0.5, key: users, timeout: 1500ms}
            req: {weight: 2}
        architecture:
          load_balancer: {policy: least_connections}
          routes: {on_sale: app.op, req: pay.op}
          services:
            app:
              instances: 3
              workers: 4
              queue: 0
              cores: 2
              io: async
              load_balancer: {policy: power_of_two}
              health_check: {interval: 2s, unhealthy_after: 3}
              autoscale: {min: 2, max: 6, target_utilization: 70%, interval: 10s, warmup: 0s}
              operations:
                op:
                  cpu: empirical("samples/values.csv")
                  steps:
                    - call: pay.op
                      timeout: 500ms
                      retries: 2
                      circuit_breaker: {error_rate: 25%, window: 20s, min_calls: 50, open_for: 2s}
                    - call: pay.op
                      retries: {count: 3, backoff: exponential(mean=50ms)}
                    - call: pay.op
                      retries: {count: 0, backoff: constant(0ms)}
                      circuit_breaker: {}
                    - delay: empirical('hist.csv')
            pay:
              queue: 10
              operations:
                op: {}
          caches:
            c: {nodes: 2, capacity: 10, eviction: lfu, ttl: 1m}
          databases:
            main:
              primary: {connections: 10, read: constant(1ms), write: constant(2ms)}
              replicas: {count: 2, connections: 3, read: constant(0.5ms), apply: constant(0.1ms), apply_workers: 2}
              reads_from: primary
              replica_balancer: {policy: random}
              failover: {after: 0s}
            lonely:
              primary: {connections: 1, read: constant(1ms), write: constant(1ms)}
              replicas: {count: 0, connections: 7, read: constant(1ms)}
        faults:
          - {at: 0s, target: "c[1]", kind: crash}
          - {at: 1s, target: "main.replica[1]", kind: slow, factor: 1.25, for: 1ms}
          - {at: 2s, target: "app[2]", kind: crash}
        """
        let s = try ScenarioLoader.load(yaml: yaml, file: dir + "/all.yaml", baseDirectory: dir)
        XCTAssertEqual(s.architecture.databases[1].replica.connections, 7)
        try assertRoundTrip(s, directory: dir)
    }

    /// The calibrated scenario in results/ (three files and 40 empirical CSVs), and written in
    /// three files again as calibration writes it.
    func testCalibratedScenario() throws {
        let dir = Self.repository + "/results/validation/calibration"
        let s = try ScenarioLoader.load(path: dir + "/scenario.yaml")
        try assertRoundTrip(s, directory: dir)

        // In three files, as calibration writes it, elsewhere: the CSVs are then named by their
        // absolute paths (the repository's path is absolute here), which read back the same.
        let out = try temporaryDirectory(self)
        let writer = ScenarioWriter(directory: out)
        try write(try writer.workload(s.workload, header: ["the workload"]), to: out + "/w.yaml")
        try write(try writer.architecture(s.architecture, workload: s.workload), to: out + "/a.yaml")
        try write(try writer.scenario(s, workloadFile: "w.yaml", architectureFile: "a.yaml"), to: out + "/s.yaml")
        var split = try ScenarioLoader.load(path: out + "/s.yaml")
        split.sourcePath = s.sourcePath
        XCTAssertNil(firstDifference(s, split))
        XCTAssertTrue(split == s)
    }

    // MARK: The writer's own promises

    func testCommentsHeaderAndQuoting() throws {
        var s = try load(minimal())
        s.description = "x: y # not a comment"
        var writer = ScenarioWriter(comments: ["architecture.services.app.operations.op.cpu": "fitted from 20,000 samples",
                                               "workload.arrivals": "open loop", "seed": "any"])
        writer.comments["duration"] = "two\nlines"
        let text = try writer.scenario(s, header: ["Made by a test.", ""])
        XCTAssertTrue(text.hasPrefix("# Made by a test.\n#\nversion: 1\n"), text)
        XCTAssertTrue(text.contains("\n          cpu: exponential(mean=1ms)  # fitted from 20,000 samples\n"), text)
        XCTAssertTrue(text.contains("  arrivals:  # open loop\n"), text)
        XCTAssertTrue(text.contains("seed: 1  # any\n"), text)
        XCTAssertTrue(text.contains("duration: 1m  # two lines\n"), text)
        XCTAssertTrue(text.contains("description: \"x: y # not a comment\"\n"), text)
        let back = try ScenarioLoader.load(yaml: text, file: "t.yaml", baseDirectory: ".")
        XCTAssertEqual(back, s)
    }

    func testValueTexts() throws {
        let w = ScenarioWriter()
        let cases: [(Distribution, String)] = [
            (.constant(1_500_000), "constant(1.5ms)"), (.constant(0), "constant(0ms)"), (.constant(90e9), "constant(1.5m)"),
            (.constant(1_234_567), "constant(1.234567ms)"), (.exponential(mean: 300_000), "exponential(mean=300us)"),
            (.lognormal(median: 1e6, p99: 8e6), "lognormal(median=1ms, p99=8ms)"),
            (.gamma(shape: 2, mean: 4e6), "gamma(shape=2, mean=4ms)"), (.erlang(k: 3, mean: 3e6), "erlang(k=3, mean=3ms)"),
        ]
        for (d, text) in cases { XCTAssertEqual(try w.distribution(d), text) }
        XCTAssertThrowsError(try w.distribution(.empirical(EmpiricalDistribution(values: [1], source: ""))))
        // Durations of the description are whole nanoseconds.
        var s = try load(minimal())
        s.duration = 1_000_000_001; s.warmup = 3_600_000_000_000
        let text = try w.scenario(s)
        XCTAssertTrue(text.contains("duration: 1.000000001s\n") && text.contains("warmup: 1h\n"), text)
    }
}

/// The key path of the first difference between two values, by their mirrors, with both sides
/// in short: a failing round trip then says where, not a page of samples.
func firstDifference(_ a: Any, _ b: Any, path: String = "") -> String? {
    let ca = Array(Mirror(reflecting: a).children), cb = Array(Mirror(reflecting: b).children)
    if ca.isEmpty || ca.count != cb.count || zip(ca, cb).contains(where: { $0.label != $1.label }) {
        let (ta, tb) = ("\(a)", "\(b)")
        return ta == tb ? nil : "\(path): \(ta.prefix(160)) vs \(tb.prefix(160))"
    }
    for (i, (x, y)) in zip(ca, cb).enumerated() {
        if let d = firstDifference(x.value, y.value, path: path + "." + (x.label ?? "[\(i)]")) { return d }
    }
    return nil
}
