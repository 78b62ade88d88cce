// SPDX-License-Identifier: GPL-3.0-or-later
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One backend process of the lab: `archsim backend serve` over the lab's PostgreSQL (and its
/// replicas and Redis, by the step), on 127.0.0.1 at a free port, run as the lab's
/// unprivileged user, working in DIR/`name`.
public struct LabBackend: Codable, Sendable {
    public var name: String
    public var port: Int
    /// The archsim executable it runs.
    public var program: String
    /// The command line after the program (`backend serve …`), as started.
    public var arguments: [String]
    public var process: LabProcess?

    /// Starts `program` (the archsim executable) with `arguments` plus `--port`, and waits until
    /// GET /health answers 200 (up to `timeout` s: the first backend creates the catalogue). On
    /// failure it is stopped and the error carries its log's last lines.
    public static func start(name: String, program: String, arguments: [String], directory: String, user: LabUser?,
                             timeout: Double, onSpawn: (LabBackend) throws -> Void) async throws -> LabBackend {
        let port = try freeLoopbackPort()
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        if let user { try user.own(directory) }
        let args = arguments + ["--port", String(port)]
        let p = try LabProcess.spawn(name: name, arguments: [program] + args, as: user, log: directory + ".log", directory: directory)
        let backend = LabBackend(name: name, port: port, program: program, arguments: args, process: p)
        do { try onSpawn(backend) } catch { p.stop(); throw error }
        try await p.waitUntilReady("backend \(name) (port \(port)) answering GET /health", timeout: timeout, interval: .milliseconds(100)) {
            await httpGetOffPool(port: port, path: "/health")?.0 == 200
        }
        return backend
    }

    /// SIGTERM (a graceful shutdown: in-flight requests finish), SIGKILL after 15 s.
    @discardableResult
    public func stop() -> [Int32] { process?.stop(signal: SIGTERM, grace: 15) ?? [] }
}

/// ``httpGet(port:path:timeout:)`` on a Dispatch thread: a readiness probe in async code must not
/// hold a thread of Swift's cooperative pool (two on this machine) while it blocks.
public func httpGetOffPool(port: Int, path: String, timeout: Double = 2) async -> (Int, String)? {
    await withCheckedContinuation { done in
        DispatchQueue.global().async { done.resume(returning: httpGet(port: port, path: path, timeout: timeout)) }
    }
}

/// GET `path` on 127.0.0.1:`port` over HTTP/1.0 with plain sockets: (status, body), or nil when
/// nothing answers within `timeout` s. For readiness checks and tests, not for load.
public func httpGet(port: Int, path: String, timeout: Double = 2) -> (Int, String)? {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var tv = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - timeout.rounded(.down)) * 1e6))
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    addr.sin_port = in_port_t(UInt16(port).bigEndian)
    let connected = withUnsafePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard connected == 0 else { return nil }
    let request = Array("GET \(path) HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n".utf8)
    guard request.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, 0) }) == request.count else { return nil }
    var reply: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 16_384)
    while true {
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n <= 0 { break }
        reply += chunk[0..<n]
    }
    let text = String(decoding: reply, as: UTF8.self)
    let parts = text.components(separatedBy: "\r\n\r\n")
    let status = parts.first?.split(separator: " ").dropFirst().first.flatMap { Int($0) }
    guard let status else { return nil }
    return (status, parts.dropFirst().joined(separator: "\r\n\r\n"))
}
