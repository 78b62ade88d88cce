// SPDX-License-Identifier: GPL-3.0-or-later
import Foundation
import XCTest

/// `archsim analyze`: its files, bad input, every bundled scenario (fast, and its saturation
/// rate never below the capacity the simulation found), and `compare --capacity`'s ratio.
final class AnalyzeTests: XCTestCase {
    /// Every bundled scenario (not the workload and architecture parts, not sweep files).
    static func bundledScenarios() -> [URL] {
        let root = CLI.repository.appendingPathComponent("scenarios")
        var files: [URL] = []
        let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil)!
        for case let url as URL in walker where url.pathExtension == "yaml" {
            let rel = url.path.replacingOccurrences(of: root.path + "/", with: "")
            if rel.hasPrefix("workloads/") || rel.hasPrefix("architectures/") || rel.hasSuffix(".sweep.yaml") { continue }
            files.append(url)
        }
        return files.sorted { $0.path < $1.path }
    }

    /// The capacities `scripts/results` found (results/capacity/*/capacity.csv), by scenario name,
    /// with the share of errors their objectives allow (`errors<1%`: 0.01; none: 0).
    static func simulatedCapacities() throws -> [String: (capacity: Double, errors: Double)] {
        let root = CLI.repository.appendingPathComponent("results/capacity")
        var found: [String: (Double, Double)] = [:]
        for dir in try FileManager.default.contentsOfDirectory(atPath: root.path).sorted() {
            let file = root.appendingPathComponent(dir).appendingPathComponent("capacity.csv")
            guard FileManager.default.fileExists(atPath: file.path) else { continue }
            for row in try CLI.readCSV(file) where row["unit"] == "requests_per_s" {
                var errors = 0.0
                for objective in row["slo"]!.components(separatedBy: " & ") where objective.hasPrefix("errors<") {
                    let bound = objective.dropFirst("errors<".count)
                    errors = bound.hasSuffix("%") ? Double(bound.dropLast())! / 100 : Double(bound)!
                }
                found[row["scenario"]!] = (Double(row["capacity_rps"]!)!, errors)
            }
        }
        return found
    }

    /// Every bundled scenario is analysed in under a second (the process included), and where
    /// the simulation's capacity is recorded, the saturation rate bounds it: X* bounds the
    /// throughput served, and at its capacity a scenario serves at least (1 − e) of the rate
    /// offered, e the share of errors its objectives allow (the monolith sheds ~0.9% at its
    /// bounded accept queue: offered 2,044/s, served ≤ X* = 2,027/s, as its run at 8,000/s
    /// completes 2,027/s).
    func testEveryBundledScenarioUnderASecondAndAtLeastItsCapacity() throws {
        let capacities = try Self.simulatedCapacities()
        XCTAssertGreaterThanOrEqual(capacities.count, 6)
        let dir = try CLI.temporaryDirectory()
        var compared = 0
        for file in Self.bundledScenarios() {
            let out = dir.appendingPathComponent(file.deletingPathExtension().lastPathComponent)
            let started = Date()
            let r = try CLI.run(["analyze", file.path, "--out", out.path])
            let seconds = Date().timeIntervalSince(started)
            XCTAssertEqual(r.status, 0, "\(file.lastPathComponent): \(r.stderr)")
            XCTAssertLessThan(seconds, 1, "\(file.lastPathComponent) took \(seconds) s")
            let bounds = try CLI.readCSV(out.appendingPathComponent("bounds.csv"))[0]
            let stations = try CLI.readCSV(out.appendingPathComponent("analysis.csv"))
            XCTAssertFalse(stations.isEmpty, file.lastPathComponent)
            XCTAssertEqual(stations.filter { $0["bottleneck"] == "1" }.count, 1, file.lastPathComponent)
            let saturation = Double(bounds["saturation_rps"]!)!
            guard let (capacity, errors) = capacities[bounds["scenario"]!] else { continue }
            compared += 1
            print("\(bounds["scenario"]!): simulated capacity \(capacity)/s, X* \(saturation)/s (\(bounds["bottleneck"]!)), "
                  + "ratio \(String(format: "%.4f", capacity / saturation)); analysed in \(String(format: "%.2f", seconds)) s")
            XCTAssertGreaterThanOrEqual(saturation, capacity * (1 - errors),
                                        "\(bounds["scenario"]!): X* below the throughput served at the simulated capacity")
        }
        XCTAssertEqual(compared, capacities.count, "every recorded capacity has its bundled scenario")
    }

    /// The replica sweep (`results/replicas/`, closed users that saturate the database): the
    /// throughput simulated with 0–6 replicas equals X* within 1% — the primary's connections,
    /// then each replica's, then the primary's writes; with 3 and 4 replicas the apply workers
    /// fall behind and leave the reads more connections (an estimate).
    func testReplicaSweepThroughputIsTheSaturationRate() throws {
        let base = try String(contentsOf: CLI.repository.appendingPathComponent("scenarios/claims/replica-reads.yaml"), encoding: .utf8)
        XCTAssert(base.contains("count: 3") && base.contains("reads_from: replicas"))
        let rows = try CLI.readCSV(CLI.repository.appendingPathComponent("results/replicas/sweep.csv")).filter { $0["request_type"] == "all" }
        XCTAssertEqual(rows.count, 7)
        let dir = try CLI.temporaryDirectory()
        for row in rows {
            let count = row["architecture.databases.main.replicas.count"]!, from = row["architecture.databases.main.reads_from"]!
            let file = dir.appendingPathComponent("replicas-\(count).yaml")
            try base.replacingOccurrences(of: "count: 3", with: "count: \(count)")
                .replacingOccurrences(of: "reads_from: replicas", with: "reads_from: \(from)")
                .write(to: file, atomically: true, encoding: .utf8)
            let out = dir.appendingPathComponent("out-\(count)")
            let r = try CLI.run(["analyze", file.path, "--out", out.path])
            XCTAssertEqual(r.status, 0, r.stderr)
            let bounds = try CLI.readCSV(out.appendingPathComponent("bounds.csv"))[0]
            let saturation = Double(bounds["saturation_rps"]!)!, simulated = Double(row["throughput_rps"]!)!
            print("\(count) replicas: simulated \(simulated)/s, X* \(saturation)/s (\(bounds["bottleneck"]!))")
            XCTAssertEqual(simulated / saturation, 1, accuracy: 0.01, "\(count) replicas")
        }
    }

    /// mm1.yaml: the station row and the bounds (X* 1,000/s, R = 10 ms exactly, product form).
    func testFilesOfTheMM1Example() throws {
        let dir = try CLI.temporaryDirectory()
        let r = try CLI.run(["analyze", CLI.repository.appendingPathComponent("scenarios/mm1.yaml").path, "--out", dir.path])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssert(r.stdout.contains("bottleneck: app (workers, 1 server): saturation rate X* = 1000.0 requests/s"), r.stdout)
        XCTAssert(r.stdout.contains("mean response estimate at 900.0 requests/s: 10.000 ms — exact (product form)"), r.stdout)
        let header = try String(contentsOf: dir.appendingPathComponent("analysis.csv"), encoding: .utf8).split(separator: "\n")[0]
        XCTAssertEqual(header, "scenario,component,kind,servers,visits,demand_ms,utilization,saturation_rps,bottleneck,holding,product_form,note")
        let station = try CLI.readCSV(dir.appendingPathComponent("analysis.csv"))
        XCTAssertEqual(station.count, 1)
        XCTAssertEqual(station[0]["component"], "app")
        XCTAssertEqual(station[0]["demand_ms"], "1")
        XCTAssertEqual(station[0]["utilization"], "0.9")
        XCTAssertEqual(station[0]["saturation_rps"], "1000")
        let bounds = try CLI.readCSV(dir.appendingPathComponent("bounds.csv"))[0]
        XCTAssertEqual(bounds["response_ms"], "10")
        XCTAssertEqual(bounds["estimate"], "exact")
        XCTAssertEqual(bounds["throughput_bound_rps"], "1000")
    }

    /// A scenario with problems: exit status 2 with the loader's messages, nothing written.
    func testBadInputExitsTwoAndWritesNothing() throws {
        let dir = try CLI.temporaryDirectory()
        let file = dir.appendingPathComponent("bad.yaml").path
        try """
        name: bad
        duration: 10s
        workload:
          arrivals: {kind: open, rate: 100/s}
          requests:
            req: {weight: 1}
        architecture:
          routes: {req: app.op}
          services:
            app:
              workers: -3
              operations:
                op: {cpu: exponential(mean=1ms)}
        """.write(toFile: file, atomically: true, encoding: .utf8)
        let out = dir.appendingPathComponent("out")
        let r = try CLI.run(["analyze", file, "--out", out.path])
        XCTAssertEqual(r.status, 2)
        XCTAssert(r.stderr.contains("bad.yaml:11:") && r.stderr.contains("workers"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.path))
        let missing = try CLI.run(["analyze", dir.appendingPathComponent("none.yaml").path])
        XCTAssertEqual(missing.status, 2)
    }

    /// compare --capacity prints each capacity beside the analytic X* with their ratio (at
    /// most 1), and writes them to capacity-analysis.csv.
    func testCompareCapacityShowsTheRatio() throws {
        let dir = try CLI.temporaryDirectory()
        let file = dir.appendingPathComponent("mm4.yaml").path
        try SensitivityTests.mmc(name: "mm4", rate: "1000/s", workers: 4, duration: "60s", warmup: "10s", replications: 3)
            .write(toFile: file, atomically: true, encoding: .utf8)
        let out = dir.appendingPathComponent("out")
        let r = try CLI.run(["compare", file, "--capacity", "--slo", "mean<3ms", "--out", out.path])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssert(r.stdout.contains("analytic X*"), r.stdout)
        let row = try CLI.readCSV(out.appendingPathComponent("capacity-analysis.csv"))[0]
        XCTAssertEqual(row["scenario"], "mm4")
        XCTAssertEqual(Double(row["saturation_rps"]!)!, 4000, accuracy: 1e-6)
        let ratio = Double(row["ratio"]!)!
        XCTAssertLessThanOrEqual(ratio, 1)
        XCTAssertGreaterThan(ratio, 0.8)
        XCTAssertEqual(Double(row["capacity_rps"]!)! / 4000, ratio, accuracy: 1e-4)
    }
}
