// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimModel
import Foundation

/// The CSV files of `archsim run` (scenario format v1, "Results"): columns in the spec's order,
/// rows in a stable order, times in ms.
public enum ResultFiles {
    public static let summaryHeader = ["scenario", "request_type", "replications", "offered", "completed", "errors",
                                       "timeouts", "rejected", "throughput_rps", "mean_ms", "mean_ci95_ms", "p50_ms",
                                       "p90_ms", "p95_ms", "p99_ms", "p999_ms", "max_ms", "failed", "stale_reads"]
    public static let componentsHeader = ["scenario", "component", "kind", "instances", "throughput_rps", "utilization",
                                          "mean_wait_ms", "p99_wait_ms", "mean_queue_len", "rejected", "hit_ratio",
                                          "stale_reads", "replication_lag_p99_ms", "replication_lag_p50_ms", "lost_writes", "mean_instances"]
    /// Appended to ``componentsHeader`` when the architecture uses version 1.1 storage keys.
    public static let storageColumns = ["lock_wait_ms", "p99_lock_wait_ms", "disk_wait_ms", "disk_utilization", "commit_ms",
                                        "flush_batch", "pool_wait_ms", "p99_pool_wait_ms", "cpu_utilization"]
    public static let replicationsHeader = ["scenario", "replication", "seed", "completed", "errors", "throughput_rps",
                                            "mean_ms", "p50_ms", "p99_ms", "offered", "in_flight_at_end", "events"]
    public static let timeseriesHeader = ["scenario", "replication", "t_s", "arrivals", "completed", "errors",
                                          "in_flight", "p50_ms", "p99_ms", "warmup", "timeouts", "rejected", "failed",
                                          "retries", "breakers_open"]

    static func n(_ x: Double, _ d: Int = 6) -> String { CSVNumber.format(x, decimals: d) }
    static func n(_ x: Double?, _ d: Int = 6) -> String { CSVNumber.format(x, decimals: d) }

    public static func summary(_ r: ScenarioResult) -> CSVTable {
        var t = CSVTable(header: summaryHeader)
        for row in r.summary {
            t.append([r.name, row.requestType, String(row.replications), n(row.offered, 3), n(row.completed, 3),
                      n(row.errors, 3), n(row.timeouts, 3), n(row.rejected, 3), n(row.throughput, 3),
                      n(row.meanMs), n(row.meanCI95Ms), n(row.p50Ms), n(row.p90Ms), n(row.p95Ms), n(row.p99Ms),
                      n(row.p999Ms), n(row.maxMs), n(row.failed, 3), n(row.staleReads, 3)])
        }
        return t
    }

    public static func components(_ r: ScenarioResult) -> CSVTable {
        let storage = r.scenario.architecture.usesStorageColumns
        var t = CSVTable(header: componentsHeader + (storage ? storageColumns : []))
        for c in r.components {
            var row = [r.name, c.component, c.kind, String(c.instances), n(c.throughput, 3), n(c.utilization),
                       n(c.meanWaitMs), n(c.p99WaitMs), n(c.meanQueueLength), n(c.rejected, 3), n(c.hitRatio),
                       n(c.staleReads, 3), n(c.replicationLagP99Ms), n(c.replicationLagP50Ms), n(c.lostWrites, 3), n(c.meanInstances, 3)]
            if storage {
                row += [n(c.lockWaitMs), n(c.p99LockWaitMs), n(c.diskWaitMs), n(c.diskUtilization), n(c.commitMs),
                        n(c.flushBatch, 3), n(c.poolWaitMs), n(c.p99PoolWaitMs), n(c.cpuUtilization)]
            }
            t.append(row)
        }
        return t
    }

    public static func replications(_ r: ScenarioResult) -> CSVTable {
        var t = CSVTable(header: replicationsHeader)
        for rep in r.replications {
            let all = rep.all
            t.append([r.name, String(rep.replication), String(rep.seed), String(all.completed), String(all.errors),
                      n(Double(all.completed) / rep.seconds, 3), n(all.latency.mean / 1e6),
                      n(all.latency.percentile(50) / 1e6), n(all.latency.percentile(99) / 1e6),
                      String(all.offered), String(all.inFlight), String(rep.events)])
        }
        return t
    }

