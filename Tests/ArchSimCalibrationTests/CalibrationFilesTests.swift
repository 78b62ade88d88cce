// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimBackend
import ArchSimCalibration
import ArchSimKernel
import ArchSimModel
import ArchSimScenario
import Foundation
import XCTest

/// The calibrated scenario is built as a description and written by the scenario writer: what
/// the loader reads back is the description built, with the same model as before (the one in
/// results/validation/calibration), and each measured number says where it comes from. No
/// backend runs here: the stages are synthetic.
final class CalibrationFilesTests: XCTestCase {
    static let committed = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path + "/results/validation/calibration"

    /// Every stage calibration measures, each a lognormal sample of its own scale.
    func stages(_ workload: ShopWorkload) -> [String: Calibration.FittedStage] {
        var names = workload.requests.flatMap { ["\($0.name).compute", "\($0.name).hop"] }
        names += ["cache.get", "cache.set", "cache.delete", "db.read", "db.write", "db.replication_lag",
                  "db.read_cpu", "db.write_cpu", "db.write_wait"]
        let streams = RandomStreams(seed: 5)
        var out: [String: Calibration.FittedStage] = [:]
        for (i, name) in names.enumerated() {
            let stream = streams.stream(name)
            let d = Distribution.lognormal(median: Double(100_000 * (i + 1)), p99: Double(600_000 * (i + 1)))
            let ms = (0..<3_000).map { _ in Double(d.sample(stream)) / 1e6 }
            let fits = DistributionFit.fits(ms.map { $0 * 1e6 })
            out[name] = Calibration.FittedStage(name: name, samplesMs: ms, fits: fits, chosen: fits[0].distribution)
        }
        return out
    }

    func write(fitted: Bool, out: String) throws -> (built: Scenario, read: Scenario) {
        let data = try XCTUnwrap(FileManager.default.contents(atPath: Self.committed + "/calibration.json"))
        let summary = try JSONDecoder().decode(Calibration.Summary.self, from: data)
        let workload = ShopWorkload(catalogue: summary.catalogue)
        let options = Calibration.Options(backend: BackendConfiguration(directory: out + "/data"), workload: workload,
                                          lowLoad: 0.1, seed: summary.seed, cores: summary.cores, fitted: fitted)
        let built = try CalibrationFiles.write(summary: summary, stages: stages(workload), options: options,
                                               lowRate: summary.lowLoadRPS, out: out)
        var read = try ScenarioLoader.load(path: out + "/scenario.yaml")
        read.sourcePath = nil
        return (built, read)
    }

    func testWrittenScenarioReadsBackAsBuilt() throws {
        for fitted in [false, true] {
            let out = NSTemporaryDirectory() + "archsim-calibration-files-\(UUID().uuidString.prefix(8))"
            defer { try? FileManager.default.removeItem(atPath: out) }
            let (built, read) = try write(fitted: fitted, out: out)
            XCTAssertTrue(read == built, "fitted: \(fitted)")
            let summary = try Validation.summary(Self.committed)
            let architecture = try String(contentsOfFile: out + "/architecture.yaml", encoding: .utf8)
            let coresComment = summary.pinned == true ? "the backend's cores (the load generator had its own)" : "the cores this process may use"
            var lines = ["# Calibrated by `archsim calibrate` against the in-process backend (see calibration.json).\n",
                         "hosts:\n  backend:\n    cores: \(summary.cores)  # \(coresComment)\n",
                         "    workers: 100000  # one task per request; nothing bounds them\n",
                         "    host: backend\n",
                         "    io: async  # waiting on SQLite or the cache frees the task\n",
                         "      connections: 1  # SQLite: one writer\n",
                         "      host: backend\n",
                         "      apply_workers: 1  # one log applier per replica\n",
                         summary.applyCPUPerWriteUs == nil ? "; each replica's apply re-runs it on the host\n"
                             : "of CPU per write and replica (thread CPU clock), on the host\n"]
            if let loops = summary.httpLoops {
                lines.append("    instances: \(loops)  # the backend's HTTP event loops\n")
                lines.append("    workers: 1  # an event loop runs one thing at a time\n")
            }
            for line in lines {
                XCTAssertTrue(architecture.contains(line), "fitted: \(fitted): no '\(line)' in\n\(architecture)")
            }
            if fitted {
                XCTAssertTrue(architecture.contains("        cpu: lognormal(median="), architecture)
                XCTAssertTrue(architecture.contains("best AIC of"), architecture)
            } else {
                XCTAssertTrue(architecture.contains(
                    "        cpu: empirical(\"empirical/view_product.compute.cpu.csv\")  # 3000 of 3000 samples of view_product.compute × "
                    + String(format: "%.3f", summary.cpuShare) + " (the CPU share)\n"), architecture)
                XCTAssertTrue(architecture.contains("flush: empirical(\"empirical/db.write_wait.csv\")"), architecture)
                XCTAssertTrue(architecture.contains("        group: false\n"), architecture)
            }
            let workload = try String(contentsOfFile: out + "/workload.yaml", encoding: .utf8)
            let rate = String(format: "%g", (summary.lowLoadRPS * 1000).rounded() / 1000)
            XCTAssertTrue(workload.contains("  rate: \(rate)/s  # the low-load measurement"), workload)
        }
    }

