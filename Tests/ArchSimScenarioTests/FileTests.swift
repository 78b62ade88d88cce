// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimKernel
import ArchSimModel
import ArchSimScenario
import XCTest

/// Sections and distributions read from other files.
final class FileTests: XCTestCase {
    func testWorkloadAndArchitectureAsPaths() throws {
        let dir = try temporaryDirectory(self)
        try write("""
        arrivals: {kind: closed, users: 20, think: constant(1s)}
        requests: {req: {weight: 1}}
        """, to: dir + "/workloads/w.yaml")
        try write("""
        routes: {req: app.op}
        services:
          app:
            operations:
              op: {cpu: empirical("service.csv")}
        """, to: dir + "/architectures/a.yaml")
        try write("latency_ms\n1\n2.5\n\n0.5\n", to: dir + "/architectures/service.csv")
        try write("""
        duration: 1m
        workload: workloads/w.yaml
        architecture: architectures/a.yaml
        """, to: dir + "/s.yaml")
        let s = try ScenarioLoader.load(path: dir + "/s.yaml")
        guard case let .closed(users, think) = s.workload.arrivals else { return XCTFail() }
        XCTAssertEqual(users, 20)
        XCTAssertEqual(think, .constant(1e9))
        guard case let .empirical(e) = s.architecture.services[0].operations[0].cpu else { return XCTFail() }
        XCTAssertEqual(e.values, [0.5e6, 1e6, 2.5e6])
        XCTAssertTrue(e.binEdges.isEmpty)

        let w = try ScenarioLoader.loadWorkload(path: dir + "/workloads/w.yaml")
        XCTAssertEqual(w.requestTypes.map(\.name), ["req"])
    }

    func testProblemsInsideIncludedFilePointThere() throws {
        let dir = try temporaryDirectory(self)
        try write("""
        arrivals: {kind: open, rate: 10/s}
        requests:
          req: {weight: -1}
        """, to: dir + "/w.yaml")
        try write("duration: 1m\nworkload: w.yaml\narchitecture: missing.yaml\n", to: dir + "/s.yaml")
        XCTAssertThrowsError(try ScenarioLoader.load(path: dir + "/s.yaml")) { error in
            XCTAssertEqual((error as? ScenarioErrors)?.problems.map(\.description), [
                "\(dir)/s.yaml:3:15: architecture: architecture file '\(dir)/missing.yaml' no such file",
                "\(dir)/w.yaml:3:17: workload.requests.req.weight: expected a non-negative number, got -1",
            ])
        }
        XCTAssertThrowsError(try ScenarioLoader.loadWorkload(path: dir + "/w.yaml")) { error in
            XCTAssertEqual((error as? ScenarioErrors)?.description,
                           "\(dir)/w.yaml:3:17: requests.req.weight: expected a non-negative number, got -1")
        }
    }

    func testEmpiricalValuesWithoutHeader() throws {
        let dir = try temporaryDirectory(self)
        try write("3\n1\n2\n", to: dir + "/calibration/v.csv")
        let s = try load(minimal(services: """
            x: {operations: {y: {cpu: empirical("calibration/v.csv")}}}
        """), directory: dir)
        guard case let .empirical(e) = s.architecture.services[1].operations[0].cpu else { return XCTFail() }
        XCTAssertEqual(e.values, [1e6, 2e6, 3e6])
        XCTAssertEqual(e.source, dir + "/calibration/v.csv")
    }

    func testEmpiricalHistogram() throws {
        let dir = try temporaryDirectory(self)
        try write("lower_ms,upper_ms,weight\n0,1,5\n1,2,3\n4,8,2\n", to: dir + "/h.csv")
        try write("lower_ms,upper_ms,count\n0.5,1.5,10\n", to: dir + "/c.csv")
        let s = try load(minimal(services: """
            x:
              operations:
                y: {cpu: 'empirical("h.csv")'}
                z:
                  cpu: empirical('c.csv')
        """), directory: dir)
        guard case let .empirical(h) = s.architecture.services[1].operations[0].cpu,
              case let .empirical(c) = s.architecture.services[1].operations[1].cpu else { return XCTFail() }
        XCTAssertEqual(h.binEdges, [0, 1e6, 2e6, 4e6, 8e6])
        XCTAssertEqual(h.weights, [5, 3, 0, 2], "the gap 2..4 ms becomes a zero-weight bin")
        XCTAssertTrue(h.values.isEmpty)
        XCTAssertEqual(c.binEdges, [0.5e6, 1.5e6])
        XCTAssertEqual(c.weights, [10])
    }

    func testEmpiricalProblems() throws {
        let dir = try temporaryDirectory(self)
        try write("1\n-2\n", to: dir + "/neg.csv")
        try write("lower_ms,upper_ms,weight\n0,1,0\n", to: dir + "/zero.csv")
        try write("lower_ms,upper_ms,weight\n0,2,1\n1,3,1\n", to: dir + "/overlap.csv")
        // Past the bounds of issue #15: a value above 10^6 h, a weight above 1e15.
        try write("1\n5e12\n", to: dir + "/big.csv")
        try write("lower_ms,upper_ms,weight\n0,1,1e300\n", to: dir + "/heavy.csv")
        let found = problems(minimal(services: """
            x:
              operations:
                a: {cpu: empirical("neg.csv")}
                b: {cpu: empirical("zero.csv")}
                c: {cpu: empirical("overlap.csv")}
                d: {cpu: empirical("absent.csv")}
                e: {cpu: empirical("big.csv")}
                f: {cpu: empirical("heavy.csv")}
        """), directory: dir)
        XCTAssertEqual(found.map(\.description), [
            "test.yaml:14:18: architecture.services.x.operations.a.cpu: empirical CSV \(dir)/neg.csv:2: expected a non-negative number of milliseconds, got '-2'",
            "test.yaml:15:18: architecture.services.x.operations.b.cpu: empirical CSV \(dir)/zero.csv: all histogram weights are zero",
            "test.yaml:16:18: architecture.services.x.operations.c.cpu: empirical CSV \(dir)/overlap.csv:3: bins must be ascending and not overlap: 1 is below the previous bin's upper edge",
            "test.yaml:17:18: architecture.services.x.operations.d.cpu: empirical CSV file '\(dir)/absent.csv' no such file",
            "test.yaml:18:18: architecture.services.x.operations.e.cpu: empirical CSV \(dir)/big.csv:2: a value may be at most 3600000000000 ms (1000000h), got '5e12'",
            "test.yaml:19:18: architecture.services.x.operations.f.cpu: empirical CSV \(dir)/heavy.csv:2: a bin's weight may be at most 1e15, got 1e300",
        ])
    }
}
