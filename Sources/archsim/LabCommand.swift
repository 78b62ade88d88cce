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
        abstract: "Start and stop real servers (PostgreSQL, Redis) on loopback and check their mechanisms against theory.",
        subcommands: [LabUp.self, LabDown.self, LabCheck.self])
}

/// Where a lab lives unless --dir says otherwise: one per user, under /tmp (readable by the
/// `postgres` user the servers run as when archsim runs as root).
let defaultLabDirectory = "/tmp/archsim-lab-\(getuid())"

struct LabUp: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "up",
        abstract: "Start the lab's servers and leave them running (stop them with `archsim lab down`).",
        discussion: """
        The database of step 1 of the article's evolution: PostgreSQL (Debian's package) on 127.0.0.1 \
        at a free port, data in --dir, run as the `postgres` user when archsim runs as root. Prints the \
        settings and how to connect. Ctrl-C while starting stops what has started. Not built yet: the \
        backend process over it (step 1's other half), nginx in front of N backend processes (step 2), \
        Redis as the backend's cache (step 4) and replicas serving its reads (step 5).
        """)

    @Option(help: "Evolution step. Only 1 (its PostgreSQL server) is built.")
    var step: Int = 1
    @Option(name: .customLong("dir"), help: ArgumentHelp("Lab directory (created).", valueName: "dir"))
    var directory: String = defaultLabDirectory
    @Option(help: "PostgreSQL shared_buffers.")
    var sharedBuffers: String = "128MB"
    @Option(help: "PostgreSQL max_connections.")
    var maxConnections: Int = 100
    @Option(help: "PostgreSQL synchronous_commit: on or off.")
    var synchronousCommit: String = "on"

    func validate() throws {
        guard step == 1 else {
            throw ValidationError("--step \(step): only step 1's PostgreSQL server is built; nginx, Redis and replicas in front of and behind backend processes (steps 2, 4, 5) are not yet")
        }
        guard ["on", "off"].contains(synchronousCommit) else { throw ValidationError("--synchronous-commit: expected on or off, got \(synchronousCommit)") }
        guard (1...10_000).contains(maxConnections) else { throw ValidationError("--max-connections must be in 1...10000") }
    }

    func run() throws {
        var settings = PostgreSQLSettings()
        settings.sharedBuffers = sharedBuffers
        settings.maxConnections = maxConnections
        settings.superuserReservedConnections = min(3, maxConnections - 1)
        settings.synchronousCommit = synchronousCommit
        let lab = try labOrInputError { try Lab(directory: directory) }
        let interrupts = stopOnInterrupt(lab)
        defer { interrupts.forEach { $0.cancel() } }
        let chosen = settings
        let server = try runLab(lab) { try await lab.startPostgreSQL(name: "primary", settings: chosen) }
        say("PostgreSQL up: postgresql://\(PostgreSQLServer.role)@127.0.0.1:\(server.port)/postgres (pid \(server.process?.pid ?? 0), data in \(server.dataDirectory), log \(server.dataDirectory).log)")
        for (k, v) in settings.entries { say("  \(k) = \(v)") }
        say("stop it with: archsim lab down --dir \(lab.directory)")
    }
}

struct LabDown: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "down",
        abstract: "Stop every server of a lab (fast shutdown, then SIGKILL after 15 s) and delete its directory.")

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
        Starts PostgreSQL in a lab directory of its own, runs each check and stops it (also on Ctrl-C or \
        a failure). buffer: hit ratio of shared_buffers under a Zipf page load larger than the pool \
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
    [SIGINT, SIGTERM, SIGHUP].map { sig in
        signal(sig, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
        source.setEventHandler {
            FileHandle.standardError.write(Data("archsim lab: interrupted; stopping the lab's servers\n".utf8))
            let left = lab.down()
            if remove && left.isEmpty { try? FileManager.default.removeItem(atPath: lab.directory) }
            exit(128 + sig)
        }
        source.resume()
        return source
    }
}
