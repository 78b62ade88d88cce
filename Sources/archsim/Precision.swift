// SPDX-License-Identifier: GPL-3.0-or-later
import ArgumentParser
import ArchSimModel
import ArchSimReport
import ArchSimScenario
import Foundation

/// `--precision 2%`: replications until every chosen metric is that precise (`run`, `compare`).
struct PrecisionOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Add replications until each --precision-metric's 95% CI half-width is within this share of its mean, e.g. 2% (or 0.02).", valueName: "share"))
    var precision: String?
    @Option(name: .customLong("precision-metric"), help: ArgumentHelp("A metric that must be precise: mean (default; of all requests), p99, p99[view_product], errors, or a comparison.csv metric such as throughput_rps or db_reads_rps; repeatable.", valueName: "metric"))
    var metrics: [String] = []
    @Option(help: "With --precision: stop at this many replications even if not precise (default 100; never below the file's replications).")
    var maxReplications: Int?

    func validate() throws {
        if precision == nil && !metrics.isEmpty { throw ValidationError("--precision-metric goes with --precision, e.g. --precision 2%") }
        if let precision, Self.share(precision) == nil {
            throw ValidationError("--precision: expected a share like 2% or 0.02 (above 0, below 100%), got \(precision)")
        }
        if precision == nil && maxReplications != nil { throw ValidationError("--max-replications goes with --precision, e.g. --precision 2%") }
        if let maxReplications, maxReplications < 2 || maxReplications > Limits.replications {
            throw ValidationError("--max-replications must be from 2 to \(Limits.replications), got \(maxReplications)")
        }
    }

    /// `2%` → 0.02, `0.02` → 0.02; nil unless in (0, 1).
    static func share(_ text: String) -> Double? {
        let t = text.trimmingCharacters(in: .whitespaces)
        let v = t.hasSuffix("%") ? Double(t.dropLast()).map { $0 / 100 } : Double(t)
        guard let v, v > 0, v < 1 else { return nil }
        return v
    }

    /// The target, or nil without --precision. Metric names are checked against the scenarios.
    func target(for scenarios: [Scenario]) throws -> PrecisionTarget? {
        guard let precision, let relative = Self.share(precision) else { return nil }
        let metrics = try (self.metrics.isEmpty ? ["mean"] : self.metrics).map { text in
            do { return try ServiceLevelObjective(output: text) } catch { throw InputError(description: "--precision-metric \(error)") }
        }
        for s in scenarios { try ObjectiveChecks.requestTypes(metrics, in: s, option: "--precision-metric ") }
        return PrecisionTarget(metrics: metrics, relative: relative, maxReplications: maxReplications ?? 100)
    }

    /// Runs the scenarios: as they are, or until precise. Returns the results and, with
    /// --precision, the outcome (for precision.csv and the closing line).
    func simulate(_ scenarios: [Scenario], options: SimulationOptions) throws -> ([ScenarioResult], PrecisionTarget.Outcome?) {
        guard let target = try target(for: scenarios) else {
            return (try scenarios.map { try options.simulate($0) }, nil)
        }
        let line = ProgressLine(label: scenarios.map(\.name).joined(separator: ", "), enabled: !options.quiet && isatty(STDERR_FILENO) == 1)
        defer { line.finish() }
        let outcome: PrecisionTarget.Outcome
        do {
            outcome = try target.run(scenarios, jobs: options.jobs, round: { n in
                // Each round is checked against the budgets before it runs (the run so far is kept).
                for s in scenarios {
                    var round = s
                    round.replications = n
                    do { try options.preflight(round) } catch let e as InputError {
                        throw InputError(description: "--precision: a round of \(n) replications would be over budget "
                                         + "(lower --max-replications, or shorten the run): \(e.description)")
                    }
                }
                line.message("\(n) replications (until \(precision!) precise)")
            }, checkFirst: { results in
                // Every metric must exist in every scenario: a misspelt comparison.csv name would
                // never become precise, and would run to the cap before saying so.
                for r in results { try ObjectiveChecks.metricsKnown(target.metrics, in: r, option: "--precision-metric ") }
            }, progress: { line.update($0) })
        } catch let e as SimulationError {
            throw InputError(description: "\(scenarios.map { $0.sourcePath ?? $0.name }.joined(separator: ", ")): \(e)")
        }
        return (outcome.results, outcome)
    }

    /// precision.csv: one row per scenario and metric.
    static func table(_ outcome: PrecisionTarget.Outcome) -> CSVTable {
        let target = outcome.relative
        var t = CSVTable(header: ["scenario", "metric", "target", "mean", "ci95", "relative_ci95", "replications", "reached"])
        for w in outcome.widths {
            t.append([w.scenario, w.metric, CSVNumber.format(target), CSVNumber.format(w.mean), CSVNumber.format(w.halfWidth),
                      CSVNumber.format(w.relative.flatMap { $0.isFinite ? $0 : nil }), String(outcome.replications),
                      outcome.reached ? "precision" : "max_replications"])
        }
        return t
    }

    /// The closing line: which stop was reached, and the widest interval.
    static func summary(_ outcome: PrecisionTarget.Outcome) -> String {
        let target = outcome.relative
        let worst = outcome.widths.max { ($0.relative ?? .infinity) < ($1.relative ?? .infinity) }
        let widest = worst.map { w in
            "\(w.metric)\(outcome.results.count > 1 ? " of \(w.scenario)" : "") ±"
                + (w.relative.map { $0.isFinite ? CSVNumber.format($0 * 100, decimals: 2) + "%" : "∞ (mean 0)" } ?? "? (no data)")
        } ?? ""
        let t = CSVNumber.format(target * 100, decimals: 3) + "%"
        return outcome.reached
            ? "precision \(t) reached after \(outcome.replications) replications (widest: \(widest))"
            : "precision \(t) NOT reached: stopped at the cap of \(outcome.replications) replications (--max-replications) (widest: \(widest))"
    }
}

/// Warns on stderr when MSER-5 says the warm-up is too short (see `WarmupCheck`).
func warnIfWarmupShort(_ result: ScenarioResult, quiet: Bool) {
    guard !quiet, let check = WarmupCheck(result) else { return }
    let name = result.scenario.sourcePath ?? result.name
    let bias = CSVNumber.format(check.bias * 100, decimals: 1) + "%"
    let text: String
    if check.settled {
        text = "warning: \(name): the warm-up (\(formatDuration(check.warmup))) looks too short: \(check.series) settles after "
            + "~\(formatDuration(check.settlesAt)) (MSER-5 over the replications' mean timeseries), and the windows before "
            + "move its mean by \(bias); try --warmup \(formatDuration(niceDuration(check.settlesAt)))"
    } else {
        text = "warning: \(name): \(check.series) does not settle within the run (MSER-5 truncates at half of it, and its "
            + "measured windows' mean is \(bias) off the last half's): the system may be overloaded, or the run too short to tell its warm-up"
    }
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

/// A warm-up to suggest at or above `ns`: 1, 2, 5, 10, 20 or 30 s, else whole minutes.
func niceDuration(_ ns: Int64) -> Int64 {
    let s = Double(ns) / 1e9
    if s > 30 { return Int64((s / 60).rounded(.up)) * 60_000_000_000 }
    for v in [1.0, 2, 5, 10, 20, 30] where v >= s { return Int64(v * 1e9) }
    return 30_000_000_000
}
