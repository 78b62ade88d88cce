// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimBackend
import ArchSimCalibration
import Foundation

/// The CPU each of a running step's components uses, and keeping them on their own cores.
///
/// A component is one lab server and every process it forked (PostgreSQL's backends, WAL
/// sender and receiver, checkpointer; nginx's workers): ``LabProcess/live``, the processes
/// working in its directory. Its CPU is the sum of their user + system time
/// (`/proc/PID/stat`); a process that exits between two readings takes its last part with it
/// (``used(from:to:)``), which the lab's long-lived processes (pooled connections, one nginx
/// worker) do not do.
public struct ComponentCPU: Sendable {
    public struct Component: Sendable {
        /// `nginx`, `backend`, `primary`, `replica`, `redis`.
        public var kind: String
        public var processes: [LabProcess]
    }

    public var components: [Component]

    /// The components of a running step, in the order a request meets them.
    public init(_ running: LabStep.Running) {
        var c: [Component] = []
        if let n = running.nginx?.process { c.append(Component(kind: "nginx", processes: [n])) }
        c.append(Component(kind: "backend", processes: running.backends.compactMap(\.process)))
        if let r = running.redis?.process { c.append(Component(kind: "redis", processes: [r])) }
        c.append(Component(kind: "primary", processes: running.primary.process.map { [$0] } ?? []))
        if !running.replicas.isEmpty { c.append(Component(kind: "replica", processes: running.replicas.compactMap(\.process))) }
        components = c
    }

    public var kinds: [String] { components.map(\.kind) }

    /// CPU seconds used so far by each process of each component (same order as ``components``).
    public func read() -> [[Int32: Double]] {
        components.map { c in
            var seconds: [Int32: Double] = [:]
            for pid in c.processes.flatMap(\.live) { seconds[pid] = Threads.cpuSeconds(statFile: "/proc/\(pid)/stat") }
            return seconds
        }
    }

    /// CPU seconds each component used between two readings: a process present in both counts
    /// its difference, one started in between all of its time; one that exited in between is
    /// lost from the second reading and counts nothing (summing totals instead would count its
    /// whole life negatively).
    public static func used(from a: [[Int32: Double]], to b: [[Int32: Double]]) -> [Double] {
        zip(a, b).map { before, after in
            after.keys.sorted().reduce(0) { $0 + max(0, after[$1]! - (before[$1] ?? 0)) }
        }
    }

    /// Runs `body`; returns its result, the seconds it took and the CPU seconds each component
    /// used meanwhile.
    public func measure<T>(_ body: () async throws -> T) async rethrows -> (result: T, seconds: Double, used: [Double]) {
        let before = read(), start = monotonicNanoseconds()
        let result = try await body()
        let seconds = Double(monotonicNanoseconds() - start) / 1e9
        return (result, seconds, Self.used(from: before, to: read()))
    }

    /// Puts every thread of every process of every component on `cores`. Processes forked
    /// later (a new PostgreSQL connection) inherit their parent's cores. Returns the threads the
    /// kernel refused (ended ones not counted).
    @discardableResult
    public func pin(to cores: [Int]) -> Int {
        var refused = 0
        for pid in components.flatMap({ $0.processes.flatMap(\.live) }) {
            let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task"))?.compactMap(Int32.init) ?? [pid]
            for tid in tasks where !Threads.pin(tid, to: cores) {
                if FileManager.default.fileExists(atPath: "/proc/\(pid)/task/\(tid)") { refused += 1 }
            }
        }
        return refused
    }
}
