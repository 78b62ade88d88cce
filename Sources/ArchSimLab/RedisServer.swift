// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimBackend
import Foundation

/// The settings of one Redis server of the lab, in redis.conf's words.
public struct RedisSettings: Codable, Sendable, Equatable {
    /// Memory for data; past it, `policy` evicts.
    public var maxMemory = "64mb"
    /// allkeys-lru: Redis's approximate LRU (the oldest of `samples` random keys, through a
    /// pool of 16 candidates).
    public var policy = "allkeys-lru"
    public var samples = 5

    public init() {}

    public var entries: [(String, String)] {
        [("maxmemory", maxMemory), ("maxmemory-policy", policy), ("maxmemory-samples", String(samples)),
         ("save", "off (no snapshots)"), ("appendonly", "no")]
    }
}

/// One Redis server from Debian's package (redis-server), on 127.0.0.1 at a free port, working in
/// a directory of the lab, no persistence, run as the lab's unprivileged user.
public struct RedisServer: Codable, Sendable {
    public var name: String
    public var program: String
    public var directory: String
    public var port: Int
    public var settings: RedisSettings
    public var process: LabProcess?

    /// redis-server on PATH or in /usr/bin.
    public static func locate() throws -> String {
        let dirs = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init) + ["/usr/bin", "/usr/local/bin"]
        for d in dirs where FileManager.default.isExecutableFile(atPath: d + "/redis-server") { return d + "/redis-server" }
        throw LabError("Redis is not installed (no redis-server on PATH): apt-get install -y redis-server, or run scripts/setup")
    }

    /// Starts it and waits until it answers PING (10 s). On failure it is stopped and the error
    /// carries its log's last lines.
    public mutating func start(user: LabUser?, onSpawn: (LabProcess) throws -> Void) async throws {
        port = try freeLoopbackPort()
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        if let user { try user.own(directory) }
        let p = try LabProcess.spawn(name: name, arguments: [
            program, "--port", String(port), "--bind", "127.0.0.1", "--dir", directory, "--daemonize", "no",
            "--save", "", "--appendonly", "no", "--logfile", "",
            "--maxmemory", settings.maxMemory, "--maxmemory-policy", settings.policy,
            "--maxmemory-samples", String(settings.samples),
        ], as: user, log: directory + ".log", directory: directory)
        process = p
        do { try onSpawn(p) } catch { p.stop(); throw error }   // not recorded: never leave it running
        let port = self.port
        try await p.waitUntilReady("Redis (\(name), port \(port))", timeout: 10) {
            (try? await RedisClient.withConnection(port: port) { try await $0.command(["PING"]).text }) == "PONG"
        }
    }

    /// SIGTERM (no persistence: it exits at once), SIGKILL after 10 s.
    @discardableResult
    public func stop() -> [Int32] { process?.stop(signal: SIGTERM, grace: 10) ?? [] }
}
