// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimLab
import ArchSimReport
import ArgumentParser
import Dispatch
import Foundation

/// `archsim lab …`: real servers from Debian's packages on loopback, and the checks that hold
/// their measured behaviour against theory.
struct LabCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lab",
        abstract: "Start and stop the article's architectures for real (PostgreSQL, Redis, nginx, backend processes) on loopback, and check their mechanisms against theory.",
        subcommands: [LabUp.self, LabDown.self, LabCheck.self, LabSteps.self])
}

/// Where a lab lives unless --dir says otherwise: one per user, under /tmp (readable by the
/// `postgres` user the servers run as when archsim runs as root).
let defaultLabDirectory = "/tmp/archsim-lab-\(getuid())"

struct LabUp: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "up",
        abstract: "Start an evolution step of the article as real processes and leave them running (stop them with `archsim lab down`).",
        discussion: """
        The real counterpart of scenarios/evolution/0N-*.yaml, on 127.0.0.1 at free ports, in --dir, run as \
        the `postgres` user when archsim runs as root. Step 1 (monolith): one backend process (archsim \
        backend serve --storage postgres://…) over PostgreSQL. Step 2 (cluster): nginx, round robin with \
        proxy_next_upstream error, in front of --backends processes. Step 4 (cache): plus Redis as their \
        cache-aside product cache, invalidated by orders, entries expiring after --cache-ttl. Step 5 \
        (read-write split): plus --replicas streaming replicas of PostgreSQL serving reads; writes and \
        strong reads go to the primary. Step 3 (the vertical split) has no process of its own: the \
        backend's route groups are the services. Prints where to send requests and every setting, and \
        writes them to DIR/settings.csv. Ctrl-C while starting stops what has started. All processes \
        share this machine's cores.
        """)

    @Option(help: "Evolution step: 1, 2, 4 or 5.")
    var step: Int = 1
    @Option(name: .customLong("dir"), help: ArgumentHelp("Lab directory (created).", valueName: "dir"))
    var directory: String = defaultLabDirectory
    @Option(help: "Backend processes behind nginx (steps 2, 4, 5; default 2; step 1 has one).")
    var backends: Int?
    @Option(help: "Streaming replicas serving reads (step 5; default 1).")
    var replicas: Int?
    @Option(help: "Products in the seeded catalogue (created in PostgreSQL by the first backend).")
    var products: Int = 100_000
    @Option(help: "Users in the seeded catalogue.")
    var users: Int = 1_000_000
    @Option(help: "Connections each backend opens at most to each PostgreSQL server.")
    var connections: Int = 10
    @Option(help: ArgumentHelp("Seconds a product lives in Redis (steps 4, 5; default 60).", valueName: "s"))
    var cacheTTL: Double?
    @Option(help: "PostgreSQL shared_buffers.")
    var sharedBuffers: String = "128MB"
    @Option(help: "PostgreSQL max_connections.")
    var maxConnections: Int = 100
    @Option(help: "PostgreSQL synchronous_commit: on or off.")
    var synchronousCommit: String = "on"
    @Option(help: "Redis maxmemory (steps 4, 5; default 64mb).")
    var redisMaxmemory: String?
    @Option(help: "nginx worker_processes (steps 2, 4, 5; default 1).")
    var nginxWorkers: Int?

    func validate() throws {
        if let why = LabStep.unavailable(step) { throw ValidationError("--step \(step): \(why)") }
        guard ["on", "off"].contains(synchronousCommit) else { throw ValidationError("--synchronous-commit: expected on or off, got \(synchronousCommit)") }
        guard (1...10_000).contains(maxConnections) else { throw ValidationError("--max-connections must be in 1...10000") }
        if let backends, !(1...32).contains(backends) { throw ValidationError("--backends must be in 1...32, got \(backends)") }
        if let replicas, !(0...4).contains(replicas) { throw ValidationError("--replicas must be in 0...4, got \(replicas)") }
        guard products >= 1, users >= 1 else { throw ValidationError("--products and --users must be at least 1") }
        guard (1...1000).contains(connections) else { throw ValidationError("--connections must be in 1...1000, got \(connections)") }
        if let cacheTTL, !(cacheTTL > 0 && cacheTTL.isFinite) { throw ValidationError("--cache-ttl must be a positive number of seconds") }
        if let nginxWorkers, !(1...64).contains(nginxWorkers) { throw ValidationError("--nginx-workers must be in 1...64") }
        if step < 4 && (cacheTTL != nil || redisMaxmemory != nil) { throw ValidationError("--cache-ttl and --redis-maxmemory: Redis is step 4") }
        if step == 1 && nginxWorkers != nil { throw ValidationError("--nginx-workers: nginx is step 2") }
        if step == 1 && backends != nil { throw ValidationError("--backends: step 1 is one backend process; nginx and more backends are step 2") }
        if step < 5 && replicas != nil { throw ValidationError("--replicas: replicas serving reads are step 5") }
    }

    func run() throws {
        var plan = LabStep(number: step, backends: backends, replicas: replicas)
        plan.catalogueProducts = products
        plan.catalogueUsers = users
        plan.connections = connections
        if let cacheTTL { plan.cacheTTL = cacheTTL }
        plan.postgres.sharedBuffers = sharedBuffers
        plan.postgres.maxConnections = maxConnections
        plan.postgres.superuserReservedConnections = min(3, maxConnections - 1)
        plan.postgres.synchronousCommit = synchronousCommit
        if let redisMaxmemory { plan.redis.maxMemory = redisMaxmemory }
        if let nginxWorkers { plan.nginx.workers = nginxWorkers }
        let program = try archsimExecutable()
        let lab = try labOrInputError { try Lab(directory: directory) }
        let interrupts = stopOnInterrupt(lab)
        defer { interrupts.forEach { $0.cancel() } }
        let chosen = plan
        say("step \(step) (\(plan.scenario)): starting in \(lab.directory)")
        let running = try runLab(lab) { try await chosen.up(lab: lab, program: program) { say("  up: \($0)") } }
        let table = plan.settingsTable(running: running)
        try AtomicFile.write(table.text, to: lab.directory + "/settings.csv")
        for row in table.rows { say("  \(row[0]) \(row[1]) = \(row[2])") }
        say("send requests to \(running.entryURL) (GET /health, /products/{id}, POST /orders, …); settings in \(lab.directory)/settings.csv")
        say("stop it with: archsim lab down --dir \(lab.directory)")
    }
}

