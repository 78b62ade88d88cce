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
        // The servers' own numbers over each level: PostgreSQL's buffer hits, its statements, what
        // its backends waited on.
        let servers = try CLI.readCSV(out.appendingPathComponent("real_vs_sim_servers.csv"))
        for level in ["30", "60"] {
            let rows = servers.filter { $0["level"] == level && $0["server"] == "primary" }
            let hits = try XCTUnwrap(Double(rows.first { $0["metric"] == "buffer_hit_ratio" }?["value"] ?? ""), "\(rows)")
            XCTAssertGreaterThan(hits, 0.5); XCTAssertLessThanOrEqual(hits, 1)
            XCTAssertNotNil(rows.first { $0["metric"] == "active_backends_mean" }, "\(rows)")
            let lockWaits = try XCTUnwrap(Double(rows.first { $0["metric"] == "lock_waits_mean" }?["value"] ?? ""), "\(rows)")
            let mostLockWaits = try XCTUnwrap(Double(rows.first { $0["metric"] == "lock_waits_max" }?["value"] ?? ""), "\(rows)")
            XCTAssertGreaterThanOrEqual(lockWaits, 0); XCTAssertGreaterThanOrEqual(mostLockWaits, lockWaits)
            let calls = rows.filter { $0["metric"] == "statement_calls" }.compactMap { Int($0["value"] ?? "") }
            XCTAssertFalse(calls.isEmpty, "\(rows)")
            // The shop's statements, not the sampler's own queries.
            XCTAssertFalse(rows.contains { $0["metric"] == "statement_calls" && ($0["detail"] ?? "").contains("pg_") }, "\(rows)")
            XCTAssertGreaterThan(calls.max() ?? 0, 50, "\(rows)")  // ~1.5 s × ≥ 20 req/s, most requests run a statement
            let shares = rows.filter { $0["metric"] == "wait_share" }.compactMap { Double($0["value"] ?? "") }
            if !shares.isEmpty { XCTAssertEqual(shares.reduce(0, +), 1, accuracy: 0.001, "\(rows)") }  // none when no sample caught a busy backend
        }
        // The step's model is a scenario a user runs as it is.
        let model = out.appendingPathComponent("steps/step-1/scenario.yaml")
        let sim = try CLI.run(["run", model.path, "--out", out.appendingPathComponent("run").path])
        XCTAssertEqual(sim.status, 0, sim.stdout + sim.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: out.appendingPathComponent("run/summary.csv").path))
        // What was measured is kept: simulating its models again (--remodel) writes the same tables.
        let again = out.appendingPathComponent("again")
        let remodel = try CLI.run(["lab", "steps", "--remodel", out.appendingPathComponent("real_vs_sim_measured.json").path, "--out", again.path])
        XCTAssertEqual(remodel.status, 0, remodel.stdout + remodel.stderr)
        for file in ["real_vs_sim.csv", "real_vs_sim_inputs.csv", "real_vs_sim_settings.csv", "steps/step-1/scenario.yaml"] {
            XCTAssertEqual(try Data(contentsOf: again.appendingPathComponent(file)), try Data(contentsOf: out.appendingPathComponent(file)), file)
        }
        let broken = try CLI.run(["lab", "steps", "--remodel", out.appendingPathComponent("real_vs_sim.csv").path, "--out", again.path])
        XCTAssertEqual(broken.status, 2, broken.stdout + broken.stderr)
        XCTAssertTrue(broken.stderr.contains("real_vs_sim_measured.json"), broken.stderr)
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
