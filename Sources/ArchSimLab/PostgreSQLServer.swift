// SPDX-License-Identifier: GPL-3.0-or-later
import Foundation
import Logging
import NIOPosix
import PostgresNIO

/// The settings of one PostgreSQL server of the lab, in postgresql.conf's words and units. Printed
/// and written beside the results (`settings.csv`), so every figure says what it was measured on.
public struct PostgreSQLSettings: Codable, Sendable, Equatable {
    /// Shared buffer pool (PostgreSQL's buffer pool: clock sweep over 8 kB pages).
    public var sharedBuffers = "128MB"
    public var maxConnections = 100
    /// Slots kept for superusers; the lab's clients are superusers, so 0 gives them all of
    /// max_connections (the connection-limit check needs exactly c slots).
    public var superuserReservedConnections = 0
    /// on: a commit waits for its WAL flush (fsync); off: it does not (the group-commit question).
    public var synchronousCommit = "on"
    public var fsync = "on"

    public init() {}

    /// (name, value) in a fixed order.
    public var entries: [(String, String)] {
        [("shared_buffers", sharedBuffers), ("max_connections", String(maxConnections)),
         ("superuser_reserved_connections", String(superuserReservedConnections)),
         ("synchronous_commit", synchronousCommit), ("fsync", fsync)]
    }
}

/// One PostgreSQL server from Debian's package, on 127.0.0.1 at a free port, data in a directory
/// of the lab, run as an unprivileged user (``LabUser``). No Unix socket: loopback TCP only.
public struct PostgreSQLServer: Codable, Sendable {
    public var name: String
    public var binDirectory: String
    public var dataDirectory: String
    public var port: Int
    public var settings: PostgreSQLSettings
    public var process: LabProcess?
    /// The role the lab connects as (a superuser created by initdb; trust on loopback).
    public static let role = "archsim"