    public static func timeseries(_ r: ScenarioResult) -> CSVTable {
        var t = CSVTable(header: timeseriesHeader)
        for rep in r.replications {
            for w in rep.timeseries {
                t.append([r.name, String(rep.replication), n(Double(w.start) / 1e9, 9), String(w.arrivals),
                          String(w.completed), String(w.errors), String(w.inFlight), n(w.p50 / 1e6), n(w.p99 / 1e6),
                          w.start < r.scenario.warmup ? "1" : "0", String(w.timeouts), String(w.rejected),
                          String(w.failed), String(w.retries), String(w.breakersOpen)])
            }
        }
        return t
    }

    /// Writes the four files into `directory` (created if needed), all or none: see
    /// ``write(files:to:)``.
    public static func write(_ r: ScenarioResult, to directory: String) throws {
        let files = [("summary.csv", summary(r)), ("components.csv", components(r)),
                     ("replications.csv", replications(r)), ("timeseries.csv", timeseries(r))].map { ($0, $1.text) }
        try write(files: files, to: directory)
    }

    /// Writes `files` (name, text) into `directory`, creating it (and missing parents) if
    /// needed, so that a failure writes nothing: every file goes to a temporary file beside
    /// its target first; only when all are written are they renamed into place (a rename
    /// within a directory does not fail for want of space). On failure the temporary files,
    /// and the directories this call created, are removed, and the error is thrown.
    public static func write(files: [(name: String, text: String)], to directory: String) throws {
        let fm = FileManager.default
        // The outermost directory this call creates, to remove again on failure.
        var created: String?
        var probe = directory
        while !probe.isEmpty, probe != "/", probe != ".", !fm.fileExists(atPath: probe) {
            created = probe
            probe = (probe as NSString).deletingLastPathComponent
        }
        var written: [(temporary: String, target: String)] = []
        do {
            try fm.createDirectory(atPath: directory, withIntermediateDirectories: true)
            for (name, text) in files {
                let target = (directory as NSString).appendingPathComponent(name)
                let temporary = (directory as NSString).appendingPathComponent(
                    ".\(name).tmp-\(ProcessInfo.processInfo.processIdentifier)")
                written.append((temporary, target))
                try Data(text.utf8).write(to: URL(fileURLWithPath: temporary))
            }
            for (temporary, target) in written where rename(temporary, target) != 0 {
                throw CocoaError(.fileWriteUnknown, userInfo: [
                    NSLocalizedDescriptionKey: "cannot write \(target): \(String(cString: strerror(errno)))",
                    NSFilePathErrorKey: target])
            }
        } catch {
            for (temporary, _) in written { try? fm.removeItem(atPath: temporary) }
            if let created { try? fm.removeItem(atPath: created) }
            throw error
        }
    }
}

/// `archsim compare`'s files.
public enum ComparisonFiles {
    public static let header = ["scenario", "request_type", "metric", "value", "ci95", "diff_vs_first", "diff_ci95"]

    public static func comparison(_ c: Comparison) -> CSVTable {
        var t = CSVTable(header: header)
        for row in c.rows {
            t.append([row.scenario, row.requestType, row.metric, CSVNumber.format(row.value), CSVNumber.format(row.ci95),
                      CSVNumber.format(row.diff), CSVNumber.format(row.diffCI95)])
        }
        return t
    }

    /// Metrics as rows, scenarios as columns; after the first, each cell shows the difference to
    /// the first with its paired 95% CI.
    public static func terminal(_ c: Comparison, metrics: [(type: String, metric: String)]) -> String {
        var t = TerminalTable(header: ["metric"] + c.scenarios)
        func f(_ x: Double) -> String {
            let a = abs(x)
            return String(format: a >= 100 ? "%.0f" : a >= 10 ? "%.1f" : a >= 0.1 ? "%.2f" : a == 0 ? "0" : "%.4f", x)
        }
        for (type, metric) in metrics {
            let cells = c.scenarios.enumerated().map { i, name -> String in
                guard let row = c.rows.first(where: { $0.scenario == name && $0.requestType == type && $0.metric == metric })
                else { return "-" }
                var cell = f(row.value)
                if i > 0, let d = row.diff { cell += " (" + (d >= 0 ? "+" : "") + f(d) + (row.diffCI95.map { " ±" + f($0) } ?? "") + ")" }
                return cell
            }
            guard cells.contains(where: { $0 != "-" }) else { continue }
            t.append([type == "all" ? metric : "\(type) \(metric)"] + cells)
        }
        return t.text
    }

    public static func write(_ c: Comparison, results: [ScenarioResult], to directory: String) throws {
        try ResultFiles.write(files: [("comparison.csv", comparison(c).text)], to: directory)
    }
}
