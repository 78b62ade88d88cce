// SPDX-License-Identifier: GPL-3.0-or-later
import ArgumentParser
import ArchSimModel
import ArchSimReport
import ArchSimScenario
import Foundation

struct Compare: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run several architectures under one workload and compare them side by side.",
        discussion: """
        Every scenario runs with the first one's seed, replications, duration and warm-up (or the \
        options'), so replication i of each sees identical arrivals, request types and keys (common \
        random numbers) and differences are paired. With --workload, that workload replaces each \
        scenario's own. Prints metrics as rows and scenarios as columns, with each difference to the \
        first and its paired 95% CI; writes DIR/comparison.csv (scenario, request_type, metric, value, \
        ci95, diff_vs_first, diff_ci95) and each scenario's own CSV files in DIR/NAME/. With \
        --capacity, also DIR/capacity.csv and DIR/capacity-analysis.csv: beside each capacity, the \
        saturation rate `archsim analyze` finds without simulating, and their ratio. With \
        --precision, replications are added (the same count for every scenario, so they stay \
        paired) until each --precision-metric is that precise; DIR/precision.csv says which stop \
        was reached.
        """)

    @Argument(help: "Scenario YAML files; the first is the baseline.")
    var files: [String]
    @Option(help: ArgumentHelp("A workload YAML file run against every scenario's architecture.", valueName: "file"))
    var workload: String?
    @Option(name: .shortAndLong, help: ArgumentHelp("Directory for the CSV files (default: out/compare).", valueName: "dir"))
    var out: String = "out/compare"
    @Flag(help: "Also search each scenario's capacity under the --slo objectives (a capacity_rps row).")
    var capacity = false
    @Option(name: .customLong("slo"), help: ArgumentHelp("An objective for --capacity, e.g. 'p99<200ms'; repeatable.", valueName: "objective"))
    var slos: [String] = []
    @OptionGroup var options: SimulationOptions
    @OptionGroup var precision: PrecisionOptions
    @Flag(help: "Also write each scenario's breakdown.csv, and print where the difference in tail latency went, cause by cause.")
    var breakdown = false
    @OptionGroup var sweep: SweepOption

    func validate() throws {
        if precision.precision != nil && !sweep.sweeps.isEmpty { throw ValidationError("--precision and --sweep do not go together") }
        if breakdown && !sweep.sweeps.isEmpty { throw ValidationError("--breakdown and --sweep do not go together") }
        if capacity && !sweep.sweeps.isEmpty { throw ValidationError("--capacity and --sweep do not go together") }
        if files.count < 1 { throw ValidationError("give at least one scenario file") }
        if capacity && slos.isEmpty { throw ValidationError("--capacity needs at least one --slo, e.g. --slo 'p99<200ms'") }
        if !capacity && !slos.isEmpty { throw ValidationError("--slo goes with --capacity") }
    }

    func run() throws {
        var problems: [String] = []
        var scenarios: [Scenario] = []
        for file in files {
            do { scenarios.append(try ScenarioLoader.load(path: file, workload: workload)) }
            catch let errors as ScenarioErrors { problems.append(errors.description) }
        }
        if !problems.isEmpty { throw InputError(description: problems.joined(separator: "\n")) }
        try OutputPath.directory(out, option: "--out")
        if !sweep.sweeps.isEmpty {
            return try sweep.run(scenario: files[0], others: Array(files.dropFirst()), workload: workload, directory: out,
                                 options: options)
        }
        scenarios = try Self.aligned(scenarios.map(options.apply), quiet: options.quiet)
        for i in scenarios.indices { scenarios[i].recordsBreakdown = breakdown }
        let objectives = try Capacity.objectives(slos)
        if capacity { try Capacity.checkObjectives(objectives, runLength: scenarios[0].duration) }
        // With --precision, every scenario runs to the same count, so their replications stay paired.
        let (results, outcome) = try precision.simulate(scenarios, options: options)
        var comparison = Comparison(results)
        var analytic: CSVTable?
        if capacity {
            var found: [CapacitySearch.Result] = []
            for scenario in scenarios {
                // The search's runs need no breakdown.
                var plain = scenario
                plain.recordsBreakdown = false
                found.append(try Capacity.search(plain, objectives, options: options, tolerance: 0.01))
            }
            comparison.addCapacity(found.map(\.capacity), objective: objectives.map(\.text).joined(separator: " & "))
            // Beside each capacity, the saturation rate of `archsim analyze` and their ratio, in
            // a file of its own (capacity.csv and comparison.csv keep their bytes).
            let table = Analyze.capacityTable(found, scenarios.map(OperationalAnalysis.init))
            analytic = table
            try OutputPath.writing(out) {
                try ResultFiles.write(files: [("capacity.csv", Capacity.table(found, objectives: objectives).text),
                                              ("capacity-analysis.csv", table.text)], to: out)
            }
        }
        // Everything rendered before anything is written.
        try OutputPath.writing(out) {
            for result in results { try ResultFiles.write(result, to: (out as NSString).appendingPathComponent(result.name)) }
            try ComparisonFiles.write(comparison, results: results, to: out,
                                      adding: outcome.map { [("precision.csv", PrecisionOptions.table($0).text)] } ?? [])
        }
        for result in results { warnIfWarmupShort(result, quiet: options.quiet) }
        if !options.quiet {
            print(ComparisonFiles.terminal(comparison, metrics: Self.headline(results)))
            if let outcome { print(PrecisionOptions.summary(outcome)) }
            if breakdown { print(Self.whereTheTailWent(results)) }
            if let analytic { print(Analyze.capacityTerminal(analytic)) }
            print("wrote \(out)/comparison.csv and each scenario's CSV files in \(out)/NAME/")
        }
    }

    /// "Where the ms went": each scenario's tail mean (all requests) against the first's, the
    /// difference split by cause, largest first.
    static func whereTheTailWent(_ results: [ScenarioResult]) -> String {
        guard let base = results.first?.breakdown.first(where: { $0.requestType == "all" && $0.split == "tail" }) else { return "" }
        var lines: [String] = []
        func ms(_ v: Double) -> String { (v >= 0 ? "+" : "") + CSVNumber.format(v, decimals: 2) }
        for r in results.dropFirst() {
            guard let tail = r.breakdown.first(where: { $0.requestType == "all" && $0.split == "tail" }) else { continue }
            let diffs = Cause.allCases.map { ($0, tail.ms[$0.rawValue] - base.ms[$0.rawValue]) }
                .filter { abs($0.1) >= 0.005 }.sorted { abs($0.1) > abs($1.1) }
            lines.append("tail (slowest 1%) of \(r.name) vs \(results[0].name): \(CSVNumber.format(tail.responseMs, decimals: 2)) ms "
                         + "vs \(CSVNumber.format(base.responseMs, decimals: 2)) ms (\(ms(tail.responseMs - base.responseMs)) ms): "
                         + diffs.map { "\($0.0.column.dropLast(3)) \(ms($0.1))" }.joined(separator: ", "))
        }
        return lines.joined(separator: "\n")
    }

    /// Same seed, replications, duration and warm-up as the first; unique names.
    static func aligned(_ scenarios: [Scenario], quiet: Bool) throws -> [Scenario] {
        guard let first = scenarios.first else { return [] }
        var seen: [String: Int] = [:]
        return scenarios.enumerated().map { i, s in
            var s = s
            if i > 0 && (s.seed != first.seed || s.replications != first.replications || s.duration != first.duration
                         || s.warmup != first.warmup) && !quiet {
                FileHandle.standardError.write(Data("note: \(s.name) runs with \(first.name)'s seed, replications, duration and warm-up\n".utf8))
            }
            s.seed = first.seed; s.replications = first.replications; s.duration = first.duration; s.warmup = first.warmup
            let n = seen[s.name, default: 0]
            seen[s.name] = n + 1
            if n > 0 { s.name += "-\(n + 1)" }
            return s
        }
    }

    /// What the terminal table shows: the `all` row's headline metrics, then databases and caches.
    static func headline(_ results: [ScenarioResult]) -> [(type: String, metric: String)] {
        var m: [(String, String)] = ["offered", "completed", "errors", "error_rate", "throughput_rps", "mean_ms",
                                     "p50_ms", "p99_ms", "p999_ms"].map { ("all", $0) }
        m += [("all", "db_reads_rps"), ("all", "db_writes_rps"), ("all", "cache_hit_ratio"), ("all", "capacity_rps")]
        return m
    }
}
