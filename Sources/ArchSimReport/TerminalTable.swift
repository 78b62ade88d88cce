// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimModel
import Foundation

/// Plain-text tables for the terminal: columns padded, numbers right-aligned.
public struct TerminalTable {
    public var header: [String]
    public var rows: [[String]] = []
    public init(header: [String]) { self.header = header }
    public mutating func append(_ row: [String]) { rows.append(row) }

    public var text: String {
        let all = [header] + rows
        let widths = header.indices.map { c in all.map { $0[c].count }.max() ?? 0 }
        return all.enumerated().map { i, row in
            var line = row.enumerated().map { c, cell in
                c == 0 ? cell.padding(toLength: widths[c], withPad: " ", startingAt: 0)
                       : String(repeating: " ", count: widths[c] - cell.count) + cell
            }.joined(separator: "  ")
            while line.hasSuffix(" ") { line.removeLast() }
            return i == 0 ? line + "\n" + String(repeating: "-", count: line.count) : line
        }.joined(separator: "\n") + "\n"
    }

    /// The compact summary `archsim run` prints.
    public static func summary(_ r: ScenarioResult) -> String {
        var t = TerminalTable(header: ["request", "offered", "done", "errors", "req/s", "mean ms", "±95%", "p50", "p99", "p99.9"])
        func f(_ x: Double, _ d: Int = 2) -> String { String(format: "%.\(d)f", x) }
        for row in r.summary {
            t.append([row.requestType, f(row.offered, 0), f(row.completed, 0), f(row.errors, 0), f(row.throughput, 1),
                      f(row.meanMs, 3), row.meanCI95Ms.map { f($0, 3) } ?? "-", f(row.p50Ms), f(row.p99Ms), f(row.p999Ms)])
        }
        var c = TerminalTable(header: ["component", "kind", "n", "req/s", "util", "wait ms", "p99 wait", "queue", "rejected"])
        for row in r.components {
            c.append([row.component, row.kind, String(row.instances), f(row.throughput, 1),
                      row.utilization.map { f($0, 3) } ?? "", row.meanWaitMs.map { f($0, 3) } ?? "",
                      row.p99WaitMs.map { f($0, 3) } ?? "", row.meanQueueLength.map { f($0, 2) } ?? "",
                      row.rejected.map { f($0, 0) } ?? ""])
        }
        let reps = r.replications.count
        return "\(r.name): \(reps) replication\(reps == 1 ? "" : "s") of \(formatDuration(r.scenario.duration)) "
            + "after \(formatDuration(r.scenario.warmup)) warm-up\n\n" + t.text + "\n" + c.text
    }
}

/// `1h2m`, `20m`, `1.5s`, `250ms` for ns.
public func formatDuration(_ ns: Int64) -> String {
    if ns == 0 { return "0s" }
    if ns % 60_000_000_000 == 0 {
        let m = ns / 60_000_000_000
        return m >= 60 ? "\(m / 60)h\(m % 60 == 0 ? "" : "\(m % 60)m")" : "\(m)m"
    }
    if ns >= 1_000_000_000 { return CSVNumber.format(Double(ns) / 1e9, decimals: 3) + "s" }
    return CSVNumber.format(Double(ns) / 1e6, decimals: 3) + "ms"
}

/// A one-line progress display on a terminal (stderr), redrawn at most 10 times a second:
/// simulated time, events per second, ETA. Silent when stderr is not a terminal.
public final class ProgressLine: @unchecked Sendable {
    private let lock = NSLock()
    private let start = Date()
    private var lastDraw = Date.distantPast
    private let enabled: Bool
    private var drawn = false
    public let label: String

    public init(label: String, enabled: Bool = isatty(STDERR_FILENO) == 1) {
        self.label = label; self.enabled = enabled
    }

    public func update(_ p: Runner.Progress) {
        guard enabled else { return }
        lock.lock(); defer { lock.unlock() }
        let now = Date()
        guard now.timeIntervalSince(lastDraw) >= 0.1 || p.replicationsDone == p.replications else { return }
        lastDraw = now
        let elapsed = now.timeIntervalSince(start)
        let fraction = p.total > 0 ? Double(p.simulated) / Double(p.total) : 1
        let rate = elapsed > 0 ? Double(p.events) / elapsed : 0
        let eta = fraction > 0.001 ? elapsed * (1 - fraction) / fraction : 0
        let line = String(format: "%@: %3.0f%%  sim %@ of %@  rep %d/%d done  %.2fM events/s  ETA %.0fs",
                          label, fraction * 100, formatDuration(p.simulated), formatDuration(p.total),
                          p.replicationsDone, p.replications, rate / 1e6, eta)
        FileHandle.standardError.write(Data(("\r\u{1B}[K" + line).utf8))
        drawn = true
    }

    /// Shows a free-form status line.
    public func message(_ text: String) {
        guard enabled else { return }
        lock.lock(); defer { lock.unlock() }
        FileHandle.standardError.write(Data(("\r\u{1B}[K" + label + ": " + text).utf8))
        drawn = true
    }

    /// Clears the line.
    public func finish() {
        guard enabled else { return }
        lock.lock(); defer { lock.unlock() }
        if drawn { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    }
}
