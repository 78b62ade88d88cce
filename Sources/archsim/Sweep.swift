// SPDX-License-Identifier: GPL-3.0-or-later
import ArgumentParser
import ArchSimModel
import ArchSimReport
import ArchSimScenario
import Foundation

struct SweepCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sweep",
        abstract: "Run a scenario at every point of a grid of parameters; shard the work over machines.",
        discussion: """
        A sweep file names a base scenario and a grid (or list) of values by key path:

          scenario: base.yaml
          replications: 3
          grid:
            architecture.services.app.instances: [2, 4, 8]
            workload.arrivals.rate: [2000/s, 4000/s, 8000/s]

        Every point is checked before anything runs. Each point's CSV files go to DIR/points/ID/ \
        (ID as --list prints it); DIR/sweep.csv has one row per point and request type: the point, its \
        parameters, then the summary columns. A point already finished is not run again, so an \
        interrupted sweep resumes. --shard K/N runs only the points of shard K (point i belongs to \
        shard i mod N + 1); `archsim merge` joins the shards' directories into the same sweep.csv, \
        byte for byte, as one machine would write.
        """)

    @Argument(help: "The sweep YAML file.")
    var file: String
    @Option(name: .shortAndLong, help: ArgumentHelp("Output directory (default: out/NAME).", valueName: "dir"))
    var out: String?
    @Flag(help: "Print the points with their ids and parameters, run nothing.")
    var list = false
    @Option(help: ArgumentHelp("Run only shard K of N, e.g. 2/3.", valueName: "K/N"))
    var shard: String?
    @OptionGroup var options: SimulationOptions

    func validate() throws {
        if let shard, Self.parseShard(shard) == nil { throw ValidationError("--shard: expected K/N with 1 ≤ K ≤ N, got \(shard)") }
    }

    static func parseShard(_ text: String) -> (k: Int, n: Int)? {
        let parts = text.split(separator: "/").compactMap { Int($0) }
        guard parts.count == 2, parts[1] >= 1, (1...parts[1]).contains(parts[0]) else { return nil }
        return (parts[0], parts[1])
    }

    func run() throws {
        let definition: SweepDefinition
        do { definition = try SweepLoader.load(path: file) }
        catch let errors as ScenarioErrors { throw InputError(description: errors.description) }
        if list {
            for (i, point) in definition.points.enumerated() {
                print(([SweepDefinition.id(i)] + point.map(\.description)).joined(separator: "  "))
            }
            return
        }
        let dir = out ?? "out/" + ((file as NSString).lastPathComponent as NSString).deletingPathExtension
        var selected = Array(definition.points.indices)
        if let shard, let (k, n) = Self.parseShard(shard) { selected = selected.filter { $0 % n == k - 1 } }
        try SweepRunner(definition: definition, directory: dir, options: options).run(points: selected)
        if shard == nil {
            try SweepRunner.assemble(directories: [dir], into: dir)
            if !options.quiet { print("wrote \(dir)/sweep.csv (\(definition.points.count) points)") }
        } else if !options.quiet {
            print("shard \(shard!): \(selected.count) points in \(dir)/points/; join the shards with `archsim merge`")
        }
    }
}

struct Merge: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Join the output directories of a sharded sweep into one sweep.csv.",
        discussion: "Copies every point into the first directory (or --out) and writes sweep.csv there: the same bytes one machine would have written. Fails, naming them, if points are missing.")

    @Argument(help: "The shards' output directories.")
    var directories: [String]
    @Option(name: .shortAndLong, help: ArgumentHelp("Where to write the merged sweep (default: the first directory).", valueName: "dir"))
    var out: String?

    func validate() throws { if directories.isEmpty { throw ValidationError("give the shards' directories") } }

    func run() throws {
        let target = out ?? directories[0]
        try SweepRunner.assemble(directories: directories, into: target)
        print("wrote \(target)/sweep.csv")
    }
}

/// Runs a sweep's points and assembles sweep.csv from their folders.
struct SweepRunner {
    let definition: SweepDefinition
    let directory: String
    let options: SimulationOptions
    /// Extra scenarios compared at each point (compare --sweep); empty for run/sweep.
    var compareWith: [String] = []
    var workload: String? = nil

    static let planFile = "sweep-plan.csv"

    /// The plan: every point's id and parameters (all shards write the same).
    func plan() -> CSVTable {
        var t = CSVTable(header: ["point"] + definition.parameters)
        for (i, point) in definition.points.enumerated() { t.append([SweepDefinition.id(i)] + point.map(\.value)) }
        return t
    }

    func run(points: [Int]) throws {
        let fm = FileManager.default
        try fm.createDirectory(atPath: directory + "/points", withIntermediateDirectories: true)
        try AtomicFile.write(plan().text, to: directory + "/" + Self.planFile)
        let todo = points.filter { !fm.fileExists(atPath: pointDirectory($0) + "/done") }
        let line = ProgressLine(label: "sweep", enabled: !options.quiet && isatty(STDERR_FILENO) == 1)
        defer { line.finish() }
        let start = Date()
        for (n, i) in todo.enumerated() {
            let elapsed = Date().timeIntervalSince(start)
            let eta = n == 0 ? "" : String(format: ", ETA %.0fs", elapsed / Double(n) * Double(todo.count - n))
            line.message("point \(n + 1) of \(todo.count) to run (\(points.count - todo.count) already done\(eta)): "
                         + definition.points[i].map(\.description).joined(separator: " "))
            try runPoint(i)
        }
    }

