// SPDX-License-Identifier: GPL-3.0-or-later
import ArgumentParser
import ArchSimModel
import ArchSimReport
import ArchSimScenario
import Foundation

struct Capacity: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Find the highest arrival rate at which service-level objectives hold.",
        discussion: """
        Scales the workload's rate (or profile, or closed users) and searches — bracketing, then \
        bisection to --tolerance — for the highest factor at which every --slo holds. Noise is \
        accounted for: an objective holds when its 95% CI over replications lies below the bound, \
        fails when it lies above; in between the point is re-run with more replications. \
        Objectives: mean, p50, p90, p95, p99, p999, max with a latency unit (p99<200ms), or \
        errors as a share (errors<0.1%); per request type with brackets (p99[view_product]<100ms). \
        Writes DIR/capacity.csv.
        """)

    @Argument(help: "The scenario YAML file.")
    var file: String
    @Option(name: .customLong("slo"), help: ArgumentHelp("An objective, e.g. 'p99<200ms' or 'errors<0.1%'; repeatable.", valueName: "objective"))
    var slos: [String] = []
    @Option(help: "Relative precision of the search (at least 0.0001, below 1).")
    var tolerance: Double = 0.01
    @Option(name: .shortAndLong, help: ArgumentHelp("Directory for capacity.csv (default: out/NAME).", valueName: "dir"))
    var out: String?
    @OptionGroup var options: SimulationOptions

    func validate() throws {
        if slos.isEmpty { throw ValidationError("give at least one --slo, e.g. --slo 'p99<200ms'") }
        try Self.validate(tolerance: tolerance)
    }

    /// Below 1e-4 a bisection would need more steps than the precision of the runs can tell apart.
    static func validate(tolerance: Double) throws {
        if !(tolerance >= 1e-4 && tolerance < 1) {
            throw ValidationError("--tolerance must be at least 0.0001 and below 1, got \(tolerance)")
        }
    }

    func run() throws {
        let objectives = try Self.objectives(slos)
        let scenario = try options.apply(to: loadScenario(file))
        try Self.checkObjectives(objectives, runLength: scenario.duration)
        let dir = out ?? "out/\(scenario.name)"
        try OutputPath.directory(dir, option: "--out")
        let result = try Self.search(scenario, objectives, options: options, tolerance: tolerance)
        try OutputPath.writing(dir) {
            try ResultFiles.write(files: [("capacity.csv", Self.table([result], objectives: objectives).text)], to: dir)
        }
        if !options.quiet {
            let unit = result.closed ? "users" : "requests/s"
            print("\(scenario.name): capacity \(String(format: "%.1f", result.capacity)) \(unit) "
                  + "(×\(String(format: "%.4f", result.holds)) of the scenario's \(CSVNumber.format(result.baseRate, decimals: 3)); "
                  + "fails at \(String(format: "%.1f", result.baseRate * result.fails))) for \(slos.joined(separator: ", "))")
            print("wrote \(dir)/capacity.csv")
        }
    }

    static func objectives(_ texts: [String]) throws -> [ServiceLevelObjective] {
        let parsed: [ServiceLevelObjective]
        do { parsed = try texts.map { text throws(SimulationError) in try ServiceLevelObjective(parsing: text) } }
        catch { throw InputError(description: "--slo: \(error)") }
        // The search assumes an objective that holds at low load and fails at high load: a
        // latency or error bound from above. Other metrics are for `sensitivity --verdict`.
        if let o = parsed.first(where: { $0.above || $0.metric == nil }) {
            throw InputError(description: "--slo \(o.text): the capacity search takes latency or error objectives with '<' "
                             + "(p99<200ms, errors<1%); use `archsim sensitivity --verdict` for other metrics")
        }
        return parsed
    }

    /// Refuses an objective the search could never see fail: a latency bound that is not
    /// finite, or not below the measured time (`runLength`, ns) — no request counted in a run
    /// takes longer than the run. Such a search would scale the load up to the search's
    /// ceiling, and memory with it.
    static func checkObjectives(_ objectives: [ServiceLevelObjective], runLength: Int64) throws {
        let runMs = Double(runLength) / 1e6
        for o in objectives where o.isLatency {
            guard o.bound.isFinite, o.bound < runMs else {
                throw InputError(description: "--slo \(o.text): no request measured in a run of \(CSVNumber.format(runMs / 1000, decimals: 3))s "
                                 + "can take that long, so the objective always holds and the search would never end; "
                                 + "give a bound below the duration")
            }
        }
    }

    static func search(_ scenario: Scenario, _ objectives: [ServiceLevelObjective], options: SimulationOptions,
                       tolerance: Double) throws -> CapacitySearch.Result {
        try ObjectiveChecks.requestTypes(objectives, in: scenario, option: "--slo ")
        // The search starts at the scenario's own load (it doubles from there, up to the format's largest).
        try options.preflight(scenario)
        let line = ProgressLine(label: "\(scenario.name) capacity", enabled: !options.quiet && isatty(STDERR_FILENO) == 1)
        defer { line.finish() }
        var tried = 0
        // No further than the largest load a scenario may have.
        return try CapacitySearch.search(scenario, objectives: objectives, jobs: options.jobs, tolerance: tolerance,
                                         largestLoad: (Limits.maximumRate, Double(Limits.users))) { factor, ok in
            tried += 1
            line.message("tried ×\(String(format: "%.4f", factor)): \(ok ? "holds" : "fails") (\(tried) points)")
        }
    }

    static func table(_ results: [CapacitySearch.Result], objectives: [ServiceLevelObjective]) -> CSVTable {
        var t = CSVTable(header: ["scenario", "slo", "capacity_rps", "factor", "fails_at_rps", "base_rps", "evaluations", "unit"])
        for r in results {
            t.append([r.scenario, objectives.map(\.text).joined(separator: " & "), CSVNumber.format(r.capacity, decimals: 3),
                      CSVNumber.format(r.holds, decimals: 6), CSVNumber.format(r.baseRate * r.fails, decimals: 3),
                      CSVNumber.format(r.baseRate, decimals: 3), String(r.evaluations), r.closed ? "users" : "requests_per_s"])
        }
        return t
    }
}