/// This archsim's executable (what the lab's backend processes run).
func archsimExecutable() throws -> String {
    guard let path = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") else {
        throw InputError(description: "cannot tell where this archsim executable is (/proc/self/exe)")
    }
    return path
}

struct LabDown: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "down",
        abstract: "Stop every process of a lab (nginx, backends, Redis, PostgreSQL: a graceful or fast shutdown, SIGKILL after 10-15 s) and delete its directory.")

    @Option(name: .customLong("dir"), help: ArgumentHelp("Lab directory.", valueName: "dir"))
    var directory: String = defaultLabDirectory
    @Flag(help: "Keep the directory (data and logs).")
    var keep = false

    func run() throws {
        let stopped = try labOrInputError { try Lab.down(directory: directory, remove: !keep) }
        say(stopped.isEmpty ? "nothing was running in \(directory)" : "stopped \(stopped.joined(separator: ", "))")
    }
}

struct LabCheck: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Measure PostgreSQL's mechanisms and compare with theory: writes real_vs_theory.csv and settings.csv.",
        discussion: """
        Starts PostgreSQL in a lab directory of its own (for the checks that need it: not for redis \
        alone), runs each check and stops it (also on Ctrl-C or a failure). buffer: hit ratio of shared_buffers under a Zipf page load larger than the pool \
        against Che's LRU approximation. hot-row: one row updated at a Poisson rate against M/G/1 from \
        the measured lock hold times. connections: a new connection per Poisson arrival against Erlang B \
        at max_connections. stale-reads: a streaming replica (pg_basebackup) read while the primary is \
        written, against the stale fraction the measured lag predicts. redis: Redis (allkeys-lru, \
        maxmemory) as a cache-aside cache under a Zipf key load, against Che's LRU approximation. Full run \
        about 5 minutes; --quick about 1.5.
        """)

    @Option(name: .shortAndLong, help: ArgumentHelp("Output directory.", valueName: "dir"))
    var out: String = "results/lab"
    @Option(name: .customLong("dir"), help: ArgumentHelp("Lab directory (default: a new one under /tmp, deleted at the end).", valueName: "dir"))
    var directory: String?
    @Flag(help: "Short loads (what CI runs).")
    var quick = false
    @Option(help: "Checks to run, comma-separated: buffer, hot-row, connections, stale-reads, redis.")
    var only: String = "buffer,hot-row,connections,stale-reads,redis"

    func run() throws {
        var checks = quick ? LabChecks.quick : LabChecks()
        var kinds: [LabChecks.Kind] = []
        for name in only.split(separator: ",") {
            guard let k = LabChecks.Kind(rawValue: String(name)) else {
                throw InputError(description: "--only: expected buffer, hot-row, connections, stale-reads or redis, got \(name)")
            }
            kinds.append(k)
        }
        checks.kinds = kinds
        try OutputPath.directory(out, option: "--out")
        let dir = directory ?? (NSTemporaryDirectory() as NSString).appendingPathComponent("archsim-lab-check-\(getpid())")
        let lab = try labOrInputError { try Lab(directory: dir) }
        let interrupts = stopOnInterrupt(lab, remove: directory == nil)
        defer { interrupts.forEach { $0.cancel() } }
        let planned = checks
        let outcome = Result { try runLab(lab) { try await planned.run(lab: lab) { say($0) } } }
        let version = (try? lab.servers.first.map(checks.postgresVersion)) ?? nil
        let left = lab.down()
        if directory == nil { try? FileManager.default.removeItem(atPath: lab.directory) }
        let results = try outcome.get()
        guard left.isEmpty else { throw InputError(description: "pids \(left) survived SIGKILL") }
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        try AtomicFile.write(MechanismResult.table(results).text, to: out + "/real_vs_theory.csv")
        let redisVersion = kinds.contains(.redis) ? redisServerVersion() : nil
        try AtomicFile.write(checks.settingsTable(version: version ?? "unknown", redisVersion: redisVersion).text, to: out + "/settings.csv")
        let simulatedWithin = results.filter { r in r.simulatedError.map { abs($0) <= r.tolerance } ?? false }.count
        say("wrote \(out)/real_vs_theory.csv and \(out)/settings.csv; within their tolerance: \(results.filter(\.within).count) of \(results.count) formulas, \(simulatedWithin) of \(results.count) simulations")
    }
}

