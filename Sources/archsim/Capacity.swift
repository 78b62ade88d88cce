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
    @Option(help: "Relative precision of the search.")
    var tolerance: Double = 0.01
    @Option(name: .shortAndLong, help: ArgumentHelp("Directory for capacity.csv (default: out/NAME).", valueName: "dir"))
    var out: String?
    @OptionGroup var options: SimulationOptions

    func validate() throws {
        if slos.isEmpty { throw ValidationError("give at least one --slo, e.g. --slo 'p99<200ms'") }
        if !(tolerance > 0 && tolerance < 1) { throw ValidationError("--tolerance must be between 0 and 1, got \(tolerance)") }
    }

    func run() throws {
        let objectives = try Self.objectives(slos)
        let scenario = try options.apply(to: loadScenario(file))
        let result = try Self.search(scenario, objectives, options: options, tolerance: tolerance)
        let dir = out ?? "out/\(scenario.name)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try AtomicFile.write(Self.table([result], objectives: objectives).text, to: (dir as NSString).appendingPathComponent("capacity.csv"))
        if !options.quiet {
            let unit = result.closed ? "users" : "requests/s"
            print("\(scenario.name): capacity \(String(format: "%.1f", result.capacity)) \(unit) "
                  + "(×\(String(format: "%.4f", result.holds)) of the scenario's \(CSVNumber.format(result.baseRate, decimals: 3)); "
                  + "fails at \(String(format: "%.1f", result.baseRate * result.fails))) for \(slos.joined(separator: ", "))")
            print("wrote \(dir)/capacity.csv")
        }
    }

    static func objectives(_ texts: [String]) throws -> [ServiceLevelObjective] {
        do { return try texts.map { text throws(SimulationError) in try ServiceLevelObjective(parsing: text) } }
        catch { throw InputError(description: "--slo: \(error)") }
    }

    static func search(_ scenario: Scenario, _ objectives: [ServiceLevelObjective], options: SimulationOptions,
                       tolerance: Double) throws -> CapacitySearch.Result {
        for o in objectives {
            if let t = o.requestType, !scenario.workload.requestTypes.contains(where: { $0.name == t }) {
                throw InputError(description: "--slo \(o.text): \(scenario.name) has no request type '\(t)'")
            }
        }
        let line = ProgressLine(label: "\(scenario.name) capacity", enabled: !options.quiet && isatty(STDERR_FILENO) == 1)
        defer { line.finish() }
        var tried = 0
        return try CapacitySearch.search(scenario, objectives: objectives, jobs: options.jobs, tolerance: tolerance) { factor, ok in
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
