// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimModel
import ArchSimScenario
import Foundation

/// ArchSim's own engine on a check's measured inputs: the mechanism as a scenario (format 1.1),
/// written to a temporary directory with its empirical samples, loaded and run in-process like
/// `archsim run`. The check's `simulated` column is what the simulator predicts for the real
/// server — the same scenario keys a user writes (`buffer_pool:`, `lock: row`, `max_connections:`,
/// `replication_lag:`, `caches:`), so the lab checks the engine, not only the formulas.
enum LabSimulation {
    /// Runs `yaml` with `files` (name → contents, beside the scenario); returns each metric of
    /// comparison.csv by "request_type/metric" (`component/pg.primary:hit_ratio`, `read/stale_reads`).
    static func run(_ name: String, yaml: String, files: [String: String] = [:]) throws -> [String: Double] {
        let dir = NSTemporaryDirectory() + "archsim-lab-sim-\(getpid())-\(name)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for (file, text) in files { try text.write(toFile: dir + "/" + file, atomically: true, encoding: .utf8) }
        let path = dir + "/\(name).yaml"
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        let scenario: Scenario
        do { scenario = try ScenarioLoader.load(path: path) } catch {
            throw LabError("the lab's \(name) scenario does not load (a bug in archsim):\n\(error)\n\(yaml)")
        }
        let result = try Runner.run(scenario, jobs: ProcessInfo.processInfo.activeProcessorCount)
        var metrics: [String: Double] = [:]
        for row in Comparison([result]).rows { metrics["\(row.requestType)/\(row.metric)"] = row.value }
        return metrics
    }

    /// One column of milliseconds (an `empirical(...)` file).
    static func samples(_ seconds: [Double]) -> String {
        "ms\n" + seconds.map { String(format: "%.6f", $0 * 1000) }.joined(separator: "\n") + "\n"
    }

    /// The metric `key`, or a bug report naming what the run did produce.
    static func metric(_ metrics: [String: Double], _ key: String) throws -> Double {
        guard let v = metrics[key] else {
            throw LabError("the lab's simulation has no \(key) (has: \(metrics.keys.sorted().joined(separator: ", ")))")
        }
        return v
    }

    /// A scenario's head: open Poisson arrivals at `rate`, `keys`, `requests`, one async client
    /// service with `operations` (YAML lines at 8 spaces), and `rest` of the architecture.
    static func scenario(name: String, seed: UInt64, duration: String, warmup: String, rate: Double,
                         keys: String, requests: String, routes: String, operations: String, rest: String) -> String {
        """
        version: 1
        name: lab-\(name)
        seed: \(seed)
        duration: \(duration)
        warmup: \(warmup)
        replications: 4
        workload:
          arrivals: {kind: open, process: poisson, rate: \(String(format: "%.4f", rate))/s}
          keys:
        \(keys)
          requests:
        \(requests)
        architecture:
          routes: {\(routes)}
          services:
            client:
              workers: 1000000
              io: async
              operations:
        \(operations)
        \(rest)
        """
    }
}
