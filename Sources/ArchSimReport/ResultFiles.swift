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
    /// faults.csv (scenarios with faults only): per fault, a row per replication, then `all`.
    public static let faultsHeader = ["scenario", "replication", "fault", "target", "kind", "factor", "at_s", "end_s",
                                      "baseline_windows", "baseline_p99_ms", "baseline_p99_sd_ms", "baseline_error_rate",
                                      "baseline_error_rate_sd", "recovered", "recovery_s", "peak_p99_ms", "peak_error_rate",
                                      "amplification_before", "amplification_during", "amplification_after"]

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

    /// Recovery after each fault (see ``FaultRecovery``): for each fault in file order, a row per
    /// replication, then one with `replication` = `all` whose cells are means over the
    /// replications that have them, except `recovered` (how many recovered) and `recovery_s`
    /// (the mean over those that recovered; empty if none did).
    public static func faults(_ r: ScenarioResult) -> CSVTable {
        var t = CSVTable(header: faultsHeader)
        let arch = r.scenario.architecture
        for (i, (fault, recoveries)) in zip(r.scenario.faults, r.faultRecoveries()).enumerated() {
            let end = fault.duration.map { fault.at + $0 }
            let factor: Double? = if case .slow(let f) = fault.kind { f } else { nil }
            let kind = factor == nil ? "crash" : "slow"
            let described: [String] = [String(i), arch.name(of: fault.target), kind, n(factor),
                                       n(Double(fault.at) / 1e9, 9), n(end.map { Double($0) / 1e9 }, 9)]
            func ms(_ ns: Double?) -> Double? { ns.map { $0 / 1e6 } }
            func measured(windows: String, _ b: RecoveryBand?, recovered: String, recoverySeconds: Double?,
                          peakP99: Double?, peakErrorRate: Double?, before: Double?, during: Double?,
                          after: Double?) -> [String] {
                let band: [String] = [n(ms(b?.p99Mean)), n(ms(b?.p99SD)), n(b?.errorRateMean), n(b?.errorRateSD)]
                let outcome: [String] = [recovered, n(recoverySeconds, 9), n(ms(peakP99)), n(peakErrorRate)]
                let amplification: [String] = [n(before), n(during), n(after)]
                return [windows] + band + outcome + amplification
            }
            for (rep, x) in zip(r.replications, recoveries) {
                let recovered = x.recovered.map { $0 ? "1" : "0" } ?? ""
                let cells = measured(windows: String(x.baselineWindows), x.band, recovered: recovered,
                                     recoverySeconds: x.recovery.map { Double($0) / 1e9 }, peakP99: x.peakP99,
                                     peakErrorRate: x.peakErrorRate, before: x.amplificationBefore,
                                     during: x.amplificationDuring, after: x.amplificationAfter)
                t.append([r.name, String(rep.replication)] + described + cells)
            }
            let all = FaultRecoverySummary(recoveries)
            let cells = measured(windows: n(all.baselineWindows, 3), all.band, recovered: all.recovered.map(String.init) ?? "",
                                 recoverySeconds: all.recovery.map { $0 / 1e9 }, peakP99: all.peakP99,
                                 peakErrorRate: all.peakErrorRate, before: all.amplificationBefore,
                                 during: all.amplificationDuring, after: all.amplificationAfter)
            t.append([r.name, "all"] + described + cells)
        }
        return t
    }

    /// The files of a run: the four of every scenario, and faults.csv when it has faults (so a
    /// scenario without faults writes exactly what it wrote before faults.csv existed).
    public static func files(_ r: ScenarioResult) -> [(name: String, text: String)] {
        var files = [("summary.csv", summary(r)), ("components.csv", components(r)),
                     ("replications.csv", replications(r)), ("timeseries.csv", timeseries(r))]
        if !r.scenario.faults.isEmpty { files.append(("faults.csv", faults(r))) }
        if r.scenario.recordsBreakdown { files.append(("breakdown.csv", breakdown(r))) }
        return files.map { ($0, $1.text) }
    }

    /// breakdown.csv (`--breakdown`): per request type then `all`, split `mean` and `tail`.
    public static func breakdown(_ r: ScenarioResult) -> CSVTable {
        var t = CSVTable(header: ["scenario", "request_type", "split", "requests", "response_ms"] + Cause.allCases.map(\.column))
        for row in r.breakdown {
            t.append([r.name, row.requestType, row.split, n(row.requests, 3), n(row.responseMs)] + row.ms.map { n($0) })
        }
        return t
    }

    /// Files a run writes only sometimes (faults.csv with faults, precision.csv with
    /// --precision, breakdown.csv with --breakdown): one left by an earlier run in the same directory is removed when this run
    /// does not write it, so a directory never mixes two runs.
    public static let optionalFiles = ["faults.csv", "precision.csv", "breakdown.csv"]

    /// Writes the run's ``files(_:)`` and `extra` into `directory` (created if needed), all or
    /// none: see ``write(files:to:removing:)``.
    public static func write(_ r: ScenarioResult, to directory: String, adding extra: [(name: String, text: String)] = []) throws {
        let all = files(r) + extra
        try write(files: all, to: directory, removing: optionalFiles.filter { name in !all.contains { $0.name == name } })
    }

    /// Writes `files` (name, text) into `directory`, creating it (and missing parents) if
    /// needed, so that a failure writes nothing: every file goes to a temporary file beside
    /// its target first; only when all are written are they renamed into place (a rename
    /// within a directory does not fail for want of space). On failure the temporary files,
    /// and the directories this call created, are removed, and the error is thrown.
    /// `removing`: names of stale files to delete once every file is in place.
    public static func write(files: [(name: String, text: String)], to directory: String, removing stale: [String] = []) throws {
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
            for name in stale {
                let path = (directory as NSString).appendingPathComponent(name)
                if fm.fileExists(atPath: path) { try fm.removeItem(atPath: path) }
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

    public static func write(_ c: Comparison, results: [ScenarioResult], to directory: String,
                             adding extra: [(name: String, text: String)] = []) throws {
        try ResultFiles.write(files: [("comparison.csv", comparison(c).text)] + extra, to: directory,
                              removing: extra.contains { $0.name == "precision.csv" } ? [] : ["precision.csv"])
    }
}