    func pointDirectory(_ i: Int) -> String { directory + "/points/" + SweepDefinition.id(i) }

    func runPoint(_ i: Int) throws {
        let dir = pointDirectory(i)
        var quiet = options
        quiet.quiet = true
        func load(_ path: String, workload: String?) throws -> Scenario {
            var s = try ScenarioLoader.load(path: path, workload: workload, overrides: definition.points[i])
            if let r = definition.replications { s.replications = r }
            return try quiet.apply(to: s)
        }
        if compareWith.isEmpty {
            let result = try quiet.simulate(load(definition.scenarioPath, workload: workload))
            try ResultFiles.write(result, to: dir)
        } else {
            let scenarios = try Compare.aligned(([definition.scenarioPath] + compareWith).map { try load($0, workload: workload) }, quiet: true)
            let results = try scenarios.map { try quiet.simulate($0) }
            for r in results { try ResultFiles.write(r, to: dir + "/" + r.name) }
            try ComparisonFiles.write(Comparison(results), results: results, to: dir)
        }
        var params = CSVTable(header: definition.parameters)
        params.append(definition.points[i].map(\.value))
        try AtomicFile.write(params.text, to: dir + "/params.csv")
        try AtomicFile.write("", to: dir + "/done")
    }

    /// sweep.csv from the points' folders found in `directories`, in point order; each point's
    /// rows are its summary.csv (or comparison.csv) rows prefixed by the point and its parameters.
    static func assemble(directories: [String], into target: String) throws {
        let fm = FileManager.default
        guard let planText = directories.lazy.compactMap({ try? String(contentsOfFile: $0 + "/" + planFile, encoding: .utf8) }).first else {
            throw InputError(description: "\(directories.joined(separator: ", ")): no \(planFile) — not a sweep's output directory")
        }
        let planLines = planText.split(separator: "\n").map(String.init)
        let ids = planLines.dropFirst().map { String($0.prefix { $0 != "," }) }
        var missing: [String] = []
        var out = ""
        var header: String?
        try fm.createDirectory(atPath: target + "/points", withIntermediateDirectories: true)
        for (k, id) in ids.enumerated() {
            guard let source = directories.first(where: { fm.fileExists(atPath: $0 + "/points/" + id + "/done") }) else {
                missing.append(id); continue
            }
            let pointDir = source + "/points/" + id
            if (source as NSString).standardizingPath != (target as NSString).standardizingPath {
                let dest = target + "/points/" + id
                if !fm.fileExists(atPath: dest + "/done") {
                    try? fm.removeItem(atPath: dest)
                    try fm.copyItem(atPath: pointDir, toPath: dest)
                }
            }
            let resultFile = fm.fileExists(atPath: pointDir + "/comparison.csv") ? "comparison.csv" : "summary.csv"
            let lines = try String(contentsOfFile: pointDir + "/" + resultFile, encoding: .utf8).split(separator: "\n").map(String.init)
            let planRow = planLines[k + 1]
            if header == nil { header = planLines[0] + "," + lines[0] }
            for line in lines.dropFirst() { out += planRow + "," + line + "\n" }
        }
        if !missing.isEmpty {
            throw InputError(description: "points missing (run their shards first): \(missing.joined(separator: ", "))")
        }
        try AtomicFile.write(planText, to: target + "/" + planFile)
        try AtomicFile.write((header ?? "point") + "\n" + out, to: target + "/sweep.csv")
    }
}

/// `--sweep key=v1,v2,…` on run and compare: one parameter (or, repeated, a grid) varied over a scenario.
struct SweepOption: ParsableArguments {
    @Option(name: .customLong("sweep"), help: ArgumentHelp(
        "Vary a value by key path, e.g. architecture.services.app.instances=2,4,8; repeat for a grid. Writes DIR/sweep.csv.",
        valueName: "key=values"))
    var sweeps: [String] = []

    func axes() throws -> [(key: String, values: [String])] {
        try sweeps.map { text in
            do {
                let o = try ScenarioOverride(parsing: text)
                let values = ScenarioOverride.splitValues(o.value)
                guard !values.isEmpty else { throw InputError(description: "--sweep \(text): no values") }
                return (o.keyPath, values)
            } catch let p as ScenarioValues.Problem { throw InputError(description: "--sweep: \(p)") }
        }
    }

    /// Runs the sweep over `scenario` (compared with `others` when given) into `directory`.
    func run(scenario: String, others: [String] = [], workload: String? = nil, directory: String,
             options: SimulationOptions) throws {
        let definition: SweepDefinition
        do { definition = try SweepLoader.grid(scenarioPath: scenario, axes: axes(), workload: workload) }
        catch let errors as ScenarioErrors { throw InputError(description: errors.description) }
        var runner = SweepRunner(definition: definition, directory: directory, options: options)
        runner.compareWith = others
        runner.workload = workload
        try runner.run(points: Array(definition.points.indices))
        try SweepRunner.assemble(directories: [directory], into: directory)
        if !options.quiet { print("wrote \(directory)/sweep.csv (\(definition.points.count) points)") }
    }
}
