// SPDX-License-Identifier: GPL-3.0-or-later
import Foundation

/// The real lab in one directory: the servers it started and their settings, recorded in
/// `lab.json` the moment each process exists (before it is ready), so that `archsim lab down`,
/// an interrupted start or a failed check can always stop everything.
///
/// Layout: DIR/lab.json, DIR/NAME (a PostgreSQL data directory, or a Redis server's working
/// directory), DIR/NAME.log (its server log).
/// When `archsim` runs as root, DIR belongs to the `postgres` user, who runs the servers.
public final class Lab: @unchecked Sendable {
    public let directory: String
    public let user: LabUser?
    private let lock = NSLock()
    private var state: State
    /// Set by ``down()``: from then on nothing new is recorded, so a process spawned while the
    /// lab stops (Ctrl-C in the middle of `lab up`) is stopped by its starter at once.
    private var stopping = false

    struct State: Codable {
        var servers: [PostgreSQLServer] = []
        var caches: [RedisServer] = []
        var backends: [LabBackend] = []
        var proxies: [NginxServer] = []

        init() {}
        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            servers = try c.decodeIfPresent([PostgreSQLServer].self, forKey: .servers) ?? []
            caches = try c.decodeIfPresent([RedisServer].self, forKey: .caches) ?? []
            backends = try c.decodeIfPresent([LabBackend].self, forKey: .backends) ?? []
            proxies = try c.decodeIfPresent([NginxServer].self, forKey: .proxies) ?? []
        }

        /// Every process recorded, databases, caches, backends, then load balancers.
        var processes: [LabProcess] {
            servers.compactMap(\.process) + caches.compactMap(\.process) + backends.compactMap(\.process) + proxies.compactMap(\.process)
        }

