// SPDX-License-Identifier: GPL-3.0-or-later
import Foundation

/// The settings of the lab's load balancer, in nginx.conf's words.
public struct NginxSettings: Codable, Sendable, Equatable {
    /// Worker processes (each an event loop taking connections).
    public var workers = 1
    /// Idle keep-alive connections each worker keeps open to the backends.
    public var upstreamKeepalive = 64

    public init() {}

    public var entries: [(String, String)] {
        [("worker_processes", String(workers)), ("balancing", "round robin"), ("proxy_next_upstream", "error"),
         ("keepalive (upstream)", String(upstreamKeepalive)), ("access_log", "off")]
    }
}

/// nginx from Debian's package as the load balancer of step 2 onwards: round robin over the
/// backend processes, a request whose backend refuses the connection tried on the next
/// (`proxy_next_upstream error`), keep-alive connections to the backends, on 127.0.0.1 at a free
/// port, run as the lab's unprivileged user, everything (configuration, pid file, temporary
/// files, log) in DIR/`name`.
public struct NginxServer: Codable, Sendable {
    public var name: String
    public var program: String
    public var directory: String
    public var port: Int
    public var upstreams: [Int]
    public var settings: NginxSettings
    public var process: LabProcess?

    /// nginx on PATH or in /usr/sbin.
    public static func locate() throws -> String {
        let dirs = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init) + ["/usr/sbin", "/usr/local/sbin"]
        for d in dirs where FileManager.default.isExecutableFile(atPath: d + "/nginx") { return d + "/nginx" }
        throw LabError("nginx is not installed (no nginx on PATH or in /usr/sbin): apt-get install -y nginx-light, or run scripts/setup")
    }

    /// nginx.conf for `upstreams` (backend ports).
    var configuration: String {
        """
        # written by archsim lab
        worker_processes \(settings.workers);
        daemon off;
        pid \(directory)/nginx.pid;
        error_log stderr warn;
        events { worker_connections 1024; }
        http {
            access_log off;
            client_body_temp_path \(directory)/body;
            proxy_temp_path \(directory)/proxy;
            fastcgi_temp_path \(directory)/fastcgi;
            uwsgi_temp_path \(directory)/uwsgi;
            scgi_temp_path \(directory)/scgi;
            upstream backends {
        \(upstreams.map { "        server 127.0.0.1:\($0);" }.joined(separator: "\n"))
                keepalive \(settings.upstreamKeepalive);
            }
            server {
                listen 127.0.0.1:\(port);
                location / {
                    proxy_pass http://backends;
                    proxy_http_version 1.1;
                    proxy_set_header Connection "";
                    proxy_next_upstream error;
                }
            }
        }

        """
    }

    /// Writes the configuration, checks it (`nginx -t`), starts nginx and waits until GET /health
    /// through it answers 200 (10 s). On failure it is stopped and the error carries its log.
    public mutating func start(user: LabUser?, onSpawn: (LabProcess) throws -> Void) async throws {
        port = try freeLoopbackPort()
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let conf = directory + "/nginx.conf"
        try configuration.write(toFile: conf, atomically: true, encoding: .utf8)
        if let user { try user.own(directory) }
        // Its log is standard error, which the lab opened on DIR/NAME.log (nginx, unprivileged, could not).
        let arguments = [program, "-e", "stderr", "-p", directory + "/", "-c", conf]
        let check = try LabProcess.spawn(name: name + "-test", arguments: arguments + ["-t", "-q"], as: user, log: directory + ".log", directory: directory)
        guard check.exitStatus(within: 10) == 0 else {
            check.stop()
            throw LabError("nginx (\(name)) rejected its configuration \(conf):\n\(check.logTail())")
        }
        let p = try LabProcess.spawn(name: name, arguments: arguments, as: user, log: directory + ".log", directory: directory)
        process = p
        do { try onSpawn(p) } catch { p.stop(); throw error }
        let port = self.port
        try await p.waitUntilReady("nginx (\(name), port \(port)) passing GET /health to a backend", timeout: 10) {
            await httpGetOffPool(port: port, path: "/health")?.0 == 200
        }
    }

    /// SIGTERM (nginx's fast shutdown), SIGKILL after 10 s.
    @discardableResult
    public func stop() -> [Int32] { process?.stop(signal: SIGTERM, grace: 10) ?? [] }
}
