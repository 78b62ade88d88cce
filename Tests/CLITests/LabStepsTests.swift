// SPDX-License-Identifier: GPL-3.0-or-later
import Foundation
import XCTest

/// `archsim lab steps`: a real step measured (capacity, the model's inputs, levels) and its
/// model simulated, as CI runs it (`--quick`, step 1). The acceptance figures come from the
/// full run committed under results/lab; this checks the pipeline measures what it says.
final class LabStepsTests: XCTestCase {
    func testStepOneIsMeasuredModelledAndItsModelRunsAsAScenario() throws {
        let out = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: out) }
        let run = try CLI.run(["lab", "steps", "--quick", "--steps", "1", "--products", "2000", "--users", "5000", "--out", out.path])
        XCTAssertEqual(run.status, 0, run.stdout + run.stderr)
        let rows = try CLI.readCSV(out.appendingPathComponent("real_vs_sim.csv"))
        XCTAssertEqual(rows.map { $0["level"] ?? "" }, ["capacity", "30", "60"], "\(rows)")
        let capacity = try XCTUnwrap(Double(rows[0]["real_throughput_rps"] ?? ""))
        let simulated = try XCTUnwrap(Double(rows[0]["sim_throughput_rps"] ?? ""))
        XCTAssertGreaterThan(capacity, 20)
        XCTAssertGreaterThan(simulated, 0)
        for row in rows.dropFirst() {
            let offered = try XCTUnwrap(Double(row["offered_rps"] ?? ""))
            let level = try XCTUnwrap(Double(row["level"] ?? ""))
            XCTAssertEqual(offered, capacity * level / 100, accuracy: 0.1)
            // The real step follows the offer below capacity, without errors; so does the model.
            XCTAssertEqual(try XCTUnwrap(Double(row["real_throughput_rps"] ?? "")), offered, accuracy: 0.15 * offered, "\(row)")
            XCTAssertEqual(try XCTUnwrap(Double(row["sim_throughput_rps"] ?? "")), offered, accuracy: 0.05 * offered, "\(row)")
            XCTAssertLessThan(try XCTUnwrap(Double(row["real_error_rate"] ?? "")), 0.01)
            let p50 = try XCTUnwrap(Double(row["real_p50_ms"] ?? "")), p99 = try XCTUnwrap(Double(row["real_p99_ms"] ?? ""))
            XCTAssertGreaterThan(p50, 0); XCTAssertGreaterThanOrEqual(p99, p50)
            XCTAssertGreaterThan(try XCTUnwrap(Double(row["sim_p50_ms"] ?? "")), 0)
            // The CPU the lab used is what the measured CPU curve says at that throughput (the
            // curve was measured at 20/50/90% of capacity; these levels lie between).
            let real = try XCTUnwrap(Double(row["real_lab_cores"] ?? "")), model = try XCTUnwrap(Double(row["model_lab_cores"] ?? ""))
            XCTAssertEqual(model, real, accuracy: 0.35 * real, "\(row)")
        }
        // The inputs: every type's CPU in each component.
        let inputs = try CLI.readCSV(out.appendingPathComponent("real_vs_sim_inputs.csv"))
        XCTAssertEqual(Set(inputs.map { $0["request_type"] ?? "" }), ["view_product", "search", "add_to_cart", "login", "place_order", "pay"])
        XCTAssertEqual(Set(inputs.map { $0["component"] ?? "" }), ["backend", "primary"])
        XCTAssertTrue(inputs.contains { ($0["component"] == "backend") && (Double($0["cpu_ms_per_request"] ?? "") ?? 0) > 0 })
        // The step's model is a scenario a user runs as it is.
        let model = out.appendingPathComponent("steps/step-1/scenario.yaml")
        let sim = try CLI.run(["run", model.path, "--out", out.appendingPathComponent("run").path])
        XCTAssertEqual(sim.status, 0, sim.stdout + sim.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: out.appendingPathComponent("run/summary.csv").path))
        // Nothing of the lab is left: its directory is gone and no process works in it.
        let line = try XCTUnwrap(run.stdout.split(separator: "\n").first { $0.contains("starting in ") })
        let labDirectory = String(line[line.range(of: "starting in ")!.upperBound...])
        XCTAssertFalse(FileManager.default.fileExists(atPath: labDirectory), labDirectory)
        let working = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).filter { pid in
            Int(pid) != nil && ((try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/cwd"))?.hasPrefix(labDirectory) ?? false)
        }
        XCTAssertEqual(working, [], "processes still working in \(labDirectory)")
    }

    func testStepsAndLevelsItCannotMeasureAreRefused() throws {
        for (arguments, expected) in [(["--steps", "3"], "step 3"), (["--levels", "120"], "--levels"), (["--steps", "x"], "--steps"),
                                     (["--levels", ","], "--levels"), (["--steps", ","], "--steps")] {
            let r = try CLI.run(["lab", "steps", "--out", NSTemporaryDirectory() + "unused-\(UUID())"] + arguments)
            XCTAssertEqual(r.status, 2, "\(arguments): \(r.stdout) \(r.stderr)")
            XCTAssertTrue(r.stderr.contains(expected), "\(arguments): \(r.stderr)")
        }
    }
}