        /// Stops everything, the last started first (load balancers, backends, caches,
        /// databases); returns the names of what was running, and the pids that survived SIGKILL.
        func stopAll() -> (stopped: [String], left: [Int32]) {
            var stopped: [String] = [], left: [Int32] = []
            func stop(_ name: String, _ process: LabProcess?, _ body: () -> [Int32]) {
                if process.map({ !$0.live.isEmpty }) ?? false { stopped.append(name) }
                left += body()
            }
            for p in proxies.reversed() { stop(p.name, p.process, p.stop) }
            for b in backends.reversed() { stop(b.name, b.process, b.stop) }
            for c in caches.reversed() { stop(c.name, c.process, c.stop) }
            for s in servers.reversed() { stop(s.name, s.process, s.stop) }
            return (stopped, left)
        }
    }

    public var stateFile: String { directory + "/lab.json" }

    /// Opens `directory` for a new lab (creating it). Refuses when a lab recorded there still
    /// runs: `archsim lab down --dir DIR` first.
    public init(directory: String) throws {
        let path = Lab.absolute(directory)
        user = try LabUser.forServers()
        state = State()
        if let running = try? Lab.running(in: path), !running.isEmpty {
            throw LabError("a lab is already running in \(path) (pids \(running.map(String.init).joined(separator: ", "))); stop it with: archsim lab down --dir \(path)")
        }
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o755])
        } catch {
            throw LabError("cannot create the lab directory \(path): \(error.localizedDescription)")
        }
        // As /proc/PID/cwd shows it (absolute, symbolic links resolved): processes are found by it.
        self.directory = Lab.absolute(path)
        if let user { try user.own(self.directory) }
        try save()
    }

    /// `path` absolute, with `.`, `..` and (where it exists) symbolic links resolved.
    static func absolute(_ path: String) -> String {
        let base = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        return URL(fileURLWithPath: base).standardizedFileURL.resolvingSymlinksInPath().path
    }

    /// The servers, in the order they were started.
    public var servers: [PostgreSQLServer] { lock.withLock { state.servers } }

    /// A new PostgreSQL cluster DIR/`name`, started with `settings`.
    public func startPostgreSQL(name: String, settings: PostgreSQLSettings) async throws -> PostgreSQLServer {
        try await create(name) { try PostgreSQLServer.initialise(name: name, dataDirectory: $0, settings: settings, user: self.user) }
    }

    /// A streaming replica of `primary` (pg_basebackup), DIR/`name`, started and caught up.
    public func startReplica(of primary: PostgreSQLServer, name: String) async throws -> PostgreSQLServer {
        try await create(name) { try PostgreSQLServer.replica(of: primary, name: name, dataDirectory: $0, user: self.user) }
    }

    /// Makes server `name` in a fresh DIR/`name` with `make`, then starts it.
    private func create(_ name: String, _ make: (String) throws -> PostgreSQLServer) async throws -> PostgreSQLServer {
        let data = directory + "/" + name
        if FileManager.default.fileExists(atPath: data) { try FileManager.default.removeItem(atPath: data) }
        return try await start(try make(data), recordedIn: \.servers)
    }

    /// A Redis server in DIR/`name`, started with `settings`.
    public func startRedis(name: String, settings: RedisSettings) async throws -> RedisServer {
        try await start(RedisServer(name: name, program: try RedisServer.locate(), directory: directory + "/" + name, port: 0,
                                    settings: settings, process: nil), recordedIn: \.caches)
    }

    /// A backend process DIR/`name`: `program` (the archsim executable) with `arguments`
    /// (`backend serve …`; the lab adds `--port`).
    public func startBackend(name: String, program: String, arguments: [String], timeout: Double = 180) async throws -> LabBackend {
        let backend = try await LabBackend.start(name: name, program: program, arguments: arguments, directory: directory + "/" + name,
                                                 user: user, timeout: timeout, onSpawn: { spawned in
            // Recorded before it is ready: an interrupt during the start stops it too.
            try self.update { state in
                state.backends.removeAll { $0.name == name }
                state.backends.append(spawned)
            }
        })
        return backend
    }

    /// `program` if the lab's user can run it; otherwise a copy in DIR/bin that it can (a build
    /// under a directory only root may enter, such as /root).
    public func runnable(_ program: String) throws -> String {
        guard let user else { return program }
        let probe = try LabProcess.spawn(name: "probe", arguments: [program, "--version"], as: user, log: "/dev/null", directory: directory)
        if probe.exitStatus(within: 30) == 0 { return program }
        if probe.isRunning {   // only it (stop() would also stop every server working under DIR), and only if not reaped
            kill(probe.pid, SIGKILL)
            _ = probe.exitStatus(within: 5)
        }
        let bin = directory + "/bin"
        let copy = bin + "/" + (program as NSString).lastPathComponent
        do {
            try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
            try? FileManager.default.removeItem(atPath: copy)
            try FileManager.default.copyItem(atPath: program, toPath: copy)
            try user.own(bin)
        } catch {
            throw LabError("\(user.name) cannot run \(program), and copying it to \(bin) failed: \(error.localizedDescription)")
        }
        return copy
    }

    /// nginx DIR/`name` balancing over the backends at `upstreams` (ports).
    public func startNginx(name: String, upstreams: [Int], settings: NginxSettings) async throws -> NginxServer {
        try await start(NginxServer(name: name, program: try NginxServer.locate(), directory: directory + "/" + name, port: 0,
                                    upstreams: upstreams, settings: settings, process: nil), recordedIn: \.proxies)
    }

    public var backends: [LabBackend] { lock.withLock { state.backends } }
    public var proxies: [NginxServer] { lock.withLock { state.proxies } }

    /// The Redis servers, in the order they were started.
    public var caches: [RedisServer] { lock.withLock { state.caches } }

    /// Stops `server` and starts it again with `settings` (shared_buffers and max_connections
    /// take effect only at start).
    public func restart(_ server: PostgreSQLServer, settings: PostgreSQLSettings) async throws -> PostgreSQLServer {
        let left = server.stop()
        guard left.isEmpty else { throw LabError("\(server.name) did not stop (pids \(left))") }
        var s = server
        s.settings = settings
        s.process = nil
        return try await start(s, recordedIn: \.servers)
    }

    /// Starts `server` and records it in the state's list at `list` (replacing a server of the
    /// same name in place, or appended): once when its process exists, before it is ready — an
    /// interrupt during the start stops it too — and again when it is ready.
    private func start<Server: LabServer>(_ server: Server, recordedIn list: WritableKeyPath<State, [Server]>) async throws -> Server {
        func put(_ s: Server, into state: inout State) {
            if let i = state[keyPath: list].firstIndex(where: { $0.name == s.name }) { state[keyPath: list][i] = s }
            else { state[keyPath: list].append(s) }
        }
        var started = server
        try await started.start(user: user, onSpawn: { p in
            var recorded = server
            recorded.process = p
            try self.update { put(recorded, into: &$0) }
        })
        let ready = started
        try update { put(ready, into: &$0) }
        return started
    }

    private func update(_ change: (inout State) -> Void) throws {
        try lock.withLock {
            guard !stopping else { throw LabError("the lab in \(directory) is stopping") }
            change(&state)
            try saveLocked()
        }
    }

    private func save() throws { try lock.withLock { try saveLocked() } }

    private func saveLocked() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(state).write(to: URL(fileURLWithPath: stateFile), options: .atomic)
    }

    /// Stops every process (last started first), then kills any PostgreSQL, Redis, nginx or
    /// backend program still working in the lab's directory (an initdb or pg_basebackup
    /// interrupted halfway); returns pids that survived SIGKILL (normally none).
    @discardableResult
    public func down() -> [Int32] {
        let state = lock.withLock { stopping = true; return self.state }
        return state.stopAll().left + Lab.killTools(in: directory, backends: state.backends.map(\.program))
    }

    /// SIGKILL to every process working in `directory` whose program is PostgreSQL's, Redis's,
    /// nginx's or one of `backends` (never a shell that happens to be there, nor this process);
    /// waits up to 5 s; returns the survivors.
    static func killTools(in directory: String, backends: [String] = []) -> [Int32] {
        let programs = [(try? PostgreSQLServer.locate()).map { $0 + "/" }, try? RedisServer.locate(), try? NginxServer.locate()].compactMap { $0 }
            + backends
        let me = getpid()
        func strays() -> [Int32] {
            ProcessTable.working(in: directory).filter { pid in
                guard pid != me, let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/exe") else { return false }
                return programs.contains { exe.hasPrefix($0) }
            }
        }
        for p in strays() { kill(p, SIGKILL) }
        let end = Date().addingTimeInterval(5)
        while !strays().isEmpty && Date() < end { usleep(20_000) }
        return strays()
    }

    /// Pids still alive of the servers recorded in DIR/lab.json.
    public static func running(in directory: String) throws -> [Int32] {
        try recorded(in: absolute(directory)).processes.flatMap(\.live)
    }

    static func recorded(in directory: String) throws -> State {
        let file = directory + "/lab.json"
        guard FileManager.default.fileExists(atPath: file) else { return State() }
        let data = try Data(contentsOf: URL(fileURLWithPath: file))
        do { return try JSONDecoder().decode(State.self, from: data) }
        catch { throw LabError("\(file) is not a lab state file: \(error)") }
    }

    /// `archsim lab down`: stops what DIR/lab.json records; with `remove`, deletes DIR afterwards
    /// (only a directory holding a lab.json). Returns the names of the servers it stopped.
    public static func down(directory: String, remove: Bool) throws -> [String] {
        let dir = absolute(directory)
        guard FileManager.default.fileExists(atPath: dir + "/lab.json") else {
            throw LabError("no lab in \(dir) (no lab.json there)")
        }
        let state = try recorded(in: dir)
        var (stopped, left) = state.stopAll()
        left += killTools(in: dir, backends: state.backends.map(\.program))
        guard left.isEmpty else { throw LabError("pids \(left) survived SIGKILL; see the logs in \(dir)") }
        if remove { try FileManager.default.removeItem(atPath: dir) }
        return stopped
    }
}

/// A server the lab starts and records: PostgreSQL, Redis, nginx.
protocol LabServer: Sendable {
    var name: String { get }
    var process: LabProcess? { get set }
    /// Starts it; `onSpawn` runs once its process exists (if it throws, the server is stopped).
    mutating func start(user: LabUser?, onSpawn: (LabProcess) throws -> Void) async throws
}

extension PostgreSQLServer: LabServer {}
extension RedisServer: LabServer {}
extension NginxServer: LabServer {}
