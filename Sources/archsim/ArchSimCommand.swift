// SPDX-License-Identifier: GPL-3.0-or-later
import ArgumentParser
import ArchSimModel
import ArchSimReport
import ArchSimScenario
import Foundation

struct ArchSimCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "archsim",
        abstract: "Simulate high-concurrency e-commerce backends: how many requests per second, what p99, what a cache or replicas buy.",
        discussion: """
        A scenario (YAML, format v1) is a workload run against an architecture. `archsim run` simulates \
        it — deterministically: the same file and seed give byte-identical CSV — and writes summary.csv, \
        components.csv, replications.csv and timeseries.csv. Bad input exits with status 2.
        """,
        version: "0.1.0",
        subcommands: [Run.self, Check.self, Compare.self, Capacity.self, Analyze.self, Sensitivity.self, Optimize.self, Estimate.self, SweepCommand.self, Merge.self,
                      BackendCommand.self, Calibrate.self, Validate.self, LabCommand.self, Bench.self, SchemaCommand.self])
}

/// A problem with what the user gave us (scenario file, option values): printed, exit status 2.
struct InputError: Error, CustomStringConvertible {
    var description: String
}

/// Loads a scenario, turning its problems into one InputError listing them all.
func loadScenario(_ path: String) throws -> Scenario {
    do { return try ScenarioLoader.load(path: path) }
    catch let errors as ScenarioErrors { throw InputError(description: errors.description) }
}

/// Options shared by the commands that simulate.
struct SimulationOptions: ParsableArguments {
    @Option(help: "Override the scenario's seed.")
    var seed: UInt64?
    @Option(help: "Override the number of replications.")
    var replications: Int?
    // `.unconditional`: `--duration -1s` reads -1s (and is refused for its sign) rather than
    // taking -1s for an option and saying the value is missing.
    @Option(parsing: .unconditional, help: ArgumentHelp("Override the measured simulated time, e.g. 10m.", valueName: "duration"))
    var duration: String?
    @Option(parsing: .unconditional, help: ArgumentHelp("Override the warm-up, e.g. 30s.", valueName: "duration"))
    var warmup: String?
    @Option(help: "Replications run at once (default: the number of cores). Results do not depend on it.")
    var jobs: Int = ProcessInfo.processInfo.activeProcessorCount
    @Flag(help: "Print nothing but errors; no progress.")
    var quiet = false
    @Option(help: ArgumentHelp("Refuse a run whose estimated peak memory is larger, e.g. 8G or 500M (default: 75% of this machine's memory).", valueName: "bytes"))
    var maxMemory: String?
    @Option(help: ArgumentHelp("Refuse a run estimated to take more events than this, e.g. 5e9 (default: 2e10, about an hour).", valueName: "count"))
    var maxEvents: Double = 2e10
    @Flag(help: "Run even when the pre-flight estimate is over --max-memory or --max-events.")
    var force = false

    /// More threads than this would not run faster on any machine, and cost memory.
    static let maximumJobs = 1024

    func validate() throws {
        if let replications, replications < 1 { throw ValidationError("--replications must be at least 1, got \(replications)") }
        if let replications, replications > Limits.replications {
            throw ValidationError("--replications must be at most \(Limits.replications) (each replication's results are kept until the end), got \(replications)")
        }
        if jobs < 1 { throw ValidationError("--jobs must be at least 1, got \(jobs)") }
        if jobs > Self.maximumJobs { throw ValidationError("--jobs must be at most \(Self.maximumJobs), got \(jobs)") }
        if !(maxEvents >= 1 && maxEvents.isFinite) { throw ValidationError("--max-events must be a positive number, got \(maxEvents)") }
        if let maxMemory, Self.bytes(maxMemory) == nil {
            throw ValidationError("--max-memory: expected a size like 8G, 500M or 2000000000, got \(maxMemory)")
        }
    }

