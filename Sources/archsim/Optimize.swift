// SPDX-License-Identifier: GPL-3.0-or-later
import ArgumentParser
import ArchSimModel
import ArchSimReport
import ArchSimStats
import ArchSimScenario
import Foundation

struct Optimize: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The cheapest configuration that meets every objective, over a grid of knobs; and the cost-vs-p99 Pareto front.",
        discussion: """
        Each --vary KEY.PATH=LOW..HIGH gives a knob (written as for `sensitivity`); a count that \
        spans at most 64 values takes every integer, other knobs --points evenly spaced values. \
        Every combination is a configuration; its cost per hour comes from the scenario's `cost:` \
        keys (hosts per machine and per core, service instances, cache nodes and database \
        servers not on a host). Configurations are judged from the cheapest up, all with the \
        scenario's seed (common random numbers), each as `capacity` judges a rate: an objective \
        holds when its 95% CI over replications lies on the holding side of the bound; when the \
        CI straddles it, replications are doubled (up to 4×), then the mean decides. The \
        cheapest configuration that holds is the answer. Writes DIR/optimize.csv: a row per \
        configuration in cost order, with its verdict, p99, error rate, each objective's value, \
        and whether it is on the cost-vs-p99 Pareto front (no other configuration is both \
        cheaper or as cheap and faster).
        """)

    @Argument(help: "The scenario YAML file (with cost: keys).")
    var file: String
    @Option(name: .customLong("slo"), help: ArgumentHelp("An objective, e.g. 'p99<200ms', 'errors<0.1%' or 'db_reads_rps<5000'; repeatable (all must hold).", valueName: "objective"))
    var slos: [String] = []
    @Option(name: .customLong("vary"), help: ArgumentHelp("A knob and its range, KEY.PATH=LOW..HIGH; repeatable (the grid is every combination).", valueName: "knob"))
    var knobs: [String] = []
    @Option(help: "Values per knob that is not a count of at most 64 values (both ends included, at least 2).")
    var points: Int = 5
    @Option(help: "Refuse a grid of more configurations than this.")
    var maxConfigurations: Int = 256
    @Flag(help: "Stop at the cheapest configuration that holds (the front then covers only those judged).")
    var stopAtCheapest = false
    @Option(name: .shortAndLong, help: ArgumentHelp("Directory for optimize.csv (default: out/NAME-optimize).", valueName: "dir"))
    var out: String?
    @OptionGroup var options: SimulationOptions

    func validate() throws {
        if slos.isEmpty { throw ValidationError("give at least one --slo, e.g. --slo 'p99<200ms'") }
        if knobs.isEmpty { throw ValidationError("give at least one --vary, e.g. --vary architecture.services.app.instances=2..16") }
        if points < 2 || points > 101 { throw ValidationError("--points must be from 2 to 101, got \(points)") }
        if maxConfigurations < 1 { throw ValidationError("--max-configurations must be at least 1, got \(maxConfigurations)") }
    }

    /// One point of the grid: a position per knob, its scenario and cost.
    struct Configuration {
        var positions: [Double]
        var scenario: Scenario
        var cost: Double
        var judged: Judged?
    }

    struct Judged {
        var holds: Bool
        var replications: Int
        var p99: ConfidenceInterval?
        var errorRate: Double?
        var objectives: [Double?]
    }

    func run() throws {
        let knobs = try ObjectiveChecks.knobs(self.knobs)
        let objectives = try slos.map { text in
            do { return try ServiceLevelObjective(parsing: text) } catch { throw InputError(description: "--slo \(error)") }
        }
        let base = try options.apply(to: loadScenario(file))
        try Capacity.checkObjectives(objectives, runLength: base.duration)
        try ObjectiveChecks.requestTypes(objectives, in: base, option: "--slo ")
        let grids = knobs.map { $0.grid(points: points) }
        let total = grids.reduce(1.0) { $0 * Double($1.count) }
        if total > Double(maxConfigurations) {
            throw InputError(description: "the grid has \(CSVNumber.format(total, decimals: 0)) configurations ("
                             + zip(knobs, grids).map { "\($0.path): \($1.count)" }.joined(separator: " × ")
                             + "), more than --max-configurations \(maxConfigurations): narrow a range, lower --points, or raise --max-configurations")
        }
        // Every configuration is read (and checked) before anything runs.
        var configurations: [Configuration] = []
        for positions in Self.product(grids) {
            let overrides = zip(knobs, positions).map { $0.override(at: $1) }
            let scenario: Scenario
            do { scenario = try options.apply(to: ScenarioLoader.load(path: file, overrides: overrides)) }
            catch let errors as ScenarioErrors {
                let at = zip(knobs, positions).map { "\($0.path)=\($0.text(at: $1))" }.joined(separator: ", ")
                throw InputError(description: "--vary at \(at):\n\(errors.description)")
            }
            try options.preflight(scenario)
            if let s = scenario.architecture.services.first(where: { $0.autoscale != nil }) {
                throw InputError(description: "\(base.sourcePath ?? base.name): service \(s.name) autoscales, so its cost is known only "
                                 + "after a run and configurations cannot be priced before judging; give it fixed instances "
                                 + "and vary them (--vary architecture.services.\(s.name).instances=LOW..HIGH)")
            }
            // Rounded as optimize.csv writes it, so equal prices tie (and keep grid order)
            // whatever their floating-point sums.
            let cost = (scenario.architecture.costPerHour * 1e6).rounded() / 1e6
            configurations.append(Configuration(positions: positions, scenario: scenario, cost: cost))
        }
        guard configurations.contains(where: { $0.scenario.architecture.hasCost }) else {
            throw InputError(description: "\(base.sourcePath ?? base.name): nothing has a cost; give `cost:` (per hour) to hosts, "
                             + "service instances, cache nodes or database servers, e.g. hosts: {app_box: {cores: 8, cost: 0.384}}")
        }
        let dir = out ?? "out/\(base.name)-optimize"
        try OutputPath.directory(dir, option: "--out")

        // Cheapest first; equal costs in grid order.
        let order = configurations.indices.sorted { (configurations[$0].cost, $0) < (configurations[$1].cost, $1) }
        let line = ProgressLine(label: "\(base.name) optimize", enabled: !options.quiet && isatty(STDERR_FILENO) == 1)
        var cheapest: Int?
        do {
            defer { line.finish() }
            for (k, i) in order.enumerated() {
                line.message("configuration \(k + 1)/\(order.count): \(describe(knobs, configurations[i])) (cost \(CSVNumber.format(configurations[i].cost, decimals: 4))/h)")
                let (holds, result) = try options.judge(objectives, configurations[i].scenario)
                // A misspelt comparison.csv metric would fail every configuration: refuse it.
                if k == 0 { try ObjectiveChecks.metricsKnown(objectives, in: result, option: "--slo ") }
                configurations[i].judged = Self.summarize(result, holds: holds, objectives: objectives)
                if holds && cheapest == nil { cheapest = i }
                if holds && stopAtCheapest { break }
            }
        }
        let front = Self.paretoFront(configurations, order: order)
        let table = Self.table(configurations, order: order, knobs: knobs, objectives: objectives, front: front, cheapest: cheapest)
        try OutputPath.writing(dir) { try ResultFiles.write(files: [("optimize.csv", table.text)], to: dir) }
        if !options.quiet {
            let verdict = objectives.map(\.text).joined(separator: " & ")
            let judged = order.filter { configurations[$0].judged != nil }
            let holding = judged.filter { configurations[$0].judged!.holds }.count
            print("\(judged.count) of \(order.count) configurations judged against \(verdict); \(holding) hold")
            for i in judged {
                let c = configurations[i], j = c.judged!
                print("  \(describe(knobs, c))  cost \(CSVNumber.format(c.cost, decimals: 4))/h  "
                      + "p99 \(CSVNumber.format(j.p99?.mean, decimals: 2)) ms  \(j.holds ? "holds" : "fails")"
                      + (front.contains(i) ? "  (Pareto front)" : ""))
            }
            if let cheapest {
                print("cheapest that holds: \(describe(knobs, configurations[cheapest])) at \(CSVNumber.format(configurations[cheapest].cost, decimals: 4))/h")
            } else {
                print("no configuration holds: widen a range")
            }
            print("wrote \(dir)/optimize.csv")
        }
    }

    func describe(_ knobs: [ScenarioKnob], _ c: Configuration) -> String {
        zip(knobs, c.positions).map { "\($0.path.split(separator: ".").suffix(2).joined(separator: "."))=\($0.text(at: $1))" }
            .joined(separator: ", ")
    }

    /// Every combination of the grids' positions, the first knob varying slowest.
    static func product(_ grids: [[Double]]) -> [[Double]] {
        grids.reduce([[]]) { partial, grid in partial.flatMap { p in grid.map { p + [$0] } } }
    }

    static func summarize(_ result: ScenarioResult, holds: Bool, objectives: [ServiceLevelObjective]) -> Judged {
        func ci(_ o: ServiceLevelObjective) -> ConfidenceInterval? { o.interval(in: result) }
        let p99 = try! ServiceLevelObjective(output: "p99"), errors = try! ServiceLevelObjective(output: "errors")
        return Judged(holds: holds, replications: result.replications.count, p99: ci(p99), errorRate: ci(errors)?.mean,
                      objectives: objectives.map { ci($0)?.mean })
    }

    /// The judged configurations no other beats on both cost and p99 (mean over replications):
    /// walking from the cheapest, each one faster than every cheaper or equally cheap one.
    static func paretoFront(_ configurations: [Configuration], order: [Int]) -> Set<Int> {
        let judged = order.filter { configurations[$0].judged?.p99 != nil }
            .sorted { (configurations[$0].cost, configurations[$0].judged!.p99!.mean, $0)
                    < (configurations[$1].cost, configurations[$1].judged!.p99!.mean, $1) }
        var front: Set<Int> = [], best = Double.infinity
        for i in judged where configurations[i].judged!.p99!.mean < best {
            front.insert(i)
            best = configurations[i].judged!.p99!.mean
        }
        return front
    }

    static func table(_ configurations: [Configuration], order: [Int], knobs: [ScenarioKnob],
                      objectives: [ServiceLevelObjective], front: Set<Int>, cheapest: Int?) -> CSVTable {
        var t = CSVTable(header: ["rank"] + knobs.map(\.path)
                         + ["cost_per_h", "replications", "verdict", "p99_ms", "p99_ci95_ms", "error_rate"]
                         + objectives.map(\.text) + ["pareto", "cheapest"])
        for (rank, i) in order.enumerated() {
            let c = configurations[i]
            var cells = [String(rank + 1)] + zip(knobs, c.positions).map { $0.text(at: $1) } + [CSVNumber.format(c.cost)]
            if let j = c.judged {
                cells += [String(j.replications), j.holds ? "holds" : "fails", CSVNumber.format(j.p99?.mean),
                          CSVNumber.format(j.p99?.halfWidth), CSVNumber.format(j.errorRate)]
                cells += j.objectives.map { CSVNumber.format($0) }
            } else {
                cells += ["", "not_judged", "", "", ""] + objectives.map { _ in "" }
            }
            cells += [front.contains(i) ? "1" : "0", cheapest == i ? "1" : "0"]
            t.append(cells)
        }
        return t
    }
}