struct LabSteps: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "steps",
        abstract: "Each evolution step for real against the simulator: writes real_vs_sim.csv, real_vs_sim_inputs.csv and each step's model.",
        discussion: """
        For each step: lab up in a directory of its own, the load generator on one core and the lab's \
        processes on the others; the step's open-loop capacity (p99 under --p99-bound, 97% answered, \
        <1% errors; the mean of 3 searches); the mix at 20, 50 and 90% of it (the lab's CPU against \
        throughput, and the share of it on the requests' paths); each request type alone at 10% of it (CPU per request of nginx, the backends, \
        Redis, the primary and the replicas by the utilisation law; each type's latencies in the mix at \
        20%, which the model splits into CPU and delay); the mix at each --levels percent of capacity, \
        --runs runs each, with the servers' own numbers (real_vs_sim_servers.csv); lab down. With \
        Redis, the mix runs one cache TTL, unmeasured, at each new rate before it is measured. Then \
        the step's model (scenario format 1.1: one host with the lab's cores shared by every process) \
        is simulated at the same rates and its capacity found by the same rule; the files are written \
        after every step (a failure later keeps what finished). Before the inputs and the levels it \
        waits (up to 60 s) for the lab's CPU with no load to come back near its level before any load. \
        Acceptance: capacity \
        and step-to-step gains within 15%; p50 within 15% and p99 within 30% at 30 and 60%. Full run \
        about 5 minutes per step, 11 with Redis; --quick (steps 1 and 2, one capacity search, one short run per level) \
        about 1.5 minutes per step.
        """)

    @Option(name: .shortAndLong, help: ArgumentHelp("Output directory.", valueName: "dir"))
    var out: String = "results/lab"
    @Option(help: "Steps, comma-separated (built: 1, 2, 4, 5).")
    var steps: String?
    @Option(help: "Levels, percent of each step's capacity, comma-separated.")
    var levels: String?
    @Option(help: "Runs per level.")
    var runs: Int?
    @Option(help: ArgumentHelp("Measured seconds of each level run (after a 2 s warm-up; 1 s with --quick).", valueName: "s"))
    var duration: Double?
    @Option(help: "Backend processes behind nginx (steps 2, 4, 5).")
    var backends: Int = 2
    @Option(help: "Streaming replicas (step 5).")
    var replicas: Int = 1
    @Option(help: "Products in the catalogue.")
    var products: Int = 20_000
    @Option(help: "Users in the catalogue.")
    var users: Int = 100_000
    @Option(help: ArgumentHelp("A capacity step whose p99 exceeds this is past capacity (ms).", valueName: "ms"))
    var p99Bound: Double = 50
    @Flag(help: "Steps 1 and 2, one capacity search, levels 30 and 60 with one 3 s run each, shorter calibration runs (what CI runs).")
    var quick = false

    @Option(help: ArgumentHelp("Measure nothing: simulate the models of the steps measured in FILE (a run's real_vs_sim_measured.json) and write the tables to --out. Repeat it to join steps measured in different runs (a step in a later file replaces an earlier file's).", valueName: "file"))
    var remodel: [String] = []

    func plan() throws -> (StepComparison, [Int]) {
        var c = StepComparison()
        var numbers = [1, 2, 4, 5]
        if quick {
            numbers = [1, 2]; c.levels = [30, 60]; c.runs = 1; c.duration = 3; c.warmup = 1; c.typeDuration = 2; c.capacityStep = 2
            c.capacityRuns = 1; c.settleLimit = 10; c.cacheTTL = 10
        }
        if let steps {
            numbers = []
            for part in steps.split(separator: ",") {
                guard let n = Int(part.trimmingCharacters(in: .whitespaces)) else { throw ValidationError("--steps: expected numbers such as 1,2,4,5, got \(part)") }
                if let why = LabStep.unavailable(n) { throw ValidationError("--steps: \(why)") }
                if !numbers.contains(n) { numbers.append(n) }
            }
            numbers.sort()
            guard !numbers.isEmpty else { throw ValidationError("--steps: expected at least one step, such as 1,2,4,5") }
        }
        if let levels {
            c.levels = try levels.split(separator: ",").map { part in
                guard let v = Double(part.trimmingCharacters(in: .whitespaces)), v > 0, v < 100 else {
                    throw ValidationError("--levels: expected percentages between 0 and 100 such as 30,60,80, got \(part)")
                }
                return v
            }
            guard !c.levels.isEmpty else { throw ValidationError("--levels: expected at least one percentage, such as 30,60,80") }
        }
        if let runs { guard (1...20).contains(runs) else { throw ValidationError("--runs must be in 1...20") }; c.runs = runs }
        if let duration { guard duration >= 1, duration <= 600 else { throw ValidationError("--duration must be 1...600 s") }; c.duration = duration }
        guard (1...32).contains(backends) else { throw ValidationError("--backends must be in 1...32, got \(backends)") }
        guard (1...4).contains(replicas) else { throw ValidationError("--replicas must be in 1...4, got \(replicas)") }
        guard products >= 100, users >= 100 else { throw ValidationError("--products and --users must be at least 100") }
        guard p99Bound > 0 else { throw ValidationError("--p99-bound must be positive") }
        c.backends = backends; c.replicas = replicas; c.products = products; c.users = users; c.capacityP99Ms = p99Bound
        return (c, numbers)
    }

    func validate() throws { _ = try plan() }

    /// What a run measured, kept beside its tables so the models can be simulated again
    /// (`--remodel`) without measuring.
    struct Measured: Codable {
        var measurements: [StepComparison.Measurement]
        var settings: [[String]]
    }

    func run() throws {
        let (comparison, numbers) = try plan()
        try OutputPath.directory(out, option: "--out")
        if !remodel.isEmpty {
            var measurements: [StepComparison.Measurement] = []
            var settings = CSVTable(header: ["step", "component", "setting", "value"])
            for file in remodel {
                let measured: Measured
                do { measured = try JSONDecoder().decode(Measured.self, from: Data(contentsOf: URL(fileURLWithPath: file))) } catch {
                    throw InputError(description: "\(file): not a real_vs_sim_measured.json of this archsim (\(error))")
                }
                guard !measured.measurements.isEmpty else { throw InputError(description: "\(file): no step measured") }
                // A step measured again in a later file replaces the earlier measurement.
                let steps = Set(measured.measurements.map(\.step))
                for m in measurements where steps.contains(m.step) { say("step \(m.step): measured again in \(file), which replaces the earlier") }
                measurements.removeAll { steps.contains($0.step) }
                settings.rows.removeAll { steps.contains(Int($0[0]) ?? -1) }
                measurements += measured.measurements
                for row in measured.settings { settings.append(row) }
            }
            // In step order, so each gain is over the step before it.
            let order = measurements.map(\.step)
            measurements.sort { $0.step < $1.step }
            settings.rows = settings.rows.enumerated().sorted { (Int($0.element[0]) ?? 0, $0.offset) < (Int($1.element[0]) ?? 0, $1.offset) }.map(\.element)
            if order != order.sorted() { say("steps in order: \(measurements.map { String($0.step) }.joined(separator: ", "))") }
            return try write(comparison, measurements, settings, final: true)
        }
        let program = try archsimExecutable()
        let base = (NSTemporaryDirectory() as NSString).appendingPathComponent("archsim-lab-steps-\(getpid())")
        var measured: [StepComparison.Measurement] = []
        var settings = CSVTable(header: ["step", "component", "setting", "value"])
        let current = CurrentLab(remove: true, parent: base)
        let interrupts = stopOnInterrupt(current)
        defer { interrupts.forEach { $0.cancel() } }
        var keep = false
        defer { if !keep { try? FileManager.default.removeItem(atPath: base) } }
        for number in numbers {
            var step = LabStep(number: number, backends: number == 1 ? nil : comparison.backends, replicas: number >= 5 ? comparison.replicas : nil)
            step.catalogueProducts = comparison.products
            step.catalogueUsers = comparison.users
            step.cacheTTL = comparison.cacheTTL
            let lab = try labOrInputError { try Lab(directory: base + "/step-\(number)") }
            current.set(lab)
            say("step \(number) (\(step.scenario)): starting in \(lab.directory)")
            let chosen = step
            let outcome = Result {
                try runLab(lab) {
                    let running = try await chosen.up(lab: lab, program: program) { say("  up: \($0)") }
                    let m = try await comparison.measure(step: number, running: running) { say("  " + $0) }
                    return (m, chosen.settingsTable(running: running))
                }
            }
            let left = lab.down()
            current.set(nil)
            // A failed step keeps its directory: the error names its logs.
            guard left.isEmpty else {
                keep = true
                throw InputError(description: "pids \(left) survived SIGKILL; the lab directory \(lab.directory) is kept")
            }
            let m: StepComparison.Measurement, table: CSVTable
            do { (m, table) = try outcome.get() } catch {
                keep = true
                FileHandle.standardError.write(Data("archsim lab steps: step \(number) failed; its logs are kept in \(lab.directory)\n".utf8))
                throw error
            }
            try? FileManager.default.removeItem(atPath: lab.directory)
            measured.append(m)
            for row in table.rows where row[1] != "url" { settings.append([String(number)] + row) }
            // After every step, not only at the end: a failure in a later step keeps what the
            // earlier ones measured.
            try write(comparison, measured, settings, final: number == numbers.last)
        }
    }

    /// Simulates each measured step's model and writes real_vs_sim.csv, its inputs and settings,
    /// and each step's model as a scenario.
    func write(_ comparison: StepComparison, _ measured: [StepComparison.Measurement], _ settings: CSVTable, final: Bool) throws {
        say("simulating the model of step\(measured.count > 1 ? "s" : "") \(measured.map { String($0.step) }.joined(separator: ", "))")
        let table = try comparison.table(measured) { say("  " + $0) }
        try FileManager.default.createDirectory(atPath: out + "/steps", withIntermediateDirectories: true)
        for m in measured {
            let level = m.levels.first { $0.percent == 60 } ?? m.levels[0]
            let (yaml, files) = StepModel(m).scenario(rate: level.offered)
            let dir = out + "/steps/step-\(m.step)"
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            // Sample files an earlier run wrote and this model does not use go.
            for old in (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [] where old.hasSuffix(".csv") && files[old] == nil {
                try FileManager.default.removeItem(atPath: dir + "/" + old)
            }
            try AtomicFile.write(yaml, to: dir + "/scenario.yaml")
            for (name, text) in files { try AtomicFile.write(text, to: dir + "/" + name) }
        }
        try AtomicFile.write(StepComparison.inputs(measured).text, to: out + "/real_vs_sim_inputs.csv")
        // Only when measured (runs before it have no servers' numbers; a stale file goes).
        let servers = StepComparison.servers(measured)
        if servers.rows.isEmpty { try? FileManager.default.removeItem(atPath: out + "/real_vs_sim_servers.csv") }
        else { try AtomicFile.write(servers.text, to: out + "/real_vs_sim_servers.csv") }
        try AtomicFile.write(settings.text, to: out + "/real_vs_sim_settings.csv")
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = try encoder.encode(Measured(measurements: measured, settings: settings.rows))
        try AtomicFile.write(String(decoding: json, as: UTF8.self) + "\n", to: out + "/real_vs_sim_measured.json")
        try AtomicFile.write(table.text, to: out + "/real_vs_sim.csv")
        let column = table.header.firstIndex(of: "within")!
        let within = table.rows.filter { $0[column] == "true" }.count
        say("wrote \(out)/real_vs_sim.csv (\(within) of \(table.rows.count) rows within their tolerance), real_vs_sim_inputs.csv\(servers.rows.isEmpty ? "" : ", real_vs_sim_servers.csv"), real_vs_sim_settings.csv, real_vs_sim_measured.json and steps/step-N/scenario.yaml"
            + (final ? "" : " (steps so far)"))
    }
}