    /// A size in bytes: a number with an optional K, M, G or T (powers of 1000).
    static func bytes(_ text: String) -> Double? {
        var t = text.trimmingCharacters(in: .whitespaces).uppercased()
        if t.hasSuffix("B") { t.removeLast() }
        var factor = 1.0
        if let unit = t.last, let f = ["K": 1e3, "M": 1e6, "G": 1e9, "T": 1e12][String(unit)] { factor = f; t.removeLast() }
        guard let v = Double(t), v > 0, v.isFinite else { return nil }
        return v * factor
    }

    /// The memory a run may take: --max-memory, or 75% of this machine's.
    var memoryBudget: Double {
        maxMemory.flatMap(Self.bytes) ?? 0.75 * Double(ProcessInfo.processInfo.physicalMemory)
    }

    /// Refuses a run whose pre-flight estimate is over the memory or event budget (unless --force).
    func preflight(_ scenario: Scenario) throws {
        guard !force else { return }
        let estimate = PreflightEstimate(scenario, jobs: jobs)
        let name = scenario.sourcePath ?? scenario.name
        if estimate.peakBytes > memoryBudget {
            let largest = estimate.parts.max { $0.bytes < $1.bytes }!
            throw InputError(description: "\(name): the run would need ~\(PreflightEstimate.format(bytes: estimate.peakBytes)) of memory "
                             + "(estimate), over \(maxMemory == nil ? "75% of this machine's memory" : "--max-memory"), "
                             + "\(PreflightEstimate.format(bytes: memoryBudget)). Its largest part is \(largest.name) "
                             + "(~\(PreflightEstimate.format(bytes: largest.bytes)) per replication, \(estimate.concurrent) at once): "
                             + "make it smaller, or lower --jobs or --replications, or pass --force to run anyway.")
        }
        if estimate.totalEvents > maxEvents {
            throw InputError(description: "\(name): the run would take ~\(PreflightEstimate.format(count: estimate.totalEvents)) events "
                             + "(estimate: ~\(PreflightEstimate.format(count: estimate.eventsPerSecond)) per simulated second), "
                             + "over --max-events \(PreflightEstimate.format(count: maxEvents)): shorten --duration, lower "
                             + "--replications, raise --max-events, or pass --force to run anyway.")
        }
    }

    /// The scenario with the overrides applied.
    func apply(to scenario: Scenario) throws -> Scenario {
        var s = scenario
        if let seed { s.seed = seed }
        if let replications { s.replications = replications }
        if let duration {
            let ns = try parseDuration(duration, option: "--duration", positive: true)
            s.duration = ns
        }
        if let warmup { s.warmup = try parseDuration(warmup, option: "--warmup", positive: false) }
        if duration != nil || warmup != nil,
           let problem = ScenarioValues.runLengthProblem(duration: s.duration, warmup: s.warmup, window: s.window) {
            let options = [duration.map { "--duration \($0)" }, warmup.map { "--warmup \($0)" }].compactMap { $0 }
            throw InputError(description: "\(options.joined(separator: " ")): \(problem.message)"
                             + (problem.onWindow ? " (in \(s.sourcePath ?? s.name))" : ""))
        }
        return s
    }

    /// A duration option in whole ns; `positive` refuses 0 (and what rounds to it).
    func parseDuration(_ text: String, option: String, positive: Bool) throws -> Int64 {
        let ns: Int64
        do { ns = try ScenarioValues.duration(text) }
        catch {
            let sign = text.trimmingCharacters(in: .whitespaces).hasPrefix("-")
            if sign { throw InputError(description: "\(option): expected a \(positive ? "positive" : "non-negative") duration like 10m, got \(text)") }
            throw InputError(description: "\(option): \(error)")
        }
        if positive && ns == 0 { throw InputError(description: "\(option): expected a positive duration like 10m, got \(text)") }
        return ns
    }

