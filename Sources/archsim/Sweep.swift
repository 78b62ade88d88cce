// SPDX-License-Identifier: GPL-3.0-or-later
import ArgumentParser
import ArchSimModel
import ArchSimReport
import ArchSimScenario
import ArchSimSweep
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
        if let shard, Shard(parsing: shard) == nil { throw ValidationError("--shard: expected K/N with 1 ≤ K ≤ N, got \(shard)") }
    }

    func run() throws {
        let definition: SweepDefinition
        do { definition = try SweepLoader.load(path: file) }
        catch let errors as ScenarioErrors { throw InputError(description: errors.description) }
        let plan = SweepPlan(definition)
        if list {
            for line in plan.listing { print(line) }
            return
        }
        let dir = out ?? "out/" + ((file as NSString).lastPathComponent as NSString).deletingPathExtension
        let shard = self.shard.flatMap(Shard.init(parsing:))
        let points = plan.points(in: shard)
        try SweepPoints(plan: plan, options: options).run(points, into: dir, merge: shard == nil)
        if !options.quiet {
            if let shard { print("shard \(shard): \(points.count) points in \(dir)/points/; join the shards with `archsim merge`") }
            else { print("wrote \(dir)/sweep.csv (\(plan.indices.count) points)") }
        }
    }
}

struct Merge: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Join the output directories of a sharded sweep into one sweep.csv.",
        discussion: """
        Copies every point into the first directory (or --out) and writes sweep.csv there: the same bytes one \
        machine would have written. Refuses, writing nothing, directories of different sweeps (each shard's \
        sweep-fingerprint.txt), a damaged or missing file, a point finished in two directories, and missing points.
        """)

    @Argument(help: "The shards' output directories.")
    var directories: [String]
    @Option(name: .shortAndLong, help: ArgumentHelp("Where to write the merged sweep (default: the first directory).", valueName: "dir"))
    var out: String?

    func validate() throws { if directories.isEmpty { throw ValidationError("give the shards' directories") } }

    func run() throws {
        let target = out ?? directories[0]
        do { try SweepMerge.merge(directories, into: target) }
        catch { throw InputError(description: "\(error)") }
        print("wrote \(target)/sweep.csv")
    }
}

/// Runs a sweep's points with the command line's settings: each point's scenario (or, for
/// compare --sweep, scenarios) simulated and written as `run` (or `compare`) writes them.
struct SweepPoints {
    let plan: SweepPlan
    let options: SimulationOptions
    /// Extra scenarios compared at each point (compare --sweep); empty for run/sweep.
    var compareWith: [String] = []
    var workload: String? = nil

    /// Runs the unfinished ones of `points` into `directory`, then (`merge`) writes its sweep.csv.
    /// Sweep problems (another sweep's points there, a file that cannot be written) are InputErrors.
    func run(_ points: [Int], into directory: String, merge: Bool) throws {
        if options.replications != nil && plan.definition.parameters.contains(SweepDefinition.replicationParameter) {
            throw InputError(description: "--replications: this sweep varies replication, so each point runs one replication; "
                             + "give the replications as its values instead")
        }
        do {
            let fingerprint = try SweepFingerprint(plan: plan, compared: compareWith, workload: workload, settings: settings())
            let runner = SweepRunner(plan: plan, fingerprint: fingerprint, directory: directory)
            let line = ProgressLine(label: "sweep", enabled: !options.quiet && isatty(STDERR_FILENO) == 1)
            try runner.run(points: points, progress: line, runPoint: runPoint)
            if merge { try SweepMerge.merge([directory], into: directory) }
        } catch let e as SweepError { throw InputError(description: e.description) }
    }

    /// The settings that change results, for the fingerprint: shards run with other ones are
    /// another sweep.
    func settings() throws -> [String] {
        var s: [String] = []
        if let seed = options.seed { s.append("seed=\(seed)") }
        if let r = options.replications { s.append("replications=\(r)") }
        if let d = options.duration { s.append("duration=\(try options.parseDuration(d, option: "--duration", positive: true))ns") }
        if let w = options.warmup { s.append("warmup=\(try options.parseDuration(w, option: "--warmup", positive: false))ns") }
        return s
    }

    func runPoint(_ i: Int, into folder: String) throws {
        var quiet = options
        quiet.quiet = true
        // A point of a sweep over `replication` runs that one replication.
        let only = plan.definition.replication(ofPoint: i)
        func load(_ path: String) throws -> Scenario {
            var s = try ScenarioLoader.load(path: path, workload: workload, overrides: plan.definition.scenarioOverrides(ofPoint: i))
            if let r = plan.definition.replications { s.replications = r }
            if only != nil { s.replications = 1 }
            return try quiet.apply(to: s)
        }
        do {
            if compareWith.isEmpty {
                try ResultFiles.write(quiet.simulate(load(plan.definition.scenarioPath), only: only), to: folder)
            } else {
                let scenarios = try Compare.aligned(([plan.definition.scenarioPath] + compareWith).map(load), quiet: true)
                let results = try scenarios.map { try quiet.simulate($0, only: only) }
                for r in results { try ResultFiles.write(r, to: folder + "/" + r.name) }
                try ComparisonFiles.write(Comparison(results), results: results, to: folder)
            }
        } catch let e as InputError { throw e }
        catch let errors as ScenarioErrors { throw InputError(description: errors.description) }
        catch { throw InputError(description: "\(folder): cannot write point \(SweepPlan.id(i))'s results: \(error.localizedDescription)") }
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
        let plan = SweepPlan(definition)
        var points = SweepPoints(plan: plan, options: options)
        points.compareWith = others
        points.workload = workload
        try points.run(Array(plan.indices), into: directory, merge: true)
        if !options.quiet { print("wrote \(directory)/sweep.csv (\(plan.indices.count) points)") }
    }
}
