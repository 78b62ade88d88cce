// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimBackend
import ArchSimCalibration
import ArchSimModel
import ArchSimScenario
import Foundation
import XCTest

/// A short calibrate + validate against the in-process backend (small catalogue, a couple of
/// seconds per phase), as CI runs it: the files it writes are accepted by the simulator as they
/// are, and validation.csv has the contract's columns. Accuracy is not asserted here (a loaded
/// 2-core machine is too noisy for that in seconds); the numbers are printed.
final class CalibrateValidateTests: XCTestCase {
    func testShortCalibrateThenValidate() async throws {
        let root = NSTemporaryDirectory() + "archsim-calibration-test-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: root) }
        let backend = BackendConfiguration(host: "127.0.0.1", port: 0, directory: root + "/data", replicas: 2,
                                           catalogue: .small, cacheCapacity: 200, synchronous: .normal)
        for fitted in [true, false] {
            let out = root + (fitted ? "/fitted" : "/empirical")
            let options = Calibration.Options(backend: backend, workload: ShopWorkload(catalogue: .small), duration: 2,
                                              capacityDuration: 1.5, capacityClients: 16, lowLoad: 0.1, seed: 3, cores: 2,
                                              fitted: fitted, capacityStep: 0.5)
            let summary = try await Calibration.run(options, out: out, log: { print($0) })
            XCTAssertGreaterThan(summary.capacityRPS, 50)
            // Capacity is the highest open-loop step that passed, and every step's figures are kept.
            XCTAssertEqual(summary.capacityMethod, "open loop")
            let steps = try XCTUnwrap(summary.capacitySteps)
            XCTAssertEqual(summary.capacityRPS, steps.filter(\.passed).map(\.offeredRPS).max())
            for step in steps where step.passed { XCTAssertGreaterThanOrEqual(step.throughputRPS, 0.97 * step.sentRPS) }
            XCTAssertGreaterThan(try XCTUnwrap(summary.cpuDemandUs), 0)
            // With two or more cores the generator gets one and the model the backend's.
            let isolation = Isolation.plan()
            XCTAssertEqual(summary.pinned, isolation != nil)
            XCTAssertEqual(summary.cores, isolation?.backendCores.count ?? 2)
            XCTAssertGreaterThan(summary.cpuShare, 0)
            XCTAssertLessThanOrEqual(summary.cpuShare, 1)
            for file in ["calibration.json", "fits.csv", "architecture.yaml", "workload.yaml", "scenario.yaml",
                         "empirical/view_product.compute.csv", "empirical/db.write.csv", "empirical/db.replication_lag.csv"] {
                XCTAssertTrue(FileManager.default.fileExists(atPath: out + "/" + file), file)
            }
            // The simulator accepts the scenario as it is, and runs it.
            var scenario = try ScenarioLoader.load(path: out + "/scenario.yaml")
            XCTAssertEqual(scenario.architecture.hosts.map(\.cores), [summary.cores])
            XCTAssertTrue(scenario.architecture.services.allSatisfy { $0.host == 0 && $0.cores == nil })
            // Fitted or not, every stage's mean in the model stays finite and near the sample's.
            for d in scenario.architecture.databases {
                XCTAssertTrue(d.primary.read.mean.isFinite && d.primary.write.mean.isFinite)
                XCTAssertTrue(d.primary.commit.map { $0.flush.mean.isFinite } ?? true)
            }
            scenario.duration = 2_000_000_000; scenario.warmup = 1_000_000_000; scenario.replications = 1
            let result = try Runner.run(scenario, jobs: 1)
            let all = try XCTUnwrap(result.summary.first { $0.requestType == "all" })
            XCTAssertGreaterThan(all.completed, 0)
            // Empirical CSVs alone are valid `empirical(...)` sources.
            let text = "version: 1\nname: e\nduration: 1s\nworkload: {arrivals: {kind: open, process: poisson, rate: 100/s}, requests: {r: {weight: 1}}}\n"
                + "architecture: {routes: {r: a.op}, services: {a: {operations: {op: {cpu: empirical(\"empirical/db.read.csv\")}}}}}\n"
            XCTAssertNoThrow(try ScenarioLoader.load(yaml: text, file: out + "/e.yaml", baseDirectory: out))
        }

        let summary = try Validation.summary(root + "/fitted")
        let options = Validation.Options(calibration: root + "/fitted",
                                         backend: Validation.backendConfiguration(summary, base: backend),
                                         levels: [10, 50], duration: 1.5, warmup: 0.5, simDuration: 5, replications: 1, jobs: 1, runs: 2)
        let rows = try await Validation.run(options, log: { print($0) })
        XCTAssertEqual(rows.map(\.levelPct), [10, 50])
        let csv = Validation.csv(rows)
        let lines = csv.split(separator: "\n")
        XCTAssertEqual(String(lines[0]), "level_pct,offered_rps,real_throughput_rps,sim_throughput_rps,real_p50_ms,sim_p50_ms,real_p90_ms,sim_p90_ms,real_p99_ms,sim_p99_ms,real_error_rate,sim_error_rate,p50_rel_err,p99_rel_err,"
                       + "runs,real_p50_min_ms,real_p50_max_ms,real_p99_min_ms,real_p99_max_ms,"
                       + "generator_cpu_cores,backend_cpu_cores,http_loop_cpu_cores,other_cpu_cores,load_avg_1m,backend_cores,pinned,quiet")
        XCTAssertEqual(lines.count, 3)
        for line in lines { XCTAssertEqual(line.split(separator: ",", omittingEmptySubsequences: false).count, 27) }
        for r in rows {
            XCTAssertEqual(r.runs, 2)
            XCTAssertLessThanOrEqual(r.realP50Min, r.realP50); XCTAssertGreaterThanOrEqual(r.realP50Max, r.realP50)
            XCTAssertLessThanOrEqual(r.realP99Min, r.realP99); XCTAssertGreaterThanOrEqual(r.realP99Max, r.realP99)
            let used = try XCTUnwrap(r.resources)
            XCTAssertEqual(used.pinned, Isolation.plan() != nil)
            XCTAssertGreaterThan(used.backendCores, 0); XCTAssertGreaterThan(used.generatorCores, 0)
            XCTAssertGreaterThan(r.realThroughput, 0.5 * r.offeredRPS)
            XCTAssertEqual(r.simThroughput, r.offeredRPS, accuracy: 0.25 * r.offeredRPS)
            XCTAssertGreaterThan(r.realP50, 0); XCTAssertGreaterThan(r.simP50, 0)
            XCTAssertLessThanOrEqual(r.realErrorRate, 0.05)
        }
        print(csv)
    }
}