/// Runs async lab work from a command; a ``LabError`` becomes an input error (exit 2, one sentence).
private func runLab<T: Sendable>(_ lab: Lab, _ body: @escaping @Sendable () async throws -> T) throws -> T {
    do { return try runBlocking(body) } catch let e as LabError {
        lab.down()
        throw InputError(description: e.description)
    } catch {
        lab.down()
        throw error
    }
}

private func labOrInputError<T>(_ body: () throws -> T) throws -> T {
    do { return try body() } catch let e as LabError { throw InputError(description: e.description) }
}

/// On SIGINT, SIGTERM or SIGHUP: stop the lab's servers (and delete its directory when `remove`),
/// then exit with 128 + the signal. The lab's servers run in sessions of their own, so a Ctrl-C
/// reaches only archsim, which stops them.
private func stopOnInterrupt(_ lab: Lab, remove: Bool = false) -> [any DispatchSourceSignal] {
    let current = CurrentLab(remove: remove)
    current.set(lab)
    return stopOnInterrupt(current)
}

/// The lab a command is working in, for its interrupt handler: a command that runs several labs
/// one after another installs the handler once (a signal source cancelled and created again
/// does not hear the signal on Linux) and points it at each lab in turn.
private final class CurrentLab: @unchecked Sendable {
    private let lock = NSLock()
    private var lab: Lab?
    let remove: Bool
    /// A directory holding the labs, removed with them (when `remove`).
    let parent: String?
    init(remove: Bool, parent: String? = nil) { self.remove = remove; self.parent = parent }
    func set(_ lab: Lab?) { lock.lock(); self.lab = lab; lock.unlock() }
    func get() -> Lab? { lock.lock(); defer { lock.unlock() }; return lab }
}

private func stopOnInterrupt(_ current: CurrentLab) -> [any DispatchSourceSignal] {
    [SIGINT, SIGTERM, SIGHUP].map { sig in
        signal(sig, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
        source.setEventHandler {
            FileHandle.standardError.write(Data("archsim lab: interrupted; stopping the lab's servers\n".utf8))
            let left = current.get()?.down() ?? []
            if current.remove && left.isEmpty {
                if let lab = current.get() { try? FileManager.default.removeItem(atPath: lab.directory) }
                if let parent = current.parent { try? FileManager.default.removeItem(atPath: parent) }
            }
            exit(128 + sig)
        }
        source.resume()
        return source
    }
}
