// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimKernel
import ArchSimModel
import ArchSimScenario
import Foundation
import XCTest

/// Loads `yaml` as `test.yaml` in `directory`.
func load(_ yaml: String, file: String = "test.yaml", directory: String = "/nonexistent") throws -> Scenario {
    try ScenarioLoader.load(yaml: yaml, file: file, baseDirectory: directory)
}

/// The problems `yaml` is rejected with (fails the test if it loads).
func problems(_ yaml: String, file: String = "test.yaml", directory: String = "/nonexistent",
              line: UInt = #line) -> [ScenarioProblem] {
    do {
        _ = try load(yaml, file: file, directory: directory)
        XCTFail("expected the scenario to be rejected", line: line)
        return []
    } catch let errors as ScenarioErrors {
        return errors.problems
    } catch {
        XCTFail("unexpected error \(error)", line: line)
        return []
    }
}

/// Asserts exactly one problem whose description contains every one of `parts`.
@discardableResult
func assertOneProblem(_ yaml: String, _ parts: String..., line: UInt = #line) -> ScenarioProblem? {
    let found = problems(yaml, line: line)
    XCTAssertEqual(found.count, 1, "problems: \(found.map(\.description))", line: line)
    guard let problem = found.first else { return nil }
    for part in parts {
        XCTAssertTrue(problem.description.contains(part), "'\(problem.description)' lacks '\(part)'", line: line)
    }
    return problem
}

/// A scenario around an `architecture:` body (indented by 2) serving request `req` with `app.op`
/// unless the body routes itself.
func scenario(workload: String = """
      arrivals: {kind: open, rate: 100/s}
      requests:
        req: {weight: 1}
    """, architecture: String, extra: String = "") -> String {
    """
    duration: 1m
    workload:
    \(workload)
    architecture:
    \(architecture)
    \(extra)
    """
}

/// A minimal valid scenario with `services:` extended by `services` and the rest of the
/// architecture by `more` (both indented by 2 under `architecture:`).
func minimal(services: String = "", more: String = "", extra: String = "") -> String {
    scenario(architecture: """
      routes: {req: app.op}
      services:
        app:
          operations:
            op: {cpu: exponential(mean=1ms)}
    \(services)
    \(more)
    """, extra: extra)
}

/// A fresh temporary directory, removed at the end of the test.
func temporaryDirectory(_ test: XCTestCase) throws -> String {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("archsim-scenario-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    test.addTeardownBlock { try? FileManager.default.removeItem(at: url) }
    return url.path
}

func write(_ text: String, to path: String) throws {
    try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent,
                                            withIntermediateDirectories: true)
    try text.write(toFile: path, atomically: true, encoding: .utf8)
}

func steps(_ scenario: Scenario, _ service: String, _ operation: String) -> [Step] {
    let s = scenario.architecture.services.first { $0.name == service }!
    return s.operations.first { $0.name == operation }!.steps
}