    /// The newest /usr/lib/postgresql/N/bin holding `postgres` and `initdb`, or PATH's.
    public static func locate() throws -> String {
        let root = "/usr/lib/postgresql"
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? [])
            .compactMap(Int.init).sorted(by: >)
        for v in versions where FileManager.default.isExecutableFile(atPath: "\(root)/\(v)/bin/initdb") {
            return "\(root)/\(v)/bin"
        }
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":")
        where FileManager.default.isExecutableFile(atPath: "\(dir)/initdb") && FileManager.default.isExecutableFile(atPath: "\(dir)/postgres") {
            return String(dir)
        }
        throw LabError("PostgreSQL's server is not installed (no initdb under /usr/lib/postgresql/*/bin or on PATH): apt-get install -y postgresql, or run scripts/setup")
    }

    /// A new cluster in `dataDirectory` (initdb: UTF-8, C locale, trust on loopback, no fsync of
    /// the initial files), owned by `user`.
    public static func initialise(name: String, dataDirectory: String, settings: PostgreSQLSettings,
                                  user: LabUser?) throws -> PostgreSQLServer {
        let bin = try locate()
        try runTool(bin + "/initdb", [
            "-D", dataDirectory, "-U", role, "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions",
        ], for: name, creating: dataDirectory + "/PG_VERSION", within: 120, user: user)
        // The lab's settings live in archsim.conf, included last; postgresql.auto.conf stays
        // free for what PostgreSQL's own tools write there (pg_basebackup -R: primary_conninfo).
        let conf = FileHandle(forWritingAtPath: dataDirectory + "/postgresql.conf")
        conf?.seekToEndOfFile()
        conf?.write(Data("\ninclude_if_exists = 'archsim.conf'\n".utf8))
        try conf?.close()
        return PostgreSQLServer(name: name, binDirectory: bin, dataDirectory: dataDirectory, port: 0, settings: settings, process: nil)
    }

    /// A streaming replica of `primary` in `dataDirectory`: pg_basebackup (-R: standby.signal and
    /// primary_conninfo; WAL streamed during the copy), same settings. Not started.
    public static func replica(of primary: PostgreSQLServer, name: String, dataDirectory: String,
                               user: LabUser?) throws -> PostgreSQLServer {
        try runTool(primary.binDirectory + "/pg_basebackup", [
            "-h", "127.0.0.1", "-p", String(primary.port), "-U", role, "-D", dataDirectory, "-R", "-X", "stream", "-c", "fast", "--no-sync",
        ], for: name, creating: dataDirectory + "/standby.signal", within: 300, user: user)
        return PostgreSQLServer(name: name, binDirectory: primary.binDirectory, dataDirectory: dataDirectory, port: 0,
                                settings: primary.settings, process: nil)
    }

    /// Runs a PostgreSQL tool that creates the data directory of `name` (initdb, pg_basebackup) to
    /// its end; it succeeded when it left `created`. Its output goes to DATA.TOOL.log.
    private static func runTool(_ path: String, _ arguments: [String], for name: String, creating created: String,
                                within seconds: Double, user: LabUser?) throws {
        let tool = (path as NSString).lastPathComponent
        let dataDirectory = (created as NSString).deletingLastPathComponent
        let log = dataDirectory + "." + tool + ".log"
        let p = try LabProcess.spawn(name: tool, arguments: [path] + arguments, as: user, log: log, directory: dataDirectory)
        guard p.waitForExit(seconds: seconds) else {
            p.stop()
            throw LabError("\(tool) of \(name) did not finish within \(Int(seconds)) s; see \(log)")
        }
        guard FileManager.default.fileExists(atPath: created) else {
            throw LabError("\(tool) of \(name) failed:\n\(p.logTail())")
        }
    }

    /// Writes the settings (archsim.conf, included at the end of postgresql.conf) on a
    /// fresh free port, starts the server and waits until it answers `SELECT 1` (30 s). On
    /// failure the server is stopped and the error carries its log's last lines.
    public mutating func start(user: LabUser?, onSpawn: (LabProcess) throws -> Void = { _ in }) async throws {
        port = try freeLoopbackPort()
        var conf = "# written by archsim lab\n"
        for (k, v) in settings.entries { conf += "\(k) = '\(v)'\n" }
        conf += """
        listen_addresses = '127.0.0.1'
        port = \(port)
        unix_socket_directories = ''
        shared_preload_libraries = 'pg_stat_statements'
        track_io_timing = on
        logging_collector = off
        log_min_messages = warning

        """
        try conf.write(toFile: dataDirectory + "/archsim.conf", atomically: false, encoding: .utf8)
        if let user { try user.own(dataDirectory + "/archsim.conf") }
        let log = dataDirectory + ".log"
        let p = try LabProcess.spawn(name: name, arguments: [binDirectory + "/postgres", "-D", dataDirectory], as: user, log: log,
                                   directory: dataDirectory)
        process = p
        do { try onSpawn(p) } catch { p.stop(signal: SIGINT); throw error }   // not recorded: never leave it running
        try await p.waitUntilReady("PostgreSQL (\(name), port \(port))", timeout: 30, interval: .milliseconds(100), stopSignal: SIGINT) {
            guard let c = try? await connect(timeout: .milliseconds(500)) else { return false }
            let ok = (try? await c.query("SELECT 1", logger: labLogger)) != nil
            try? await c.close()
            return ok
        }
    }

    /// Fast shutdown (SIGINT: open transactions roll back), then SIGKILL to what is left after 15 s.
    @discardableResult
    public func stop() -> [Int32] { process?.stop(signal: SIGINT, grace: 15) ?? [] }

    /// A new connection as the lab's role to `database`.
    public func connect(database: String = "postgres", timeout: TimeAmount = .seconds(10)) async throws -> PostgresConnection {
        var config = PostgresConnection.Configuration(host: "127.0.0.1", port: port, username: Self.role, password: nil,
                                                      database: database, tls: .disable)
        config.options.connectTimeout = timeout
        return try await PostgresConnection.connect(on: MultiThreadedEventLoopGroup.singleton.next(), configuration: config,
                                                    id: 1, logger: labLogger)
    }
}

/// PostgresNIO's logger for the lab: quiet (errors reach the caller as thrown errors).
let labLogger: Logger = {
    var l = Logger(label: "archsim.lab")
    l.logLevel = .critical
    return l
}()

/// A TCP port on 127.0.0.1 that was free a moment ago (bound to port 0, read back, closed).
func freeLoopbackPort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw LabError("cannot open a socket: \(String(cString: strerror(errno)))") }
    defer { close(fd) }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    addr.sin_port = 0
    var len = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
    guard bound == 0 else { throw LabError("cannot bind 127.0.0.1: \(String(cString: strerror(errno)))") }
    let named = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
    guard named == 0 else { throw LabError("getsockname failed: \(String(cString: strerror(errno)))") }
    return Int(UInt16(bigEndian: addr.sin_port))
}