    /// The model is the one calibration wrote before it had a writer: same request types, mix,
    /// keys, routes, service, steps, cache and database settings (the committed files).
    func testSameModelAsTheCommittedCalibration() throws {
        let out = NSTemporaryDirectory() + "archsim-calibration-files-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: out) }
        let new = try write(fitted: false, out: out).read
        let old = try ScenarioLoader.load(path: Self.committed + "/scenario.yaml")
        XCTAssertEqual(new.workload, old.workload)
        XCTAssertEqual([new.name, new.description], [old.name, old.description])
        XCTAssertEqual([new.duration, new.warmup, Int64(new.replications)], [old.duration, old.warmup, Int64(old.replications)])
        let (a, b) = (new.architecture, old.architecture)
        XCTAssertEqual(a.routes, b.routes)
        XCTAssertEqual(a.services.map(\.name), b.services.map(\.name))
        XCTAssertEqual(a.services[0].workers, b.services[0].workers)
        XCTAssertEqual(a.services[0].cores, b.services[0].cores)
        XCTAssertEqual(a.services[0].io, b.services[0].io)
        XCTAssertEqual(a.services[0].operations.map(\.name), b.services[0].operations.map(\.name))
        XCTAssertEqual(a.services[0].operations.map { kinds($0.steps) }, b.services[0].operations.map { kinds($0.steps) })
        XCTAssertEqual(a.caches.map { [$0.name, "\($0.capacity)", "\($0.eviction)"] }, b.caches.map { [$0.name, "\($0.capacity)", "\($0.eviction)"] })
        XCTAssertEqual(a.databases.map { [$0.primary.connections, $0.replicaCount, $0.replica.connections, $0.applyWorkers] },
                       b.databases.map { [$0.primary.connections, $0.replicaCount, $0.replica.connections, $0.applyWorkers] })
        XCTAssertEqual(a.databases.map { [$0.readsFrom.rawValue, "\($0.replica.write)"] },
                       b.databases.map { [$0.readsFrom.rawValue, "\($0.replica.write)"] })
    }

    /// `delay cpu delay cache_get(db_read cache_set)`: what a list of steps does, without its numbers.
    func kinds(_ steps: [Step]) -> String {
        steps.map { step in
            switch step {
            case .call: "call"
            case .parallel(let s): "parallel(\(kinds(s)))"
            case .delay: "delay"
            case .cpu: "cpu"
            case let .cacheGet(c, onMiss): "cache_get\(c)(\(kinds(onMiss)))"
            case .cacheSet(let c): "cache_set\(c)"
            case .cacheDelete(let c): "cache_delete\(c)"
            case let .dbRead(d, strong, _): "db_read\(d)\(strong ? "!" : "")"
            case .dbWrite(let d, _): "db_write\(d)"
            }
        }.joined(separator: " ")
    }
}
