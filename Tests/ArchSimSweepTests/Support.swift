// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimReport
import ArchSimScenario
import ArchSimSweep
import Foundation
import XCTest

/// Sweeps over the CLI tests' fixture, and points that are written, not simulated: a point's
/// summary.csv is a function of its index, so tests run in milliseconds and know every byte.
enum Fixture {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let sweepDirectory = repository.appendingPathComponent("Tests/CLITests/Fixtures/sweep")
    static var grid12: String { sweepDirectory.appendingPathComponent("grid12.yaml").path }

    /// The 12-point grid (3 instance counts × 4 rates), read and checked as `archsim sweep` reads it.
    static func gridPlan() throws -> SweepPlan { SweepPlan(try SweepLoader.load(path: grid12)) }

    /// A plan without files: `count` points of one parameter `p` (values 10, 20, …) and, with
    /// `comma`, a second parameter whose values need quoting in CSV.
    static func plan(count: Int = 5, comma: Bool = false, replications: Int? = 2) -> SweepPlan {
        let parameters = comma ? ["p", "q"] : ["p"]
        let points = (0..<count).map { i in
            [ScenarioOverride(path: "p", value: String(10 * (i + 1)))]
                + (comma ? [ScenarioOverride(path: "q", value: "{a: \(i), b: \"x\"}")] : [])
        }
        return SweepPlan(SweepDefinition(scenarioPath: "/nonexistent/base.yaml", replications: replications,
                                         parameters: parameters, points: points))
    }

    static func fingerprint(_ plan: SweepPlan, scenario: String = "name: base\n", settings: [String] = []) -> SweepFingerprint {
        SweepFingerprint(plan: plan, scenarioText: scenario, settings: settings)
    }

    /// Writes point i's summary.csv as a run would: a row per request type, then `all`.
    static func writeSummary(_ i: Int, into folder: String) throws {
        var t = CSVTable(header: ResultFiles.summaryHeader)
        for type in ["req, with a comma", "all"] {
            t.append(ResultFiles.summaryHeader.indices.map { c in c == 0 ? "base" : c == 1 ? type : String(i * 100 + c) })
        }
        try AtomicFile.write(t.text, to: folder + "/summary.csv")
    }

    /// Runs `points` of `plan` into `directory` with ``writeSummary``; returns the indices run.
    @discardableResult
    static func run(_ plan: SweepPlan, _ points: [Int], into directory: String,
                    fingerprint: SweepFingerprint? = nil) throws -> [Int] {
        var ran: [Int] = []
        let runner = SweepRunner(plan: plan, fingerprint: fingerprint ?? Self.fingerprint(plan), directory: directory)
        try runner.run(points: points) { i, folder in
            ran.append(i)
            try writeSummary(i, into: folder)
        }
        return ran
    }

    /// A fresh temporary directory's path (the directory itself is not created).
    static func temporaryPath() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("archsim-sweep-\(UUID().uuidString)").path
    }

    /// Every file under `directory`, relative path → bytes.
    static func files(under directory: String) throws -> [String: Data] {
        var files: [String: Data] = [:]
        guard let e = FileManager.default.enumerator(atPath: directory) else { return files }
        for case let relative as String in e {
            var isDirectory: ObjCBool = false
            let path = directory + "/" + relative
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue {
                files[relative] = try Data(contentsOf: URL(fileURLWithPath: path))
            }
        }
        return files
    }
}

extension XCTestCase {
    /// Asserts that `body` throws a ``SweepError`` whose text contains every one of `fragments`.
    func assertSweepError(_ fragments: [String], file: StaticString = #filePath, line: UInt = #line,
                          _ body: () throws -> Void) {
        do {
            try body()
            XCTFail("no error; expected one mentioning \(fragments)", file: file, line: line)
        } catch let e as SweepError {
            for f in fragments { XCTAssert(e.description.contains(f), "'\(e)' lacks '\(f)'", file: file, line: line) }
        } catch {
            XCTFail("not a SweepError: \(error)", file: file, line: line)
        }
    }
}
