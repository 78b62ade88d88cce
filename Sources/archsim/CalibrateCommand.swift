// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimBackend
import ArchSimCalibration
import ArchSimReport
import ArchSimScenario
import ArgumentParser
import Foundation

/// Parses `--duration`-style values (`60s`, `1.5m`) into seconds; bad text exits with status 2.
func seconds(_ text: String, option: String) throws -> Double {
    do {
        let ns = try ScenarioValues.duration(text)
        guard ns > 0 else { throw InputError(description: "\(option): expected a positive duration, got \(text)") }
        return Double(ns) / 1e9
    } catch let e as InputError { throw e } catch { throw InputError(description: "\(option): \(error)") }
}

/// `archsim calibrate`: measure the in-process backend and write a calibrated scenario.
struct Calibrate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure the in-process backend and write a calibrated architecture the simulator runs.",
        discussion: """
        Starts the backend (creating its catalogue in --dir on first use). With two or more cores the load \
        generator runs on one core of its own and the backend on the others (--no-pin: shared). Capacity: a \
        closed-loop estimate, then open-loop steps from half of it upward by 15% (each --capacity-step long) \
        until the backend no longer follows the offer (answers under 97% of the requests sent, 1% errors, or \
        p99 over --capacity-p99, twice in a row), refined by two bisections; capacity is the highest step followed. The backend's CPU \
        at those steps, regressed on throughput, gives the CPU demand per request (utilisation law). Then it \
        drives the backend open loop (Poisson, requests timed from their intended start) at \
        --low-load percent of capacity to measure each stage: handler compute, cache get/set, database \
        read/write, the HTTP hop, the replication lag. Each stage is fitted by maximum likelihood to \
        exponential, normal, lognormal, gamma, Weibull and Pareto and the lowest AIC is chosen \
        (fits.csv); the model uses the samples themselves unless --distributions fitted. Writes \
        OUT/calibration.json (with every capacity step), fits.csv, empirical/*.csv (one column of ms), \
        architecture.yaml, workload.yaml and scenario.yaml (`archsim run OUT/scenario.yaml` runs it). The \
        model's `cores:` are the backend's cores; the CPU share of the compute and hop times is set so the \
        model's CPU demand per request equals the measured one.
        """)

    @Option(help: ArgumentHelp("Low-load measurement time, e.g. 60s.", valueName: "duration"))
    var duration: String = "60s"
    @Option(help: ArgumentHelp("Capacity measurement time, e.g. 10s.", valueName: "duration"))
    var capacityDuration: String = "10s"
    @Option(help: "Clients of the closed-loop capacity measurement.")
    var clients: Int = 32
    @Option(help: "Offered load of the stage measurement, percent of capacity.")
    var lowLoad: Double = 10
    @Option(name: .shortAndLong, help: ArgumentHelp("Output directory.", valueName: "dir"))
    var out: String = "calibration"
    @Option(help: "Seed of the load generator and of the scenario.")
    var seed: UInt64 = 1
    @Option(help: "Cores of the model's app service when the generator is not pinned apart (default: the cores this process may use).")
    var cores: Int = ProcessInfo.processInfo.activeProcessorCount
    @Option(help: "Distributions written into the model: empirical (the samples; default) or fitted (best AIC).")
    var distributions: String = "empirical"
    @Option(help: ArgumentHelp("Measured time of each open-loop capacity step, e.g. 4s.", valueName: "duration"))
    var capacityStep: String = "4s"
    @Option(help: ArgumentHelp("p99 (ms) above which an open-loop step is past capacity.", valueName: "ms"))
    var capacityP99: Double = 50
    @Flag(name: .customLong("no-pin"), help: "Do not put the load generator and the backend on separate cores.")
    var noPin = false
    @OptionGroup var backend: BackendOptions

    func validate() throws {
        if clients < 1 || clients > 1024 { throw ValidationError("--clients must be in 1...1024") }
        if !(lowLoad > 0 && lowLoad <= 100) { throw ValidationError("--low-load must be in (0, 100]") }
        if cores < 1 { throw ValidationError("--cores must be at least 1") }
        if !["fitted", "empirical"].contains(distributions) { throw ValidationError("--distributions: fitted or empirical, got \(distributions)") }
        if !(capacityP99 > 0) { throw ValidationError("--capacity-p99 must be a positive number of ms") }
    }

    func run() throws {
        try backend.preflight()
        try OutputPath.directory(out, option: "--out")
        var config = backend.configuration(port: 0)
        config.port = 0
        let options = Calibration.Options(
            backend: config, workload: ShopWorkload(catalogue: config.catalogue),
            duration: try seconds(duration, option: "--duration"),
            capacityDuration: try seconds(capacityDuration, option: "--capacity-duration"),
            capacityClients: clients, lowLoad: lowLoad / 100, seed: seed, cores: cores, fitted: distributions == "fitted",
            pin: !noPin, capacityStep: try seconds(capacityStep, option: "--capacity-step"), capacityP99Ms: capacityP99)
        let out = self.out
        let summary = try runBlocking { try await Calibration.run(options, out: out, log: { say($0) }) }
        say(String(format: "replication lag: p50 %.3f ms, p99 %.3f ms; cache hit ratio %.3f",
                   summary.replicationLagP50Ms, summary.replicationLagP99Ms, summary.cacheHitRatio))
        say("wrote \(out)/calibration.json, fits.csv, empirical/*.csv, architecture.yaml, workload.yaml, scenario.yaml")
    }
}