    /// Runs every replication (or only replication `only`, numbered as a full run numbers it),
    /// with a progress line on a terminal unless quiet.
    func simulate(_ scenario: Scenario, only: Int? = nil) throws -> ScenarioResult {
        try preflight(scenario)
        let line = ProgressLine(label: scenario.name, enabled: !quiet && isatty(STDERR_FILENO) == 1)
        defer { line.finish() }
        do {
            guard let only else { return try Runner.run(scenario, jobs: jobs, progress: { line.update($0) }) }
            return ScenarioResult(scenario: scenario, replications: try Runner.run(scenario, replications: only..<(only + 1),
                                                                                   jobs: jobs, progress: { line.update($0) }))
        }
        catch let e as SimulationError { throw InputError(description: "\(scenario.sourcePath ?? scenario.name): \(e)") }
    }
}

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a scenario and write its CSV results.",
        discussion: """
        Writes DIR/summary.csv (per request type and `all`), components.csv (per service, cache and database server), \
        replications.csv (the `all` row of each replication) and timeseries.csv (per replication and \
        window); with faults, faults.csv (recovery after each fault); with --precision, precision.csv; with \
        --breakdown, breakdown.csv (where the time goes, by cause). Each file is written whole or not at all. Prints a summary table unless --quiet.
        """)

    @Argument(help: "The scenario YAML file.")
    var file: String
    @Option(name: .shortAndLong, help: ArgumentHelp("Directory for the CSV files (default: out/NAME).", valueName: "dir"))
    var out: String?
    @OptionGroup var options: SimulationOptions
    @OptionGroup var precision: PrecisionOptions
    @Flag(help: "Also write breakdown.csv: where each request type's time goes, by cause, over all answered requests and over the tail.")
    var breakdown = false
    @OptionGroup var sweep: SweepOption

    func validate() throws {
        if precision.precision != nil && !sweep.sweeps.isEmpty { throw ValidationError("--precision and --sweep do not go together") }
        if breakdown && !sweep.sweeps.isEmpty { throw ValidationError("--breakdown and --sweep do not go together") }
    }

    func run() throws {
        if !sweep.sweeps.isEmpty {
            _ = try loadScenario(file)
            try OutputPath.directory(out ?? "out/sweep", option: "--out")
            return try sweep.run(scenario: file, directory: out ?? "out/sweep", options: options)
        }
        var scenario = try options.apply(to: loadScenario(file))
        scenario.recordsBreakdown = breakdown
        let dir = out ?? "out/\(scenario.name)"
        try OutputPath.directory(dir, option: "--out")
        let (results, outcome) = try precision.simulate([scenario], options: options)
        let result = results[0]
        try OutputPath.writing(dir) {
            try ResultFiles.write(result, to: dir, adding: outcome.map { [("precision.csv", PrecisionOptions.table($0).text)] } ?? [])
        }
        warnIfWarmupShort(result, quiet: options.quiet)
        if !options.quiet {
            print(TerminalTable.summary(result))
            if let outcome { print(PrecisionOptions.summary(outcome)) }
            let extra = (result.scenario.faults.isEmpty ? "" : ", faults.csv") + (outcome == nil ? "" : ", precision.csv")
                + (breakdown ? ", breakdown.csv" : "")
            print("wrote \(dir)/summary.csv, components.csv, replications.csv, timeseries.csv\(extra)")
        }
    }
}

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Validate scenario files without running them.",
        discussion: "Reports every problem of every file with file:line:column, key path and what was expected. Exit status 2 if any.")

    @Argument(help: "Scenario YAML files.")
    var files: [String]

    func validate() throws { if files.isEmpty { throw ValidationError("give at least one scenario file") } }

    func run() throws {
        var problems: [String] = []
        for file in files {
            do {
                if let ok = try checkSweepFile(file) { print(ok); continue }
                let s = try ScenarioLoader.load(path: file)
                print("\(file): ok — \(s.workload.requestTypes.count) request types, \(s.architecture.services.count) services, "
                      + "\(s.replications) × \(formatDuration(s.duration))")
                print(PreflightEstimate(s, jobs: ProcessInfo.processInfo.activeProcessorCount).description)
            } catch let errors as ScenarioErrors {
                problems.append(errors.description)
            }
        }
        if !problems.isEmpty { throw InputError(description: problems.joined(separator: "\n")) }
    }
}