/// `archsim validate`: the real backend against the calibrated simulation, load level by level.
struct Validate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compare the calibrated simulation with the real backend at a ladder of loads.",
        discussion: """
        Runs the backend --runs times at each --levels percent of the calibrated capacity, in rounds (every level \
        once per round, so drift over the session spreads over the levels; open loop, Poisson; \
        the generator on a core of its own unless --no-pin), then the calibrated scenario at the same offered \
        loads, and writes OUT/validation.csv: level_pct, offered_rps, real (mean of the runs) and simulated \
        throughput, p50, p90, p99, error rates, the relative errors of p50 and p99 ((sim − real) / real), the \
        runs' spread (min, max of p50 and p99), the CPU the generator, the backend and its HTTP loops used, \
        the CPU of other processes (a level with more than 0.5 core of it is marked quiet = no), the load \
        average, and whether the sides were pinned apart. Goal: p50 within 10% and p99 within 25% up to 80% \
        of capacity.
        """)

    @Option(help: ArgumentHelp("Load levels, percent of capacity, comma-separated.", valueName: "levels"))
    var levels: String = "10,30,50,70,80"
    @Option(name: .shortAndLong, help: ArgumentHelp("Output directory.", valueName: "dir"))
    var out: String = "results/validation"
    @Option(help: ArgumentHelp("The directory archsim calibrate wrote.", valueName: "dir"))
    var calibration: String = "calibration"
    @Option(help: ArgumentHelp("Measured time per level on the real backend, e.g. 20s.", valueName: "duration"))
    var duration: String = "20s"
    @Option(help: ArgumentHelp("Warm-up per level on the real backend.", valueName: "duration"))
    var warmup: String = "3s"
    @Option(help: ArgumentHelp("Simulated time per level and replication (at least --duration).", valueName: "duration"))
    var simDuration: String = "60s"
    @Option(help: "Simulation replications per level.")
    var replications: Int = 3
    @Option(help: "Real runs per level (the simulation is compared with their mean).")
    var runs: Int = 3
    @Flag(name: .customLong("no-pin"), help: "Do not put the load generator and the backend on separate cores.")
    var noPin = false
    @Option(help: "Address of the backend (loopback by default).")
    var host: String = "127.0.0.1"
    @Option(name: .customLong("dir"), help: ArgumentHelp("Directory of the database files.", valueName: "dir"))
    var directory: String = ".archsim-backend"

    var parsedLevels: [Int]? {
        let parts = levels.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !parts.isEmpty, parts.allSatisfy({ $0 != nil && $0! > 0 && $0! <= 200 }) else { return nil }
        return parts.map { $0! }
    }

    func validate() throws {
        if parsedLevels == nil { throw ValidationError("--levels: expected percents in 1...200, e.g. 10,30,50, got \(levels)") }
        if replications < 1 { throw ValidationError("--replications must be at least 1") }
        if runs < 1 || runs > 100 { throw ValidationError("--runs must be in 1...100") }
    }

    func run() throws {
        try checkListenAddress(host, option: "--host")
        try OutputPath.directory(directory, option: "--dir")
        try OutputPath.directory(out, option: "--out")
        let summary: Calibration.Summary
        do { summary = try Validation.summary(calibration) } catch { throw InputError(description: "\(error)") }
        let base = BackendConfiguration(host: host, port: 0, directory: directory)
        let options = Validation.Options(
            calibration: calibration, backend: Validation.backendConfiguration(summary, base: base), levels: parsedLevels!,
            duration: try seconds(duration, option: "--duration"), warmup: try seconds(warmup, option: "--warmup"),
            simDuration: try seconds(simDuration, option: "--sim-duration"), replications: replications,
            jobs: ProcessInfo.processInfo.activeProcessorCount, runs: runs, pin: !noPin)
        do { _ = try ScenarioLoader.load(path: calibration + "/scenario.yaml") }
        catch let e as ScenarioErrors { throw InputError(description: e.description) }
        let rows = try runBlocking { try await Validation.run(options, log: { say($0) }) }
        let csv = Validation.csv(rows)
        try OutputPath.writing(out) { try ResultFiles.write(files: [("validation.csv", csv)], to: out) }
        say("")
        say(ValidationTable.text(rows))
        say("wrote \(out)/validation.csv")
    }
}

/// The validation rows as a terminal table, with the goal (p50 ±10%, p99 ±25% up to 80%) marked.
enum ValidationTable {
    static func text(_ rows: [Validation.Row]) -> String {
        var lines = ["level  offered    real/s     sim/s  real p50  sim p50   real p99  sim p99   p50 err  p99 err  goal    quiet",
                     String(repeating: "-", count: 108)]
        for r in rows {
            let goal = r.levelPct > 80 ? "-" : (abs(r.p50RelErr) <= 0.10 && abs(r.p99RelErr) <= 0.25 ? "met" : "missed")
            lines.append(String(format: "%4d%%  %7.1f  %8.1f  %8.1f  %8.3f  %7.3f  %9.3f  %7.3f  %+7.1f%%  %+6.1f%%  ",
                                r.levelPct, r.offeredRPS, r.realThroughput, r.simThroughput, r.realP50, r.simP50, r.realP99, r.simP99,
                                r.p50RelErr * 100, r.p99RelErr * 100) + goal.padding(toLength: 8, withPad: " ", startingAt: 0)
                + (r.resources == nil ? "-" : (r.quiet ? "yes" : "NO")))
        }
        return lines.joined(separator: "\n")
    }
}
